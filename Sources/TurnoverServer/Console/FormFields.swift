import Foundation
import Hummingbird
import NIOCore

/// The fields of an `application/x-www-form-urlencoded` form or a query string, in order; a field
/// may repeat (a group of checkboxes).
struct FormFields: Sendable {
    private(set) var pairs: [(name: String, value: String)] = []

    init() {}

    init(query: String) {
        for part in query.split(separator: "&", omittingEmptySubsequences: true) {
            let pieces = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = Self.unescape(pieces[0])
            pairs.append((name, pieces.count > 1 ? Self.unescape(pieces[1]) : ""))
        }
    }

    struct TooLarge: Error, CustomStringConvertible {
        var description: String { "The form is larger than the console accepts (1 MB)." }
    }

    /// The body of a POST.
    static func read(_ request: Request) async throws -> FormFields {
        let buffer = try await request.body.collect(upTo: 1 << 20)
        return FormFields(query: String(buffer: buffer))
    }

    /// The first value of a field, trimmed; nil when absent or blank.
    subscript(_ name: String) -> String? {
        guard let value = pairs.first(where: { $0.name == name })?.value.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty
        else { return nil }
        return value
    }

    /// A field's value as typed (untrimmed, for texts whose line breaks matter); "" when absent.
    func raw(_ name: String) -> String { pairs.first(where: { $0.name == name })?.value ?? "" }

    func has(_ name: String) -> Bool { pairs.contains { $0.name == name } }

    func all(_ name: String) -> [String] { pairs.filter { $0.name == name }.map(\.value) }

    static func unescape(_ text: Substring) -> String {
        let spaced = text.replacingOccurrences(of: "+", with: " ")
        return spaced.removingPercentEncoding ?? spaced
    }

    /// A value made safe for a query string.
    static func escape(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~/@")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
    }
}
