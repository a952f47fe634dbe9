import Foundation
import Logging
import SQLiteKit
import Testing
import TurnoverCore
import TurnoverStore

/// What every store must do for `turnover serve`: leases, versions, the atomic start of a run, the
/// audit chain, migrations. Each test runs against every store this machine can reach.
enum StoreKind: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite
    /// Run when `TURNOVER_TEST_POSTGRES` names a server (scripts/with-postgres starts one).
    case postgres
    var testDescription: String { rawValue }

    static var server: String? { ProcessInfo.processInfo.environment["TURNOVER_TEST_POSTGRES"] }
    static var available: [StoreKind] { server == nil ? [.sqlite] : [.sqlite, .postgres] }

    func open() async throws -> any TurnoverStore {
        switch self {
        case .sqlite: return try await SQLiteStore.open(path: try temporaryDatabase())
        case .postgres: return try await PostgresStore.open(url: try await Self.freshDatabase())
        }
    }

    /// A new, empty database on the test server, for one test.
    static func freshDatabase() async throws -> String {
        let server = try #require(server)
        let name = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        try await PostgresStore.execute("CREATE DATABASE \(name)", url: server)
        return server.replacingOccurrences(of: "/postgres?", with: "/\(name)?")
    }
}

func sampleOffboarding(_ id: String = "o-1", at: Date = Date(timeIntervalSince1970: 1_795_000_000)) -> OffboardingRequest {
    let run = sampleRun(createdAt: at)
    return OffboardingRequest(
        id: OffboardingID(id), tenant: "contoso", plan: run.plan, snapshot: run.snapshot, planHash: "h", submittedBy: "tess",
        submittedAt: at, approval: Policy.Approval(), overrides: [], confirmedWipe: false)
}

@Suite("Store contract")
struct StoreContractTests {
    let now = Date(timeIntervalSince1970: 1_795_000_000)

    @Test(
        "a lease goes to one owner; another gets it only once it expires, and the loser's heartbeat says so", arguments: StoreKind.available
    )
    func leases(_ kind: StoreKind) async throws {
        let store = try await kind.open()
        try await store.createRun(sampleRun(id: "r-lease"))
        let first = try await store.claim(.runs, id: nil, owner: "a", until: now.addingTimeInterval(30), now: now)
        #expect(first == "r-lease")
        #expect(try await store.claim(.runs, id: nil, owner: "b", until: now.addingTimeInterval(30), now: now) == nil)
        #expect(try await store.heartbeat(.runs, id: "r-lease", owner: "a", until: now.addingTimeInterval(60)))
        // a's lease (renewed to +60 s) expires; b takes the work over.
        let later = now.addingTimeInterval(61)
        #expect(try await store.claim(.runs, id: nil, owner: "b", until: later.addingTimeInterval(30), now: later) == "r-lease")
        #expect(try await store.heartbeat(.runs, id: "r-lease", owner: "a", until: later.addingTimeInterval(60)) == false)
        try await store.release(.runs, id: "r-lease", owner: "a")  // not a's to release any more
        #expect(try await store.claim(.runs, id: nil, owner: "c", until: later.addingTimeInterval(30), now: later) == nil)
        try await store.release(.runs, id: "r-lease", owner: "b")
        #expect(try await store.claim(.runs, id: "r-lease", owner: "c", until: later.addingTimeInterval(30), now: later) == "r-lease")
        try await store.releaseAll(owner: "c")
        #expect(try await store.reapExpiredLeases(now: later) == 0)
        try await store.close()
    }

