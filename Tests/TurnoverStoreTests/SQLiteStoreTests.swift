import Foundation
import Testing
import TurnoverCore
import TurnoverStore

func temporaryDatabase() throws -> String {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("turnover-store-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    return directory.appendingPathComponent("turnover.sqlite").path
}

func sampleRun(
    id: String = "r-1", upn: String = "ben@contoso.com", createdAt: Date = Date(timeIntervalSince1970: 1_795_000_000)
) -> RunRecord {
    let snapshot = LeaverSnapshot(
        capturedAt: createdAt, user: UserInfo(id: "u", userPrincipalName: upn, displayName: "Ben", accountEnabled: true),
        licences: [LicenceInfo(skuId: "sku", partNumber: "SPE_E3", includesExchange: true)],
        mailbox: MailboxInfo(primarySmtpAddress: upn, type: "UserMailbox", sizeBytes: 1 << 30), otherGlobalAdmins: ["amy"])
    let plan = Planner.plan(snapshot: snapshot, policy: Policy(), people: ResolvedPeople(), tenant: "contoso", now: createdAt)
    return RunRecord(id: RunID(id), plan: plan, snapshot: snapshot, createdAt: createdAt, operator_: "tech")
}

@Suite("SQLite store")
struct SQLiteStoreTests {
    @Test("a run, its steps and attempts survive closing and reopening the file")
    func roundTrip() async throws {
        let path = try temporaryDatabase()
        let run = sampleRun()
        let firstStep = try #require(run.steps.first)
        do {
            let store = try await SQLiteStore.open(path: path)
            try await store.createRun(run)
            var step = firstStep
            step.status = .running
            step.attempts = 1
            try await store.updateStep(run: run.id, step)
            try await store.startAttempt(run: run.id, step: step.id, number: 1, at: Date())
            var running = run
            running.status = .running
            running.startedAt = Date(timeIntervalSince1970: 1_795_000_010)
            try await store.updateRun(running)
            try await store.close()
        }
        let store = try await SQLiteStore.open(path: path)
        let loaded = try #require(try await store.run(run.id))
        #expect(loaded.status == .running)
        #expect(loaded.steps.map(\.id) == run.steps.map(\.id))
        #expect(loaded.steps.first?.status == .running)
        #expect(loaded.snapshot == run.snapshot)
        #expect(loaded.plan == run.plan)
        #expect(try await store.unfinishedAttempts(run: run.id) == [firstStep.id: 1])
        #expect(try await store.unfinishedRuns() == [run.id])

        try await store.finishAttempt(run: run.id, step: firstStep.id, number: 1, at: Date(), outcome: "succeeded")
        #expect(try await store.unfinishedAttempts(run: run.id).isEmpty)
        var finished = loaded
        finished.status = .partiallySucceeded
        try await store.updateRun(finished)
        #expect(try await store.unfinishedRuns().isEmpty)
        try await store.close()
    }

    @Test("runs are listed newest first; an unknown run is nil")
    func listing() async throws {
        let store = try await SQLiteStore.open(path: try temporaryDatabase())
        try await store.createRun(sampleRun(id: "r-old", createdAt: Date(timeIntervalSince1970: 1_000)))
        try await store.createRun(sampleRun(id: "r-new", upn: "chloe@contoso.com", createdAt: Date(timeIntervalSince1970: 2_000)))
        let runs = try await store.runs(limit: 10)
        #expect(runs.map(\.id) == [RunID("r-new"), RunID("r-old")])
        #expect(runs.first?.userPrincipalName == "chloe@contoso.com" && runs.first?.tenant == "contoso")
        #expect(try await store.run(RunID("r-missing")) == nil)
        let chloe = try await store.runs(limit: 10, tenant: "contoso", userPrincipalName: "CHLOE@contoso.com")
        #expect(chloe.map(\.id) == [RunID("r-new")])
        #expect(try await store.runs(limit: 10, tenant: "fabrikam", userPrincipalName: nil).isEmpty)
        await #expect(throws: (any Error).self) { try await store.createRun(sampleRun(id: "r-old")) }
        try await store.close()
    }

    @Test("a run whose steps cannot all be written is not stored at all")
    func createRunIsAtomic() async throws {
        let store = try await SQLiteStore.open(path: try temporaryDatabase())
        var broken = sampleRun(id: "r-broken")
        // The same step twice violates the steps table's key on the second insert.
        broken.steps.append(try #require(broken.steps.first))
        await #expect(throws: (any Error).self) { try await store.createRun(broken) }
        #expect(try await store.run(RunID("r-broken")) == nil)
        #expect(try await store.runs(limit: 10).isEmpty)
        // The connection is usable afterwards: the transaction was rolled back, not left open.
        try await store.createRun(sampleRun(id: "r-ok"))
        #expect(try await store.run(RunID("r-ok")) != nil)
        try await store.close()
    }

    @Test("tenants are saved, replaced, listed and deleted")
    func tenants() async throws {
        let store = try await SQLiteStore.open(path: try temporaryDatabase())
        let tenant = StoredTenant(
            name: "contoso", tenantId: "t", clientId: "c", cloud: "global", simulatorURL: nil, sealedSecret: "sealed",
            sealedCertificate: nil,
            policyYAML: nil, createdAt: Date(timeIntervalSince1970: 1_795_000_000))
        try await store.saveTenant(tenant)
        var replaced = tenant
        replaced.clientId = "c2"
        try await store.saveTenant(replaced)
        #expect(try await store.tenants() == [replaced])
        #expect(try await store.tenant(named: "contoso")?.clientId == "c2")
        #expect(try await store.deleteTenant(named: "contoso"))
        #expect(try await store.deleteTenant(named: "contoso") == false)
        #expect(try await store.tenant(named: "contoso") == nil)
        try await store.close()
    }
}
