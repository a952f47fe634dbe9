public import AsyncHTTPClient
public import Foundation
public import NIOCore
import NIOFoundationCompat
import NIOHTTP1

/// The one way PSA clients send a request: AsyncHTTPClient, a bound on every call, and the answer
/// classified into `PSAError` when it is not a success. Each PSA's file adds its own error reading.
public struct PSAHTTP: Sendable {
    public struct Reply: Sendable {
        public var status: Int
        public var headers: [(String, String)]
        public var body: Data

        public func header(_ name: String) -> String? {
            headers.first { $0.0.lowercased() == name.lowercased() }?.1
        }

        /// The body as JSON (`JSONSerialization`), or nil.
        public var json: Any? { try? JSONSerialization.jsonObject(with: body, options: [.fragmentsAllowed]) }
        public var text: String { String(decoding: body, as: UTF8.self) }
    }

    public let client: HTTPClient
    public var timeout: TimeAmount

    /// 20 s a call: a Halo write that must renew its token twice stays within the outbox's 120 s lease.
    public init(client: HTTPClient, timeout: TimeAmount = .seconds(20)) {
        self.client = client
        self.timeout = timeout
    }

    /// Sends the request. Any status is returned; only "no answer" throws (`.transport`/`.unavailable`).
    public func send(
        _ method: String, _ url: String, headers: [(String, String)] = [], body: Data? = nil
    ) async throws(PSAError) -> Reply {
        var request = HTTPClientRequest(url: url)
        request.method = HTTPMethod(rawValue: method)
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(data: body)) }
        do {
            let response = try await client.execute(request, timeout: timeout)
            let buffer = try await response.body.collect(upTo: 64 << 20)
            return Reply(
                status: Int(response.status.code), headers: response.headers.map { ($0.name, $0.value) },
                body: Data(buffer: buffer))
        } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout {
            throw PSAError(.unavailable, "no answer from \(Self.host(of: url)) within the time limit")
        } catch let error as HTTPClientError where error == .connectTimeout {
            throw PSAError(.notSent, "could not connect to \(Self.host(of: url)) in time")
        } catch {
            // A refused connection or a name that does not resolve never carried the request.
            let text = "\(error)"
            let unsent = ["refused", "NIOConnectionError", "resolve", "getaddrinfo", "unknownHost", "ECONNREFUSED"].contains {
                text.localizedCaseInsensitiveContains($0)
            }
            throw PSAError(unsent ? .notSent : .transport, "could not reach \(Self.host(of: url)): \(error)")
        }
    }

    /// Sends JSON and returns the reply when its status is 2xx; otherwise throws the classified error,
    /// with the PSA's message as `readMessage` finds it in the body.
    public func json(
        _ method: String, _ url: String, headers: [(String, String)] = [], body: Any? = nil,
        readMessage: @Sendable (Reply) -> String? = { _ in nil }
    ) async throws(PSAError) -> Reply {
        var all = headers + [("Accept", "application/json")]
        var data: Data?
        if let body {
            all.append(("Content-Type", "application/json"))
            do { data = try JSONSerialization.data(withJSONObject: body, options: [.sortedKeys]) } catch {
                throw PSAError(.unexpected, "could not encode the request: \(error)")
            }
        }
        let reply = try await send(method, url, headers: all, body: data)
        try Self.check(reply, readMessage: readMessage)
        return reply
    }

    /// Throws the classified error for a status that is not 2xx.
    public static func check(_ reply: Reply, readMessage: (Reply) -> String?) throws(PSAError) {
        guard !(200..<300).contains(reply.status) else { return }
        let message = readMessage(reply) ?? (reply.text.isEmpty ? "HTTP \(reply.status)" : String(reply.text.prefix(300)))
        switch reply.status {
        case 401: throw PSAError(.unauthorized, status: 401, message)
        case 403: throw PSAError(.forbidden, status: 403, message)
        case 404: throw PSAError(.notFound, status: 404, message)
        case 429: throw PSAError(.throttled, status: 429, message)
        case 408: throw PSAError(.unavailable, status: 408, message)
        case 400, 409, 422: throw PSAError(.invalid, status: reply.status, message)
        case 500..<600: throw PSAError(.unavailable, status: reply.status, message)
        default: throw PSAError(.unexpected, status: reply.status, message)
        }
    }

    static func host(of url: String) -> String { URL(string: url)?.host ?? url }

    /// `application/x-www-form-urlencoded` encoding of one value.
    public static func formEncode(_ value: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value
    }

    /// Percent-encoding for a query value.
    public static func queryEncode(_ value: String) -> String { formEncode(value) }
}

extension PSAClient {
    /// The client for the connection's PSA.
    public static func live(_ connection: PSAConnection, http: PSAHTTP) -> PSAClient {
        switch connection.kind {
        case .haloPSA: .haloPSA(connection, http: http)
        case .connectWise: .connectWise(connection, http: http)
        case .autotask: .autotask(connection, http: http)
        }
    }
}

/// Plain text from a PSA's HTML description: tags dropped, block ends as new lines, entities decoded.
public func psaPlainText(fromHTML html: String) -> String {
    var text = html
    for tag in ["<br>", "<br/>", "<br />", "</p>", "</div>", "</li>", "</tr>", "</h1>", "</h2>", "</h3>"] {
        text = text.replacingOccurrences(of: tag, with: "\n", options: .caseInsensitive)
    }
    text = text.replacingOccurrences(
        of: "(?s)<(style|script)[^>]*>.*?</(style|script)>", with: "", options: [.regularExpression, .caseInsensitive])
    text = text.replacingOccurrences(of: "<[^>]+>", with: "", options: .regularExpression)
    // In order, `&amp;` last: "&amp;lt;" is the text "&lt;", not "<".
    let entities = [("&nbsp;", " "), ("&lt;", "<"), ("&gt;", ">"), ("&quot;", "\""), ("&#39;", "'"), ("&apos;", "'")]
    for (entity, character) in entities { text = text.replacingOccurrences(of: entity, with: character) }
    text = decodeNumericEntities(text).replacingOccurrences(of: "&amp;", with: "&")
    return text.split(separator: "\n", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        .joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
}

/// `&#8217;` and `&#x2019;` as their characters.
func decodeNumericEntities(_ text: String) -> String {
    guard text.contains("&#") else { return text }
    var out = ""
    var rest = Substring(text)
    while let start = rest.range(of: "&#") {
        out += rest[..<start.lowerBound]
        let after = rest[start.upperBound...]
        guard let end = after.firstIndex(of: ";"), after.distance(from: after.startIndex, to: end) <= 8 else {
            out += "&#"
            rest = after
            continue
        }
        let digits = after[..<end]
        let value = digits.first == "x" || digits.first == "X" ? UInt32(digits.dropFirst(), radix: 16) : UInt32(digits, radix: 10)
        if let value, let scalar = Unicode.Scalar(value) {
            out.unicodeScalars.append(scalar)
        } else {
            out += "&#" + digits + ";"
        }
        rest = after[after.index(after: end)...]
    }
    return out + rest
}