    @Test("finished runs and sandbox runs are never claimed; an expired lease is reaped", arguments: StoreKind.available)
    func readiness(_ kind: StoreKind) async throws {
        let store = try await kind.open()
        var done = sampleRun(id: "r-done")
        done.status = .succeeded
        try await store.createRun(done)
        var sandbox = sampleRun(id: "r-sandbox")
        sandbox.tenant = "sandbox"
        try await store.createRun(sandbox)
        #expect(try await store.claim(.runs, id: nil, owner: "a", until: now.addingTimeInterval(30), now: now) == nil)
        try await store.createRun(sampleRun(id: "r-open"))
        #expect(try await store.claim(.runs, id: nil, owner: "a", until: now.addingTimeInterval(30), now: now) == "r-open")
        #expect(try await store.reapExpiredLeases(now: now.addingTimeInterval(31)) == 1)
        #expect(
            try await store.claim(.runs, id: nil, owner: "b", until: now.addingTimeInterval(60), now: now.addingTimeInterval(31))
                == "r-open")
        try await store.close()
    }

    @Test("an offboarding saved by someone else meanwhile is not overwritten", arguments: StoreKind.available)
    func versions(_ kind: StoreKind) async throws {
        let store = try await kind.open()
        try await store.createOffboarding(sampleOffboarding())
        let (read, version) = try #require(try await store.offboarding("o-1"))
        var approved = read
        approved.status = .approved
        var cancelled = read
        cancelled.status = .cancelled
        #expect(try await store.updateOffboarding(approved, expectedVersion: version))
        #expect(try await store.updateOffboarding(cancelled, expectedVersion: version) == false)
        #expect(try await store.offboarding("o-1")?.request.status == .approved)
        #expect(try await store.claim(.offboardings, id: nil, owner: "w", until: now.addingTimeInterval(30), now: now) == "o-1")
        try await store.close()
    }

    @Test("starting a run stores it and marks the offboarding running in one step, or does neither", arguments: StoreKind.available)
    func startRun(_ kind: StoreKind) async throws {
        let store = try await kind.open()
        try await store.createOffboarding(sampleOffboarding())
        let (read, version) = try #require(try await store.offboarding("o-1"))
        var running = read
        running.status = .running
        running.runId = "r-started"
        #expect(try await store.startRun(sampleRun(id: "r-started"), for: running, expectedVersion: version, leaseOwner: "w", until: now))
        #expect(try await store.run("r-started") != nil)
        #expect(try await store.offboarding("o-1")?.request.runId == "r-started")
        // A stale version starts nothing.
        #expect(
            try await store.startRun(sampleRun(id: "r-second"), for: running, expectedVersion: version, leaseOwner: "w", until: now)
                == false)
        #expect(try await store.run("r-second") == nil)
        try await store.close()
    }

    @Test("offboardings list newest first, filtered and paged", arguments: StoreKind.available)
    func listing(_ kind: StoreKind) async throws {
        let store = try await kind.open()
        for number in 1...5 {
            var request = sampleOffboarding("o-2026120\(number)", at: now.addingTimeInterval(Double(number)))
            if number == 3 { request.tenant = "fabrikam" }
            try await store.createOffboarding(request)
        }
        let first = try await store.offboardings(OffboardingFilter(), limit: 2, after: nil)
        #expect(first.map(\.id.rawValue) == ["o-20261205", "o-20261204"])
        let next = try await store.offboardings(OffboardingFilter(), limit: 2, after: first.last?.id)
        #expect(next.map(\.id.rawValue) == ["o-20261203", "o-20261202"])
        let scoped = try await store.offboardings(OffboardingFilter(tenants: ["contoso"]), limit: 10, after: nil)
        #expect(!scoped.map(\.tenant).contains("fabrikam") && scoped.count == 4)
        try await store.close()
    }

    @Test("audit entries are numbered in order and chained", arguments: StoreKind.available)
    func audit(_ kind: StoreKind) async throws {
        let store = try await kind.open()
        let first = try await store.appendAudit(AuditEvent(actor: "a", action: "x"), at: now)
        let second = try await store.appendAudit(AuditEvent(actor: "b", action: "y", detail: "d"), at: now)
        #expect(first.sequence == 1 && second.sequence == 2)
        #expect(first.previousHash == AuditChain.genesis && second.previousHash == first.hash)
        #expect(AuditChain.verify(try await store.auditEntries(after: 0, limit: 10)).isIntact)
        #expect(try await store.schemaVersion() == 5)
        try await store.close()
    }

    @Test("concurrent writers never interleave inside one another's transaction", arguments: StoreKind.available)
    func serialTransactions(_ kind: StoreKind) async throws {
        let store = try await kind.open()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for number in 0..<40 {
                group.addTask {
                    if number % 2 == 0 {
                        try await store.createRun(sampleRun(id: "r-\(number)"))
                    } else {
                        try await store.appendAudit(AuditEvent(actor: "t", action: "n\(number)"), at: Date())
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(try await store.runs(limit: 100).count == 20)
        let entries = try await store.auditEntries(after: 0, limit: 100)
        #expect(entries.map(\.sequence) == Array(1...20))
        #expect(AuditChain.verify(entries).isIntact)
        try await store.close()
    }
}

@Suite("Migrations")
struct MigrationTests {
    @Test("a database of the CLI-only releases (no migrations table) is migrated and keeps its runs")
    func fromVersionZero() async throws {
        let path = try temporaryDatabase()
        // Made the way the earlier releases left a database: version 1's tables and nothing else.
        do {
            let store = try await SQLiteStore.open(path: path)
            try await store.createRun(sampleRun(id: "r-old"))
            try await store.close()
            var logger = Logger(label: "downgrade")
            logger.logLevel = .critical
            let connection = try await SQLiteConnection.open(storage: .file(path: path), logger: logger)
            for statement in [
                "DROP TABLE schema_migrations", "DROP TABLE offboardings", "DROP TABLE operators", "DROP TABLE credentials",
                "DROP TABLE audit_log", "DROP TABLE deliveries", "DROP TABLE notification_cursor", "DROP TABLE psa_connections",
                "DROP TABLE psa_imports",
                "ALTER TABLE runs DROP COLUMN lease_owner", "ALTER TABLE runs DROP COLUMN lease_expires_at",
            ] {
                try await connection.sql().raw(SQLQueryString(statement)).run()
            }
            try await connection.close()
        }
        let reopened = try await SQLiteStore.open(path: path)
        #expect(try await reopened.schemaVersion() == 5)
        #expect(try await reopened.run("r-old") != nil)
        try await reopened.close()
    }
}

@Suite("Store contract: own leases")
struct OwnLeaseTests {
    @Test("a worker never claims again what it already holds, unless it asks for that item by id", arguments: StoreKind.available)
    func ownLease(_ kind: StoreKind) async throws {
        let now = Date(timeIntervalSince1970: 1_795_000_000)
        let store = try await kind.open()
        try await store.createRun(sampleRun(id: "r-own"), leaseOwner: "w", until: now.addingTimeInterval(30))
        #expect(try await store.claim(.runs, id: nil, owner: "w", until: now.addingTimeInterval(30), now: now) == nil)
        #expect(try await store.claim(.runs, id: "r-own", owner: "w", until: now.addingTimeInterval(30), now: now) == "r-own")
        #expect(try await store.claim(.runs, id: "r-own", owner: "x", until: now.addingTimeInterval(30), now: now) == nil)
        try await store.close()
    }

    @Test(
        "deliveries: stored once however often routed, the cursor never goes back, due ones are leased to one sender",
        arguments: StoreKind.available)
    func deliveries(_ kind: StoreKind) async throws {
        let now = Date(timeIntervalSince1970: 1_795_000_000)
        let store = try await kind.open()
        #expect(try await store.notificationCursor() == 0)
        var delivery = NotificationDelivery(
            id: "d-3-email-aa", sourceSequence: 3, tenant: "contoso", offboarding: "o-1", event: .approvalNeeded, channel: .email,
            target: "alex@msp.example", createdAt: now)
        delivery.subject = "Approval needed"
        try await store.enqueueDeliveries([delivery], routedThrough: 3)
        // A second server routing the same entries: nothing doubles, the cursor stays.
        var again = delivery
        again.subject = "changed"
        try await store.enqueueDeliveries([again], routedThrough: 3)
        try await store.enqueueDeliveries([], routedThrough: 2)
        #expect(try await store.notificationCursor() == 3)
        #expect(try await store.deliveries(offboarding: "o-1", limit: 10).map(\.subject) == ["Approval needed"])
        #expect(try await store.deliveries(offboarding: "o-2", limit: 10).isEmpty)

        #expect(try await store.claim(.deliveries, id: nil, owner: "a", until: now.addingTimeInterval(60), now: now) == delivery.id)
        #expect(try await store.claim(.deliveries, id: nil, owner: "b", until: now.addingTimeInterval(60), now: now) == nil)
        delivery.record(.init(at: now, succeeded: false, code: 500, detail: "500"), permanent: false)
        try await store.updateDelivery(delivery)
        try await store.release(.deliveries, id: delivery.id, owner: "a")
        // Not due until its backoff has passed; then due again.
        #expect(try await store.claim(.deliveries, id: nil, owner: "b", until: now.addingTimeInterval(60), now: now) == nil)
        let later = now.addingTimeInterval(NotificationDelivery.backoff[0] + 1)
        #expect(try await store.claim(.deliveries, id: nil, owner: "b", until: later.addingTimeInterval(60), now: later) == delivery.id)
        #expect(try await store.delivery(delivery.id)?.attempts.map(\.code) == [500])
        try await store.close()
    }

    @Test(
        "PSA imports: a ticket is taken by one importer; a failed import can be taken again; connections keep their sealed secret",
        arguments: StoreKind.available)
    func psaImports(_ kind: StoreKind) async throws {
        let now = Date(timeIntervalSince1970: 1_795_000_000)
        let store = try await kind.open()
        let first = PSAImport(connection: "halo", ticket: "41", tenant: "contoso", outcome: .importing, claim: "server-a", at: now)
        var second = first
        second.claim = "server-b"
        #expect(try await store.claimPSAImport(first, retaking: [.failed], staleBefore: now.addingTimeInterval(-600)))
        #expect(
            try await store.claimPSAImport(second, retaking: [.failed], staleBefore: now.addingTimeInterval(-600)) == false,
            "another server is importing it")
        var failed = first
        failed.outcome = .failed
        failed.detail = "PSA unreachable"
        try await store.updatePSAImport(failed)
        #expect(
            try await store.claimPSAImport(second, retaking: [.failed], staleBefore: now.addingTimeInterval(-600)),
            "a failed import is tried again, by one of them")
        #expect(try await store.claimPSAImport(first, retaking: [.failed], staleBefore: now.addingTimeInterval(-600)) == false)
        var done = second
        done.outcome = .submitted
        done.offboarding = "o-9"
        try await store.updatePSAImport(done)
        try await store.updatePSAImport(failed)  // the loser's late write changes nothing: the claim is not its own
        #expect(try await store.psaImport(connection: "halo", ticket: "41")?.outcome == .submitted)
        var third = first
        third.claim = "server-c"
        #expect(
            try await store.claimPSAImport(third, retaking: [.failed, .needsAttention, .skipped], staleBefore: now) == false,
            "a submitted ticket is never taken again")
        // An import cut off mid-way (a crash) is taken again once it is old enough.
        let abandoned = PSAImport(connection: "halo", ticket: "42", tenant: "contoso", outcome: .importing, claim: "gone", at: now)
        #expect(try await store.claimPSAImport(abandoned, retaking: [.failed], staleBefore: now.addingTimeInterval(-600)))
        var later = abandoned
        later.claim = "server-d"
        later.at = now.addingTimeInterval(700)
        #expect(try await store.claimPSAImport(later, retaking: [.failed], staleBefore: now.addingTimeInterval(-600)) == false)
        #expect(try await store.claimPSAImport(later, retaking: [.failed], staleBefore: now.addingTimeInterval(100)))
        #expect(try await store.psaImports(tenant: "contoso", limit: 10).compactMap(\.offboarding) == ["o-9"])
        #expect(try await store.psaImports(tenant: "fabrikam", limit: 10).isEmpty)

        let connection = StoredPSAConnection(
            name: "halo", kind: "halopsa", url: "https://msp.halopsa.com", clientId: "c", account: nil, username: nil, authURL: nil,
            sealedSecret: "sealed", verifiedAs: "Turnover", createdAt: now)
        try await store.savePSAConnection(connection)
        #expect(try await store.psaConnection(named: "halo") == connection)
        #expect(try await store.psaConnections().map(\.name) == ["halo"])
        #expect(try await store.deletePSAConnection(named: "halo"))
        #expect(try await store.deletePSAConnection(named: "halo") == false)
        try await store.close()
    }
}
