public import Foundation
import HTTPTypes
public import Hummingbird
public import HummingbirdCore
import HummingbirdTLS
public import Logging
public import NIOCore
public import NIOSSL
import ServiceLifecycle

/// Request context that keeps the channel, so the simulator can drop a connection on purpose.
public struct SimulatorRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    let channel: any Channel

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }

    public var maxUploadSize: Int { 16 * 1024 * 1024 }
}

/// Adapts Hummingbird requests to the simulator's services.
struct SimulatorResponder: HTTPResponder {
    let simulator: Simulator
    let scheme: String

    func respond(to request: Request, context: SimulatorRequestContext) async throws -> Response {
        var request = request
        let buffer = try await request.collectBody(upTo: context.maxUploadSize)
        var headers: [String: String] = [:]
        for field in request.headers {
            let name = field.name.canonicalName.lowercased()
            headers[name] = headers[name].map { "\($0), \(field.value)" } ?? field.value
        }
        let host = request.head.authority ?? headers["host"] ?? "127.0.0.1"
        let simRequest = SimRequest(
            method: request.method.rawValue, path: request.uri.path, query: request.uri.query, headers: headers,
            body: Array(buffer: buffer), origin: "\(scheme)://\(host)")
        let response = await simulator.handle(simRequest)
        if response.dropConnection {
            try? await context.channel.close()
            throw CancellationError()
        }
        var fields = HTTPFields()
        for (name, value) in response.headers {
            if let fieldName = HTTPField.Name(name) { fields.append(HTTPField(name: fieldName, value: value)) }
        }
        return Response(status: .init(code: response.status), headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: response.body)))
    }
}

extension Simulator {
    /// TLS settings from PEM files, for serving HTTPS (SDKs such as msal refuse an http authority).
    public static func tlsConfiguration(certificateFile: String, keyFile: String) throws -> TLSConfiguration {
        let certificates = try NIOSSLCertificate.fromPEMFile(certificateFile)
        let key = try NIOSSLPrivateKey(file: keyFile, format: .pem)
        return TLSConfiguration.makeServerConfiguration(
            certificateChain: certificates.map { .certificate($0) }, privateKey: .privateKey(key))
    }

    /// A self-signed certificate for 127.0.0.1 and localhost, for tests and local HTTPS.
    public static func selfSignedTLS(
        now: Date = Date()
    ) throws -> (configuration: TLSConfiguration, certificatePEM: String, privateKeyPEM: String) {
        let generated = try SelfSignedCertificate.generate(
            commonName: "127.0.0.1", subjectAlternativeNames: ["127.0.0.1", "localhost"], now: now)
        let certificate = try NIOSSLCertificate(bytes: Array(generated.certificatePEM.utf8), format: .pem)
        let key = try NIOSSLPrivateKey(bytes: Array(generated.privateKeyPEM.utf8), format: .pem)
        return (
            TLSConfiguration.makeServerConfiguration(certificateChain: [.certificate(certificate)], privateKey: .privateKey(key)),
            generated.certificatePEM, generated.privateKeyPEM
        )
    }

    /// The HTTP application serving every simulated endpoint; run it as a `Service`.
    public func makeApplication(
        host: String, port: Int, tls: TLSConfiguration? = nil, logger: Logger? = nil,
        onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) throws -> some ApplicationProtocol {
        var serverLogger = logger ?? Logger(label: "m365-simulator.http")
        if logger == nil { serverLogger.logLevel = .critical }
        let responder = SimulatorResponder(simulator: self, scheme: tls == nil ? "http" : "https")
        let server: HTTPServerBuilder = try tls.map { try .tls(.http1(), tlsConfiguration: $0) } ?? .http1()
        return Application(
            responder: responder, server: server,
            configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: "Microsoft-IIS/10.0"),
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? port) },
            logger: serverLogger)
    }

    /// Runs the simulator on a loopback port for the duration of `body`, then shuts it down.
    ///
    /// `body` receives the base URL (`http://127.0.0.1:PORT` or `https://…`).
    public func withServer<T: Sendable>(
        host: String = "127.0.0.1", port: Int = 0, tls: TLSConfiguration? = nil, _ body: @Sendable (String) async throws -> T
    ) async throws -> T {
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let application = try makeApplication(host: host, port: port, tls: tls) { port in continuation.yield(port) }
        var quiet = Logger(label: "m365-simulator.lifecycle")
        quiet.logLevel = .critical
        let group = ServiceGroup(configuration: .init(services: [application], logger: quiet))
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var iterator = ports.makeAsyncIterator()
            guard let boundPort = await iterator.next() else { throw CancellationError() }
            let scheme = tls == nil ? "http" : "https"
            do {
                let result = try await body("\(scheme)://\(host):\(boundPort)")
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
