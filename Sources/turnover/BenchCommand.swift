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
        subcommands: [
            SimulatorBench.self, ClientBench.self, OffboardBench.self, RightsBench.self, ServeBench.self, ConsoleBench.self, PSABench.self,
        ]
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

/// Whole offboardings against an in-process simulator at a chosen latency, measured as a technician
/// sees them: from the command's start (a fresh client, so token requests count) to the printed
/// report, with planning, the run, and the time spent writing to the store.
struct OffboardBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "offboard",
        abstract:
            "Offboard demo users against an in-process simulator; prints requests, sequential round trips, wall time, store share and time to containment."
    )

    @Option(name: .customLong("latency-ms"), help: "Simulated latency per HTTP request, for every service not set below.")
    var latencyMilliseconds = 50
    @Option(name: .customLong("token-ms"), help: "Latency of the token endpoint.") var tokenMilliseconds: Int?
    @Option(name: .customLong("graph-ms"), help: "Latency of Graph.") var graphMilliseconds: Int?
    @Option(name: .customLong("exchange-ms"), help: "Latency of Exchange's admin API.") var exchangeMilliseconds: Int?

    @Option(name: .customLong("conversion-ms"), help: "How long Exchange takes to report a converted mailbox as shared.")
    var conversionMilliseconds = 3_000

    @Option(name: .customLong("set"), help: "A policy override, key=value, as for `offboard` (for example steps=all). Repeatable.")
    var overrides: [String] = []
    @Option(name: .customLong("user"), help: "A demo user to offboard (repeatable).")
    var users: [String] = [
        "ben.carter@contoso.com", "chloe.diaz@contoso.com", "grace.hall@contoso.com", "yusuf.adams@contoso.com", "laura.nash@contoso.com",
    ]

    @Flag(help: "Also list each offboarding's HTTP requests with their round trip.")
    var trace = false

    func run() async throws {
        var settings = SimulatorSettings()
        settings.latencyMilliseconds = latencyMilliseconds
        settings.serviceLatency.tokenMilliseconds = tokenMilliseconds
        settings.serviceLatency.graphMilliseconds = graphMilliseconds
        settings.serviceLatency.exchangeMilliseconds = exchangeMilliseconds
        settings.mailboxConversionDelayMilliseconds = conversionMilliseconds
        let simulator = try Simulator(settings: settings)
        try simulator.loadDemoTenants()
        let contoso = simulator.tenantSummaries().first { $0.name == "Contoso" }!
        let app = contoso.apps.first { !$0.displayName.contains("read-only") }!
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("turnover-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = TimedStore(try await SQLiteStore.open(path: directory.appendingPathComponent("turnover.sqlite").path))
        let users = self.users, trace = self.trace, conversion = conversionMilliseconds, overrides = self.overrides
        let latencies = [
            ("token", settings.latencyMilliseconds(for: .token)), ("graph", settings.latencyMilliseconds(for: .graph)),
            ("exchange", settings.latencyMilliseconds(for: .exchange)),
        ].map { "\($0.0) \($0.1) ms" }.joined(separator: ", ")
        try await simulator.withServer { baseURL in
            let http = HTTPClient(eventLoopGroupProvider: .singleton)
            print("offboard: latency \(latencies); mailbox conversion \(conversion) ms")
            print("  whole command, from a fresh client (tokens included) to the printed report")
            print("  user                       requests  sequential  plan trips  wall s  store %   contained at")
            for upn in users {
                let before = simulator.requestLog().last?.sequence ?? 0
                await store.reset()
                let started = ContinuousClock.now
                let client = MicrosoftClient(
                    connection: app.connection(name: "Contoso", tenantId: contoso.tenantId, simulatorURL: baseURL),
                    transport: .asyncHTTPClient(http))
                var policy = Policy()
                policy.breakGlass = ["breakglass01@contoso.onmicrosoft.com"]
                policy.successor = "nina.ortiz@contoso.com"
                try policy.apply(overrides: overrides)
                let service = OffboardingService(store: store, client: client, tenantName: "Contoso")
                let proposal = try await service.plan(upn, policy: policy)
                let planned = simulator.requestLog().last?.sequence ?? 0
                let record = try await service.record(proposal, operator: "bench")
                let run = try await service.execute(record.id)
                let report = Report.markdown(run)
                let wall = Self.seconds(ContinuousClock.now - started)
                let storeSeconds = await store.writeSeconds
                let trips = RoundTrips(simulator.requestLog(since: before))
                let planTrips = RoundTrips(simulator.requestLog(since: before).filter { $0.sequence <= planned })
                let containedAfter = run.containedAt.flatMap { contained in run.startedAt.map { contained.timeIntervalSince($0) } }
                let containmentTrip = trips.depth { entry in
                    (entry.method == "PATCH" && entry.body?.contains("accountEnabled") == true)
                        || entry.path.contains("revokeSignInSessions")
                }
                let name = upn.padding(toLength: 26, withPad: " ", startingAt: 0)
                print(
                    "  \(name) \(Self.column(trips.requests, 8))  \(Self.column(trips.sequential, 10))  \(Self.column(planTrips.sequential, 10))  "
                        + String(format: "%6.2f  %5.1f   ", wall, 100 * storeSeconds / max(wall, 0.000_001))
                        + "\(containedAfter.map { String(format: "%.3f s", $0) } ?? "-") (round trip \(containmentTrip.map(String.init) ?? "-") of the whole command)"
                )
                print(
                    "  \(String(repeating: " ", count: 26)) \(trips.mailboxReadsAfterConversion) Get-Mailbox after the conversion request; \(Report.headline(run)); report \(report.count) characters"
                )
                if trace { trips.trace().forEach { print("      " + $0) } }
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

/// A store that measures the wall time during which at least one of its writes is in flight, for
/// the bench's store share (concurrent steps write at once; their durations must not be summed).
actor TimedStore: RunStore {
    let base: any RunStore
    private var busySeconds: Double = 0
    private var inFlight = 0
    private var busySince: ContinuousClock.Instant?
    init(_ base: any RunStore) { self.base = base }

    var writeSeconds: Double { busySeconds + (busySince.map { OffboardBench.seconds(ContinuousClock.now - $0) } ?? 0) }

    func reset() {
        busySeconds = 0
        busySince = inFlight > 0 ? ContinuousClock.now : nil
    }

    private func timed<T: Sendable>(_ body: () async throws -> T) async rethrows -> T {
        if inFlight == 0 { busySince = ContinuousClock.now }
        inFlight += 1
        defer {
            inFlight -= 1
            if inFlight == 0, let since = busySince {
                busySeconds += OffboardBench.seconds(ContinuousClock.now - since)
                busySince = nil
            }
        }
        return try await body()
    }

    func saveTenant(_ tenant: StoredTenant) async throws { try await timed { try await base.saveTenant(tenant) } }
    func tenant(named name: String) async throws -> StoredTenant? { try await base.tenant(named: name) }
    func tenants() async throws -> [StoredTenant] { try await base.tenants() }
    func deleteTenant(named name: String) async throws -> Bool { try await timed { try await base.deleteTenant(named: name) } }
    func createRun(_ run: RunRecord, leaseOwner: String?, until: Date?) async throws {
        try await timed { try await base.createRun(run, leaseOwner: leaseOwner, until: until) }
    }
    func updateRun(_ run: RunRecord) async throws { try await timed { try await base.updateRun(run) } }
    func updateStep(run: RunID, _ step: StepRecord) async throws { try await timed { try await base.updateStep(run: run, step) } }
    func startAttempt(run: RunID, step: StepID, number: Int, at: Date) async throws {
        try await timed { try await base.startAttempt(run: run, step: step, number: number, at: at) }
    }
    func finishAttempt(run: RunID, step: StepID, number: Int, at: Date, outcome: String) async throws {
        try await timed { try await base.finishAttempt(run: run, step: step, number: number, at: at, outcome: outcome) }
    }
    func unfinishedAttempts(run: RunID) async throws -> [StepID: Int] { try await base.unfinishedAttempts(run: run) }
    func run(_ id: RunID) async throws -> RunRecord? { try await base.run(id) }
    func runs(limit: Int, tenant: String?, userPrincipalName: String?) async throws -> [RunSummary] {
        try await base.runs(limit: limit, tenant: tenant, userPrincipalName: userPrincipalName)
    }
    func unfinishedRuns() async throws -> [RunID] { try await base.unfinishedRuns() }
    func close() async throws { try await base.close() }
}
