public import Foundation

/// What the client may do when it cannot tell whether a request took effect (the connection dropped
/// after the request was sent). Throttling and 5xx answers are always safe to repeat: nothing happened.
public enum Idempotency: Sendable {
    /// Repeating has the same effect as doing it once (GET, PATCH to absolute values, PUT).
    case safe
    /// A DELETE: after an ambiguous failure, 404 on the repeat means the first one worked.
    case deleteIfExists
    /// Not safe to repeat: after an ambiguous failure, the check is asked first whether the effect is
    /// already there (true = done, do not repeat).
    case checkFirst(@Sendable () async throws -> Bool)
    /// Never repeat after an ambiguous failure; report that the outcome is unknown.
    case never
}

/// One Graph request, relative to the version root (`/users/…`), or an absolute `@odata.nextLink`.
public struct GraphRequest: Sendable {
    public var method: String
    public var path: String
    public var body: JSONValue?
    public var headers: [(String, String)]
    public var idempotency: Idempotency
    /// For Outlook resources (mail, rules, events, mailbox settings): at most 4 concurrent per mailbox.
    public var mailbox: String?
    public var version: String
    /// Whether this request may travel inside a `$batch` with others.
    public var batchable: Bool

    public init(
        _ method: String, _ path: String, body: JSONValue? = nil, headers: [(String, String)] = [], idempotency: Idempotency? = nil,
        mailbox: String? = nil, version: String = "v1.0", batchable: Bool = true
    ) {
        self.method = method
        self.path = path
        self.body = body
        self.headers = headers
        self.idempotency =
            idempotency
            ?? {
                switch method {
                case "GET", "PATCH", "PUT": .safe
                case "DELETE": .deleteIfExists
                default: .never
                }
            }()
        self.mailbox = mailbox
        self.version = version
        self.batchable = batchable
    }

    /// The path with ids, UPNs and query removed, for logs and metrics (never personal data).
    public var template: String { PathTemplate.template(of: path) }
}

public struct GraphResponse: Sendable {
    public var status: Int
    public var headers: [(String, String)]
    public var body: JSONValue?
    public var requestId: String?
    /// True when the request was not repeated because a state check showed it had already worked.
    public var confirmedByCheck: Bool = false

    public func decode<T: Decodable>(_ type: T.Type) throws -> T {
        guard let body else { throw DecodingError.valueNotFound(T.self, .init(codingPath: [], debugDescription: "empty response body")) }
        return try body.decode(T.self)
    }
}

enum PathTemplate {
    static func template(of path: String) -> String {
        var trimmed = path
        if let schemeEnd = trimmed.range(of: "://"), let slash = trimmed[schemeEnd.upperBound...].firstIndex(of: "/") {
            trimmed = String(trimmed[slash...])
        }
        let withoutQuery = trimmed.split(separator: "?", maxSplits: 1).first.map(String.init) ?? trimmed
        let segments = withoutQuery.split(separator: "/", omittingEmptySubsequences: false).map { segment -> String in
            let text = String(segment)
            if text.isEmpty { return text }
            if text.hasPrefix("users(") || text.hasPrefix("groups(") {
                return String(text.prefix { $0 != "(" }) + "/{id}"
            }
            if looksLikeIdentifier(text) { return "{id}" }
            return text
        }
        return segments.joined(separator: "/")
    }

    static func looksLikeIdentifier(_ text: String) -> Bool {
        if text.contains("@") || text.contains("%40") || text.contains("%23") { return true }
        let hex = text.filter { $0.isHexDigit }
        if text.count >= 32, hex.count >= 32, text.allSatisfy({ $0.isHexDigit || $0 == "-" }) { return true }
        if text.count > 40 { return true }
        return false
    }
}

/// Builds Graph paths with ids and UPNs encoded as Graph requires.
public enum GraphPath {
    static let segmentAllowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-._~@!*,;:=+&"))

    /// Percent-encodes one path segment (`#` → `%23`, `/` → `%2F`, `'` kept, `$` encoded).
    public static func segment(_ value: String) -> String {
        value.addingPercentEncoding(withAllowedCharacters: segmentAllowed) ?? value
    }

    /// `/users/{id}` for an object id or a UPN; a UPN starting with `$` uses `/users('…')` as Graph requires.
    public static func user(_ idOrUPN: String) -> String {
        if idOrUPN.hasPrefix("$") {
            let quoted = idOrUPN.replacingOccurrences(of: "'", with: "''")
            return "/users('\(segment(quoted))')"
        }
        return "/users/\(segment(idOrUPN))"
    }

    public static func group(_ id: String) -> String { "/groups/\(segment(id))" }

    /// A string literal inside `$filter`: quotes doubled, then percent-encoded for the query.
    public static func filterLiteral(_ value: String) -> String {
        "'" + value.replacingOccurrences(of: "'", with: "''") + "'"
    }

    static let queryAllowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-._~,$()/:@!*"))

    /// A query string from parameters, values percent-encoded (spaces as %20, `'` kept, `#` and `&` encoded).
    public static func query(_ parameters: [(String, String)]) -> String {
        guard !parameters.isEmpty else { return "" }
        return "?"
            + parameters.map {
                "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: queryAllowed.union(CharacterSet(charactersIn: "'"))) ?? $0.1)"
            }
            .joined(separator: "&")
    }
}
