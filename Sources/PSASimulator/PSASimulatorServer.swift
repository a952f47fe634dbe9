public import Foundation
import HTTPTypes
public import Hummingbird
import HummingbirdCore
public import Logging
import NIOCore
import ServiceLifecycle

/// Serves one `PSASimulation` over HTTP, as the M365 simulator serves Microsoft's APIs.
public enum PSASimulatorServer {
    struct Responder: HTTPResponder {
        typealias Context = BasicRequestContext
        let simulation: any PSASimulation

        func respond(to request: Request, context: BasicRequestContext) async throws -> Response {
            var request = request
            let buffer = try await request.collectBody(upTo: 64 << 20)
            var headers: [String: String] = [:]
            for field in request.headers {
                let name = field.name.canonicalName.lowercased()
                headers[name] = headers[name].map { "\($0), \(field.value)" } ?? field.value
            }
            // HTTPTypes keeps Host as the authority; simulators build absolute links from it.
            if headers["host"] == nil, let authority = request.head.authority { headers["host"] = authority }
            var query: [String: String] = [:]
            for item in URLComponents(string: "http://x\(request.uri.description)")?.queryItems ?? [] {
                query[item.name] = item.value ?? ""
            }
            let path = request.uri.path.removingPercentEncoding ?? request.uri.path
            if path.hasPrefix("/_sim/") {
                let answer = PSASimulatorControl.handle(
                    simulation, method: request.method.rawValue, path: path, body: Data(buffer.readableBytesView))
                return Response(
                    status: .init(code: answer.status), headers: [.contentType: "application/json"],
                    body: .init(byteBuffer: ByteBuffer(bytes: answer.body)))
            }
            let answer = await simulation.handle(
                PSARequest(
                    method: request.method.rawValue, path: path, query: query, headers: headers, body: Data(buffer.readableBytesView)))
            var fields = HTTPFields()
            for (name, value) in answer.headers {
                if let fieldName = HTTPField.Name(name) { fields.append(HTTPField(name: fieldName, value: value)) }
            }
            return Response(
                status: .init(code: answer.status), headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: answer.body)))
        }
    }

    /// The HTTP application; run it as a `Service`.
    public static func makeApplication(
        _ simulation: any PSASimulation, host: String, port: Int, logger: Logger? = nil,
        onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        var serverLogger = logger ?? Logger(label: "psa-simulator.http")
        if logger == nil { serverLogger.logLevel = .critical }
        return Application(
            responder: Responder(simulation: simulation),
            configuration: ApplicationConfiguration(address: .hostname(host, port: port)),
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? port) },
            logger: serverLogger)
    }

    /// Runs the simulation on a loopback port for the duration of `body`, which gets `http://127.0.0.1:PORT`.
    public static func withServer<T: Sendable>(
        _ simulation: any PSASimulation, host: String = "127.0.0.1", port: Int = 0,
        _ body: @Sendable (String) async throws -> T
    ) async throws -> T {
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let application = makeApplication(simulation, host: host, port: port) { port in continuation.yield(port) }
        var quiet = Logger(label: "psa-simulator.lifecycle")
        quiet.logLevel = .critical
        let group = ServiceGroup(configuration: .init(services: [application], logger: quiet))
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var iterator = ports.makeAsyncIterator()
            guard let boundPort = await iterator.next() else { throw CancellationError() }
            do {
                let result = try await body("http://\(host):\(boundPort)")
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
                return result
            } catch {
                await group.triggerGracefulShutdown()
                try? await tasks.waitForAll()
                throw error
            }
        }
    }
}
