import AsyncHTTPClient
import Foundation
import Logging
import M365Simulator
import MicrosoftGraph
import ServiceLifecycle
import Synchronization
import Testing
import TurnoverCore
import TurnoverEngine
import TurnoverStore

/// A clock the test moves: the desk and the worker decide what is due by it, so "seven days later"
/// takes no seven days. Runs themselves talk to the simulator in real time.
final class ManualClock: Sendable {
    private let current: Mutex<Date>
    init(_ start: Date) { current = Mutex(start) }
    var now: Date { current.withLock { $0 } }
    func advance(_ interval: TimeInterval) { current.withLock { $0 = $0.addingTimeInterval(interval) } }
}

/// A staged timeline (T: contain and preserve; T + 7 days: licences; T + 30 days: delete) with the
/// worker and the desk on an injected clock, against the simulator in this process.
@Suite("Staged timelines")
struct StagedTimelineTests {
    static let policy = """
        name: staged
        steps: [block-sign-in]
        breakGlass: [breakglass01@contoso.onmicrosoft.com]
        approval: {quorum: 1, expiresHours: 24}
        stages:
          - name: contain
            after: 0
            steps: [block-sign-in, revoke-sessions, convert-to-shared, grant-mailbox-access]
          - name: licences
            after: 7d
            steps: [remove-licences]
          - name: gal
            after: 14d
            steps: [hide-from-gal]
          - name: delete
            after: 30d
            steps: [delete-user]
        """

