import ArgumentParser
import AsyncHTTPClient
import Foundation
import M365Simulator
import NIOCore
import NIOFoundationCompat
import NIOHTTP1

struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Benchmarks that print figures (not tests).",
        subcommands: [SimulatorBench.self]
    )
}

/// Measures how many simple authenticated Graph GETs per second the simulator serves on loopback,
/// so we know it is never the bottleneck of another measurement.
struct SimulatorBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sim", abstract: "Requests per second of authenticated GET /v1.0/users/{id} against an in-process simulator.")

    @Option(help: "Total requests.")
    var requests = 20_000

    @Option(help: "Concurrent connections.")
    var concurrency = 32

    func run() async throws {
        let simulator = try Simulator()
        try simulator.loadDemoTenants()
        guard let contoso = simulator.tenantSummaries().first(where: { $0.name == "Contoso" }),
            let app = contoso.apps.first(where: { $0.graphPermissions.contains("User.ReadWrite.All") })
        else { throw ValidationError("demo tenant has no full-access app") }
        let total = requests
        let workers = concurrency
        try await simulator.withServer { baseURL in
            var configuration = HTTPClient.Configuration()
            configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = workers
            let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
            defer { _ = client.shutdown() }
            let token = try await Self.token(client: client, baseURL: baseURL, tenantId: contoso.tenantId, app: app)
            let userId = try await Self.firstUserId(client: client, baseURL: baseURL, token: token)
            let url = "\(baseURL)/v1.0/users/\(userId)?$select=id,displayName"
            let started = ContinuousClock.now
            let failures = try await withThrowingTaskGroup(of: Int.self) { group in
                for worker in 0..<workers {
                    group.addTask {
                        var failed = 0
                        var index = worker
                        while index < total {
                            var request = HTTPClientRequest(url: url)
                            request.headers.add(name: "Authorization", value: "Bearer \(token)")
                            let response = try await client.execute(request, timeout: .seconds(30))
                            _ = try await response.body.collect(upTo: 1 << 20)
                            if response.status != .ok { failed += 1 }
                            index += workers
                        }
                        return failed
                    }
                }
                return try await group.reduce(0, +)
            }
            let elapsed = ContinuousClock.now - started
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            print("simulator: \(total) authenticated GETs, \(workers) connections, \(String(format: "%.2f", seconds)) s")
            print(String(format: "  %.0f requests/second, %d non-200", Double(total) / seconds, failures))
            try await client.shutdown()
        }
    }

    static func token(client: HTTPClient, baseURL: String, tenantId: String, app: Simulator.AppSummary) async throws -> String {
        var request = HTTPClientRequest(url: "\(baseURL)/\(tenantId)/oauth2/v2.0/token")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        let form = "grant_type=client_credentials&client_id=\(app.clientId)&client_secret=\(app.clientSecret)&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default"
        request.body = .bytes(ByteBuffer(string: form))
        let response = try await client.execute(request, timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 1 << 20)
        let json = try JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any]
        guard let token = json?["access_token"] as? String else { throw ValidationError("no token: \(String(buffer: body))") }
        return token
    }

    static func firstUserId(client: HTTPClient, baseURL: String, token: String) async throws -> String {
        var request = HTTPClientRequest(url: "\(baseURL)/v1.0/users?$top=1&$select=id")
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        let response = try await client.execute(request, timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 1 << 20)
        let json = try JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any]
        guard let first = (json?["value"] as? [[String: Any]])?.first?["id"] as? String else {
            throw ValidationError("no users: \(String(buffer: body))")
        }
        return first
    }
}
