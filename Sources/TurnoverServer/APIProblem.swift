import Foundation

/// An error the API answers with: an RFC 9457 problem document, with a sentence that says what to do.
public struct APIProblem: Error, Sendable, Equatable, CustomStringConvertible {
    public var status: Int
    public var title: String
    public var detail: String
    /// A URI naming the kind of problem; `about:blank` when the status says it all.
    public var type: String

    public init(status: Int, title: String, detail: String, type: String = "about:blank") {
        self.status = status
        self.title = title
        self.detail = detail
        self.type = type
    }

    public var description: String { "\(status) \(title): \(detail)" }

    static func notFound(_ detail: String) -> APIProblem { APIProblem(status: 404, title: "Not found", detail: detail) }
    static func forbidden(_ detail: String) -> APIProblem { APIProblem(status: 403, title: "Forbidden", detail: detail) }
    static func badRequest(_ detail: String) -> APIProblem { APIProblem(status: 400, title: "Bad request", detail: detail) }
    static func conflict(_ detail: String) -> APIProblem { APIProblem(status: 409, title: "Conflict", detail: detail) }
    static func unprocessable(_ detail: String) -> APIProblem {
        APIProblem(status: 422, title: "Refused", detail: detail + (detail.contains("Nothing was changed") ? "" : " Nothing was changed."))
    }

    /// The JSON body, with `instance` naming the request path.
    func body(instance: String?) -> Data {
        var object: [String: Any] = ["type": type, "title": title, "status": status, "detail": detail]
        if let instance { object["instance"] = instance }
        return (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
    }
}