    @Test(
        "a timeline creates its stages; each stage is planned from live state at its time and approved; a cancelled stage never runs; a stage missed while the worker was stopped runs at its start and says so; a held stage waits past its time until released"
    )
    func stages() async throws {
        var settings = SimulatorSettings()
        settings.mailboxConversionDelayMilliseconds = 300
        let simulator = try Simulator(settings: settings)
        try simulator.loadDemoTenants()
        try await simulator.withServer(port: 0) { url in
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("turnover-stages-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let workspace = try await Workspace.open(
                directory.path, secretKey: Data(repeating: 3, count: 32).base64EncodedString(), database: nil)
            let contoso = try #require(simulator.tenantSummaries().first { $0.name == "Contoso" })
            let app = try #require(contoso.apps.first { !$0.displayName.contains("read-only") })
            try await workspace.store.saveTenant(
                StoredTenant(
                    name: "contoso", tenantId: contoso.tenantId, clientId: app.clientId, cloud: "simulator", simulatorURL: url,
                    sealedSecret: try workspace.secrets.seal(app.clientSecret), sealedCertificate: nil, policyYAML: Self.policy,
                    createdAt: Date()))
            let http = HTTPClient(eventLoopGroupProvider: .singleton)
            let clock = ManualClock(Date())
            let desk = OffboardingDesk(clients: TenantClients(workspace: workspace, http: http), now: { clock.now })
            var workerSettings = RunWorker.Settings()
            workerSettings.pollInterval = .milliseconds(50)
            workerSettings.runnerOptions.pollInitial = .milliseconds(100)
            var logger = Logger(label: "test.worker")
            logger.logLevel = .critical
            /// The worker in its own service group, as `turnover serve` runs it; stopped gracefully.
            final class RunningWorker: Sendable {
                let group: ServiceGroup
                let task: Task<Void, any Error>
                init(_ worker: RunWorker, logger: Logger) {
                    let group = ServiceGroup(configuration: .init(services: [worker], logger: logger))
                    self.group = group
                    task = Task { try await group.run() }
                }
                func stop() async {
                    await group.triggerGracefulShutdown()
                    _ = try? await task.value
                }
            }
            func startWorker() -> RunningWorker {
                RunningWorker(
                    RunWorker(
                        desk: desk, owner: "test-\(UUID().uuidString.prefix(4)):\(getpid()):w", settings: workerSettings, logger: logger),
                    logger: logger)
            }
            func status(_ id: OffboardingID) async throws -> OffboardingRequest {
                try #require(try await workspace.store.offboarding(id)).request
            }
            func wait(_ id: OffboardingID, until statuses: Set<OffboardingRequest.Status>) async throws -> OffboardingRequest {
                for _ in 0..<1200 {
                    let request = try await status(id)
                    if statuses.contains(request.status) { return request }
                    try await Task.sleep(for: .milliseconds(100))
                }
                Issue.record("\(id) never reached \(statuses); it is \(try await status(id).status)")
                throw CancellationError()
            }
            func user(_ upn: String) throws -> [String: Any]? {
                guard let raw = simulator.rawState(tenant: contoso.tenantId) else { return nil }
                let state = try JSONSerialization.jsonObject(with: raw) as? [String: Any]
                return (state?["users"] as? [String: [String: Any]])?.values.first { $0["userPrincipalName"] as? String == upn }
            }

            let leaver = "ben.carter@contoso.com"
            let licensed = try #require(try user(leaver)?["directLicenses"] as? [[String: Any]])
            try #require(!licensed.isEmpty, "the leaver starts with a direct licence")
            let tenant = try await desk.tenant("contoso")
            let first = try await desk.submit(
                tenant: tenant, userPrincipalName: leaver, overrides: [], confirmWipe: false, by: "tess")
            let timeline = try await desk.timeline(of: first)
            #expect(timeline.map(\.stage) == ["contain", "licences", "gal", "delete"])
            #expect(timeline.map(\.status) == [.awaitingApproval, .waiting, .waiting, .waiting])
            #expect(timeline.allSatisfy { $0.timeline == first.id })
            #expect(first.plan.runnableSteps.allSatisfy { $0.kind.rawValue != "remove-licences" && $0.kind.rawValue != "delete-user" })
            let t = first.submittedAt
            // As stored: seconds since 1970 in a double, so compared to the millisecond.
            #expect(abs((timeline[1].runAt ?? .distantPast).timeIntervalSince(t.addingTimeInterval(7 * 86_400))) < 0.001)
            #expect(abs((timeline[3].runAt ?? .distantPast).timeIntervalSince(t.addingTimeInterval(30 * 86_400))) < 0.001)
            #expect(timeline[1].plan.steps.isEmpty, "a later stage is planned at its time, not now")

            // T: the first stage is approved and runs; the licence stays (it is the next stage's).
            _ = try await desk.approve(first.id, by: "ada", planHash: first.planHash, dropSteps: [], comment: nil)
            var worker = startWorker()
            _ = try await wait(first.id, until: [.succeeded, .partiallySucceeded, .failed])
            #expect(try await status(first.id).status == .succeeded)
            #expect(try user(leaver)?["accountEnabled"] as? Bool == false)
            #expect(!((try user(leaver)?["directLicenses"] as? [[String: Any]]) ?? []).isEmpty, "stage one leaves the licences")
            #expect(try await status(timeline[1].id).status == .waiting, "the licences stage waits for its day")

            // The GAL stage is held; the delete stage is cancelled; the worker is stopped before the licences stage is due.
            let held = try await desk.hold(timeline[2].id, by: "tess", reason: "HR asks to keep him in the address book for now")
            #expect(held.status == .held && held.holding?.operator_ == "tess")
            _ = try await desk.cancel(timeline[3].id, by: "tess", reason: "legal hold: keep the account")
            await worker.stop()

            // Eight days later the service starts again: the licences stage, missed, is planned now and says so.
            clock.advance(8 * 86_400)
            worker = startWorker()
            let planned = try await wait(timeline[1].id, until: [.awaitingApproval, .blocked])
            #expect(planned.status == .awaitingApproval, "planned from live state (the mailbox is shared now): \(planned.plan.blockers)")
            #expect(planned.plan.runnableSteps.map(\.kind.rawValue) == ["remove-licences"])
            #expect(planned.notes.contains { $0.contains("late: the service was not running") })
            _ = try await desk.approve(planned.id, by: "ada", planHash: planned.planHash, dropSteps: [], comment: nil)
            let licences = try await wait(planned.id, until: [.succeeded, .partiallySucceeded, .failed])
            #expect(licences.status == .succeeded)
            #expect(((try user(leaver)?["directLicenses"] as? [[String: Any]]) ?? []).isEmpty, "the licences stage removed them")
            let runId = try #require(licences.runId)
            let run = try #require(try await workspace.store.run(runId))
            #expect(run.schedule?.contains { $0.contains("late") } == true, "the run's record says it was late: \(run.schedule ?? [])")

            // T + 15 days: the GAL stage's time has passed, but it is held: not planned, Ben still listed.
            func hiddenFromGAL() throws -> Bool? {
                guard let raw = simulator.rawState(tenant: contoso.tenantId) else { return nil }
                return try SimulatorState(data: raw).mailbox(leaver)?["hiddenFromAddressListsEnabled"] as? Bool
            }
            clock.advance(7 * 86_400)
            try await Task.sleep(for: .seconds(1))
            let stillHeld = try await status(timeline[2].id)
            #expect(stillHeld.status == .held && stillHeld.plan.steps.isEmpty, "a held stage is not planned at its time")
            #expect(try hiddenFromGAL() == false)
            // Released: planned now from live state (not reported late: it was held, not missed), approved, run.
            _ = try await desk.release(timeline[2].id, by: "ada")
            let gal = try await wait(timeline[2].id, until: [.awaitingApproval, .blocked])
            #expect(gal.plan.runnableSteps.map(\.kind.rawValue) == ["hide-from-gal"], "\(gal.plan.blockers)")
            #expect(!gal.notes.contains { $0.contains("late: the service was not running") }, "\(gal.notes)")
            #expect(gal.notes.contains { $0.hasPrefix("Held by tess") } && gal.notes.contains { $0.hasPrefix("Released by ada") })
            _ = try await desk.approve(gal.id, by: "ada", planHash: gal.planHash, dropSteps: [], comment: nil)
            #expect(try await wait(gal.id, until: [.succeeded, .partiallySucceeded, .failed]).status == .succeeded)
            #expect(try hiddenFromGAL() == true, "the released stage ran")

            // Past T + 30 days: the cancelled stage never runs; the account still exists.
            clock.advance(30 * 86_400)
            try await Task.sleep(for: .seconds(1))
            let cancelled = try await status(timeline[3].id)
            #expect(cancelled.status == .cancelled && cancelled.runId == nil)
            #expect(try user(leaver) != nil, "the cancelled delete stage deleted nobody")
            await worker.stop()
            try await http.shutdown()
            try await workspace.store.close()
        }
    }
}
