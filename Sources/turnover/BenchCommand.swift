import ArgumentParser
import AsyncHTTPClient
import Foundation
import M365Simulator
import MicrosoftGraph
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import TurnoverCore
import TurnoverEngine
import TurnoverStore

struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Benchmarks that print figures (not tests).",
        subcommands: [SimulatorBench.self, ClientBench.self, OffboardBench.self]
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
        // Throttling off: this measures the simulator's own capacity, not Microsoft's budgets.
        var settings = SimulatorSettings()
        settings.throttling.enabled = false
        let simulator = try Simulator(settings: settings)
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
        let form =
            "grant_type=client_credentials&client_id=\(app.clientId)&client_secret=\(app.clientSecret)&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default"
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

/// 1,000 user reads through the MicrosoftGraph client: requests per second and how well auto-batching packs them.
struct ClientBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "client",
        abstract: "Reads through the MicrosoftGraph client against an in-process simulator; prints req/s and batching ratio.")

    @Option(help: "Number of user reads.")
    var reads = 1_000

    @Option(name: .customLong("latency-ms"), help: "Simulated latency per HTTP request.")
    var latencyMilliseconds = 0

    @Option(help: "Concurrent callers.")
    var concurrency = 100

    func run() async throws {
        var settings = SimulatorSettings()
        settings.latencyMilliseconds = latencyMilliseconds
        let simulator = try Simulator(settings: settings)
        try simulator.loadDemoTenants()
        let contoso = simulator.tenantSummaries().first { $0.name == "Contoso" }!
        let app = contoso.apps.first { !$0.displayName.contains("read-only") }!
        let total = reads
        let callers = concurrency
        try await simulator.withServer { baseURL in
            let http = HTTPClient(eventLoopGroupProvider: .singleton)
            let telemetry = ClientTelemetry()
            let client = MicrosoftClient(
                connection: app.connection(name: "Contoso", tenantId: contoso.tenantId, simulatorURL: baseURL),
                transport: .asyncHTTPClient(http),
                telemetry: telemetry)
            let ids = try await client.graphAll("/users?$select=id", as: GraphUser.self).map(\.id)
            let before = telemetry.total()
            let started = ContinuousClock.now
            try await withThrowingTaskGroup(of: Void.self) { group in
                for worker in 0..<callers {
                    group.addTask {
                        var index = worker
                        while index < total {
                            _ = try await client.user(ids[index % ids.count], select: ["id", "displayName"])
                            index += callers
                        }
                    }
                }
                try await group.waitForAll()
            }
            let elapsed = ContinuousClock.now - started
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            let after = telemetry.total()
            let requests = after.httpRequests - before.httpRequests
            print("client: \(total) user reads, \(callers) concurrent callers, latency \(latencyMilliseconds) ms")
            print(String(format: "  %.2f s, %.0f reads/second", seconds, Double(total) / seconds))
            print(
                String(
                    format: "  %d HTTP requests (%d batches), batching ratio %.1f reads per request, %d retries",
                    requests, after.batches - before.batches, Double(total) / Double(max(requests, 1)), after.retries - before.retries))
            try await http.shutdown()
        }
    }
}

/// Whole offboardings against an in-process simulator at a chosen latency: HTTP requests, how many
/// round trips had to happen one after another, wall time, and how soon the leaver was contained.
struct OffboardBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "offboard",
        abstract:
            "Offboard demo users against an in-process simulator; prints requests, sequential round trips, wall time and time to containment."
    )

    @Option(name: .customLong("latency-ms"), help: "Simulated latency per HTTP request.")
    var latencyMilliseconds = 50

    @Option(name: .customLong("conversion-ms"), help: "How long Exchange takes to report a converted mailbox as shared.")
    var conversionMilliseconds = 3_000

    @Option(name: .customLong("user"), help: "A demo user to offboard (repeatable).")
    var users: [String] = [
        "ben.carter@contoso.com", "chloe.diaz@contoso.com", "grace.hall@contoso.com", "yusuf.adams@contoso.com", "laura.nash@contoso.com",
    ]

    @Flag(help: "Also list each run's HTTP requests with their round trip.")
    var trace = false

    func run() async throws {
        var settings = SimulatorSettings()
        settings.latencyMilliseconds = latencyMilliseconds
        settings.mailboxConversionDelayMilliseconds = conversionMilliseconds
        let simulator = try Simulator(settings: settings)
        try simulator.loadDemoTenants()
        let contoso = simulator.tenantSummaries().first { $0.name == "Contoso" }!
        let app = contoso.apps.first { !$0.displayName.contains("read-only") }!
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("turnover-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try await SQLiteStore.open(path: directory.appendingPathComponent("turnover.sqlite").path)
        let users = self.users, latency = latencyMilliseconds, conversion = conversionMilliseconds, trace = self.trace
        try await simulator.withServer { baseURL in
            let http = HTTPClient(eventLoopGroupProvider: .singleton)
            let client = MicrosoftClient(
                connection: app.connection(name: "Contoso", tenantId: contoso.tenantId, simulatorURL: baseURL),
                transport: .asyncHTTPClient(http))
            print("offboard: latency \(latency) ms per request, mailbox conversion \(conversion) ms")
            print("  user                       phase  requests  sequential  wall s   contained at")
            for upn in users {
                let beforePlan = simulator.requestLog().last?.sequence ?? 0
                let planStarted = ContinuousClock.now
                var policy = Policy()
                policy.breakGlass = ["breakglass01@contoso.onmicrosoft.com"]
                policy.successor = "nina.ortiz@contoso.com"
                let (plan, snapshot) = try await Offboarding.plan(client: client, upn: upn, policy: policy, tenant: "Contoso")
                let planSeconds = Self.seconds(ContinuousClock.now - planStarted)
                let planTrips = RoundTrips(simulator.requestLog(since: beforePlan))
                let record = try await Offboarding.createRun(store: store, plan: plan, snapshot: snapshot, operator_: "bench")
                let beforeRun = simulator.requestLog().last?.sequence ?? 0
                let runStarted = ContinuousClock.now
                let run = try await Runner(store: store, client: client).execute(record.id)
                let runSeconds = Self.seconds(ContinuousClock.now - runStarted)
                let runTrips = RoundTrips(simulator.requestLog(since: beforeRun))
                let containedAfter = run.containedAt.flatMap { contained in run.startedAt.map { contained.timeIntervalSince($0) } }
                let containmentTrip = runTrips.depth { entry in
                    (entry.method == "PATCH" && entry.body?.contains("accountEnabled") == true)
                        || entry.path.contains("revokeSignInSessions")
                }
                let name = upn.padding(toLength: 26, withPad: " ", startingAt: 0)
                print(
                    "  \(name) plan   \(Self.column(planTrips.requests, 8))  \(Self.column(planTrips.sequential, 10))  \(String(format: "%6.2f", planSeconds))"
                )
                print(
                    "  \(name) run    \(Self.column(runTrips.requests, 8))  \(Self.column(runTrips.sequential, 10))  \(String(format: "%6.2f", runSeconds))   "
                        + "\(containedAfter.map { String(format: "%.3f s", $0) } ?? "-") (round trip \(containmentTrip.map(String.init) ?? "-"))  "
                        + "\(runTrips.mailboxReadsAfterConversion) Get-Mailbox after the conversion request; \(Report.headline(run))")
                if trace { runTrips.trace().forEach { print("      " + $0) } }
            }
            try await http.shutdown()
        }
        try await store.close()
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    static func column(_ value: Int, _ width: Int) -> String {
        String(repeating: " ", count: max(0, width - String(value).count)) + String(value)
    }
}
