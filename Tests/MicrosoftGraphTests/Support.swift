import AsyncHTTPClient
import Foundation
import M365Simulator
import MicrosoftGraph
import NIOCore
import NIOFoundationCompat
import NIOHTTP1

/// A simulator on loopback plus clients for its tenants, over real HTTP.
struct Lab {
    let simulator: Simulator
    let baseURL: String
    let http: HTTPClient

    static func run(
        demo: Bool = true, generated: Int = 0, configure: (inout SimulatorSettings) -> Void = { _ in },
        _ body: @Sendable (Lab) async throws -> Void
    ) async throws {
        var settings = SimulatorSettings()
        settings.selfCheck = true
        configure(&settings)
        let simulator = try Simulator(settings: settings)
        if demo { try simulator.loadDemoTenants() }
        if generated > 0 { _ = try simulator.generateTenants(count: generated, usersPerTenant: 30) }
        try await simulator.withServer { baseURL in
            var configuration = HTTPClient.Configuration()
            configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 64
            let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
            do {
                try await body(Lab(simulator: simulator, baseURL: baseURL, http: http))
                try await http.shutdown()
            } catch {
                try? await http.shutdown()
                throw error
            }
        }
    }

    func tenant(_ name: String) -> Simulator.TenantSummary { simulator.tenantSummaries().first { $0.name == name }! }

    func client(
        _ tenantName: String = "Contoso", readOnly: Bool = false, certificate: Bool = false, options: ClientOptions = ClientOptions(),
        telemetry: ClientTelemetry = ClientTelemetry()
    ) -> MicrosoftClient {
        let tenant = tenant(tenantName)
        let app = tenant.apps.first { $0.displayName.contains("read-only") == readOnly }!
        let credential: ClientCredential =
            certificate ? .certificate(certificatePEM: app.certificatePEM!, privateKeyPEM: app.privateKeyPEM!) : .secret(app.clientSecret)
        return MicrosoftClient(
            connection: TenantConnection(
                name: tenant.name, tenantId: tenant.tenantId, clientId: app.clientId, credential: credential,
                cloud: .simulator(URL(string: baseURL)!)),
            transport: .asyncHTTPClient(http), options: options, telemetry: telemetry)
    }

    func control(_ method: String, _ path: String, json: Any? = nil) async throws -> Any? {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = .init(rawValue: method)
        if let json {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(.init(data: try JSONSerialization.data(withJSONObject: json)))
        }
        let response = try await http.execute(request, timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 256 << 20)
        return try? JSONSerialization.jsonObject(with: Data(buffer: body))
    }

    func requestLog() async throws -> [[String: Any]] { try await control("GET", "/_sim/requests") as? [[String: Any]] ?? [] }
}
