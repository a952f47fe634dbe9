import Foundation

/// A request as the simulator's services see it, independent of the HTTP server (so `$batch`
/// items can be dispatched through the same code as top-level requests).
struct SimRequest: Sendable {
    var method: String
    /// Raw (percent-encoded) path.
    var path: String
    /// Raw query string without `?`.
    var query: String?
    /// Header names lowercased.
    var headers: [String: String]
    var body: [UInt8]
    /// `https://host:port`, from the request's Host header and the listener's scheme.
    var origin: String

    var pathAndQuery: String { query.map { "\(path)?\($0)" } ?? path }

    func header(_ name: String) -> String? { headers[name.lowercased()] }

    var bearerToken: String? {
        guard let value = header("authorization") else { return nil }
        let parts = value.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        return String(parts[1]).trimmingCharacters(in: .whitespaces)
    }
}

struct SimResponse: Sendable {
    var status: Int
    var headers: [(String, String)]
    var body: [UInt8]
    /// Close the connection without sending anything.
    var dropConnection = false

    static func json(_ status: Int, _ value: JSONValue, headers: [(String, String)] = []) -> SimResponse {
        SimResponse(status: status, headers: [("Content-Type", "application/json; charset=utf-8")] + headers, body: value.serialized())
    }

    static func text(_ status: Int, _ text: String, contentType: String = "text/plain; charset=utf-8") -> SimResponse {
        SimResponse(status: status, headers: [("Content-Type", contentType)], body: Array(text.utf8))
    }

    static let dropped = SimResponse(status: 0, headers: [], body: [], dropConnection: true)
}

/// What a service tells the pipeline about a request, for the request log.
struct RequestAttribution: Sendable {
    var service: String
    var tenantId: String?
    var clientId: String?
    var operation: String?
    var injected: String?
}
