public import AsyncHTTPClient
public import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1

/// One HTTP exchange as the client sees it.
public struct HTTPExchangeRequest: Sendable {
    public var method: String
    public var url: String
    public var headers: [(String, String)]
    public var body: Data?

    public init(method: String, url: String, headers: [(String, String)] = [], body: Data? = nil) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }
}

public struct HTTPExchangeResponse: Sendable {
    public var status: Int
    public var headers: [(String, String)]
    public var body: Data

    public init(status: Int, headers: [(String, String)], body: Data) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public func header(_ name: String) -> String? {
        headers.first { $0.0.caseInsensitiveCompare(name) == .orderedSame }?.1
    }
}

/// The client's only way out to the network (house style: external effects as a struct of closures).
///
/// Production and tests both use `.asyncHTTPClient`; tests point it at the simulator.
public struct HTTPTransport: Sendable {
    public var execute: @Sendable (HTTPExchangeRequest) async throws -> HTTPExchangeResponse

    public init(execute: @escaping @Sendable (HTTPExchangeRequest) async throws -> HTTPExchangeResponse) {
        self.execute = execute
    }

    /// Sends requests through AsyncHTTPClient with a per-request timeout.
    public static func asyncHTTPClient(_ client: HTTPClient, timeout: Duration = .seconds(100)) -> HTTPTransport {
        HTTPTransport { exchange in
            var request = HTTPClientRequest(url: exchange.url)
            request.method = HTTPMethod(rawValue: exchange.method)
            for (name, value) in exchange.headers { request.headers.add(name: name, value: value) }
            if let body = exchange.body { request.body = .bytes(ByteBuffer(data: body)) }
            let seconds = Int64(timeout.components.seconds)
            let meter = MicrosoftWaitMeter.current
            meter?.begin()
            defer { meter?.end() }
            let response = try await client.execute(request, timeout: .seconds(seconds))
            let body = try await response.body.collect(upTo: 256 << 20)
            return HTTPExchangeResponse(
                status: Int(response.status.code), headers: response.headers.map { ($0.name, $0.value) }, body: Data(buffer: body))
        }
    }
}

/// Time as the client sees it, injectable so retries and token expiry can be tested without waiting.
public struct ClientClock: Sendable {
    public var now: @Sendable () -> Date
    public var sleep: @Sendable (Duration) async throws -> Void

    public init(now: @escaping @Sendable () -> Date, sleep: @escaping @Sendable (Duration) async throws -> Void) {
        self.now = now
        self.sleep = sleep
    }

    public static let system = ClientClock(now: { Date() }, sleep: { try await Task.sleep(for: $0) })
}
