import ArgumentParser
import AsyncHTTPClient
import Foundation
import M365Simulator
import MicrosoftGraph
import TurnoverCore
import TurnoverEngine

/// What the live reverse lookup of a leaver's rights on other mailboxes costs on a large tenant:
/// Send As and Send on Behalf come back with round one, Full Access and calendar rights need a
/// question per mailbox.
struct RightsBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rights",
        abstract: "Reverse lookup of one leaver's rights on other mailboxes in a generated tenant; prints requests and time.")

    @Option(help: "Mailboxes in the generated tenant.") var mailboxes = 5_000
    @Option(name: .customLong("latency-ms"), help: "Simulated latency per HTTP request.") var latencyMilliseconds = 50
    @Option(
        name: .customLong("exchange-per-minute"),
        help: "Exchange commands the simulator allows per minute (its default models Exchange's throttling); 0 turns throttling off.")
    var exchangePerMinute: Int?

    func run() async throws {
        var settings = SimulatorSettings()
        settings.latencyMilliseconds = latencyMilliseconds
        if let exchangePerMinute {
            if exchangePerMinute == 0 {
                settings.throttling.enabled = false
            } else {
                settings.throttling.exchangeCommandsPerMinute = exchangePerMinute
            }
        }
        let simulator = try Simulator(settings: settings)
        let fixture = FixtureGenerator.fixtures(tenants: 1, usersPerTenant: mailboxes, seed: 42)[0]
        let summary = try simulator.load(fixture)
        let app = summary.apps[0]
        let budget =
            settings.throttling.enabled ? "\(settings.throttling.exchangeCommandsPerMinute) Exchange commands/min" : "no throttling"
        try await simulator.withServer { baseURL in
            let http = HTTPClient(eventLoopGroupProvider: .singleton)
            let telemetry = ClientTelemetry()
            let client = MicrosoftClient(
                connection: app.connection(name: summary.name, tenantId: summary.tenantId, simulatorURL: baseURL),
                transport: .asyncHTTPClient(http), telemetry: telemetry)
            // Every generated user has a mailbox, and about one in ten grants the next one Full Access.
            let upn = fixture.users[1].upn ?? ""
            let reader = StateReader(client: client)
            _ = try await reader.read(upn)  // tokens and connections warm
            for rightsElsewhere in [false, true] {
                let before = simulator.requestLog().last?.sequence ?? 0
                let started = ContinuousClock.now
                let snapshot = try await reader.read(upn, rightsElsewhere: rightsElsewhere)
                let elapsed = OffboardBench.seconds(ContinuousClock.now - started)
                let log = simulator.requestLog(since: before)
                let trips = RoundTrips(log)
                let commands = log.filter { $0.service.hasPrefix("exchange") && !$0.path.hasSuffix("$batch") }.count
                let throttled = log.filter { $0.status == 429 }.count
                print(
                    rightsElsewhere
                        ? "rights lookup on \(mailboxes) mailboxes at \(latencyMilliseconds) ms, \(budget):"
                        : "snapshot without the lookup, same tenant:")
                print(
                    String(
                        format: "  %.2f s, %d HTTP requests, %d Exchange commands, %d sequential round trips, %d throttled (429)", elapsed,
                        trips.requests, commands, trips.sequential, throttled))
                if rightsElsewhere {
                    let rights = snapshot.rightsElsewhere ?? []
                    print("  found \(rights.count) right(s): \(rights.map(\.description).joined(separator: "; "))")
                }
            }
            try await http.shutdown()
        }
    }
}
