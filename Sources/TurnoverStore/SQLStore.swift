public import Foundation
import Logging
import SQLKit
public import TurnoverCore

/// The store on SQL: SQLite (the embedded default, one file in the data directory) or PostgreSQL
/// (for several `turnover serve` processes). One set of statements serves both; a ``StoreBackend``
/// supplies the connection and what differs between the two.
public final class SQLStore: TurnoverStore {
    let backend: any StoreBackend
    private let encoder: JSONEncoder
    private let decoder: JSONDecoder

    init(backend: any StoreBackend) async throws {
        self.backend = backend
        encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .secondsSince1970
        encoder.outputFormatting = [.sortedKeys]
        decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .secondsSince1970
        try await migrate()
    }

    private func migrate() async throws {
        try await backend.prepare()
        try await backend.withDatabase { database in
            try await database.raw(
                "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_at DOUBLE PRECISION NOT NULL)"
            ).run()
        }
        try await backend.transaction { database in
            // Under the transaction's lock, so two processes starting at once migrate once.
            if let lock = backend.dialect.migrationLock { try await database.raw(SQLQueryString(lock)).run() }
            let applied = Set(
                try await database.raw("SELECT version FROM schema_migrations").all().map { try $0.decode(column: "version", as: Int.self) }
            )
            for migration in Migrations.all where !applied.contains(migration.version) {
                for statement in migration.statements(backend.dialect) { try await database.raw(SQLQueryString(statement)).run() }
                try await database.raw(
                    "INSERT INTO schema_migrations (version, applied_at) VALUES (\(bind: migration.version), \(bind: Date().timeIntervalSince1970))"
                ).run()
            }
        }
    }

    /// The schema version this database is at.
    public func schemaVersion() async throws -> Int {
        try await backend.withDatabase { database in
            try await database.raw("SELECT MAX(version) AS v FROM schema_migrations").all().first?.decode(column: "v", as: Int?.self) ?? 0
        }
    }

    private func json(_ value: some Encodable) throws -> String { String(decoding: try encoder.encode(value), as: UTF8.self) }
    private func decode<T: Decodable>(_ type: T.Type, _ row: any SQLRow, column: String = "record") throws -> T {
        try decoder.decode(T.self, from: Data(try row.decode(column: column, as: String.self).utf8))
    }

    // MARK: Tenants

    public func saveTenant(_ tenant: StoredTenant) async throws {
        try await backend.withDatabase { database in
            try await database.raw(
                """
                INSERT INTO tenants (name, record) VALUES (\(bind: tenant.name), \(bind: try json(tenant)))
                ON CONFLICT (name) DO UPDATE SET record = excluded.record
                """
            ).run()
        }
    }

    public func tenant(named name: String) async throws -> StoredTenant? {
        try await backend.withDatabase { database in
            try await database.raw("SELECT record FROM tenants WHERE name = \(bind: name)").all().first.map {
                try decode(StoredTenant.self, $0)
            }
        }
    }

    public func tenants() async throws -> [StoredTenant] {
        try await backend.withDatabase { database in
            try await database.raw("SELECT record FROM tenants ORDER BY name").all().map { try decode(StoredTenant.self, $0) }
        }
    }

    public func deleteTenant(named name: String) async throws -> Bool {
        try await backend.withDatabase { database in
            let existed = try await database.raw("SELECT name FROM tenants WHERE name = \(bind: name)").all().isEmpty == false
            try await database.raw("DELETE FROM tenants WHERE name = \(bind: name)").run()
            return existed
        }
    }

    // MARK: Runs

    public func createRun(_ run: RunRecord, leaseOwner: String?, until: Date?) async throws {
        // One transaction: a run is never stored without all of its steps, whatever moment a crash picks.
        try await backend.transaction { database in try await insertRun(run, leaseOwner: leaseOwner, until: until, in: database) }
    }

    private func insertRun(_ run: RunRecord, leaseOwner: String?, until: Date?, in database: any SQLDatabase) async throws {
        var header = run
        header.steps = []
        try await database.raw(
            """
            INSERT INTO runs (id, tenant, upn, status, created_at, record, lease_owner, lease_expires_at) VALUES (\(bind: run.id.rawValue),
            \(bind: run.tenant), \(bind: run.user.userPrincipalName), \(bind: run.status.rawValue), \(bind: run.createdAt.timeIntervalSince1970),
            \(bind: try json(header)), \(bind: leaseOwner), \(bind: until?.timeIntervalSince1970))
            """
        ).run()
        for (position, step) in run.steps.enumerated() {
            try await database.raw(
                "INSERT INTO steps (run_id, step_id, position, record) VALUES (\(bind: run.id.rawValue), \(bind: step.id.rawValue), \(bind: position), \(bind: try json(step)))"
            ).run()
        }
    }

    public func updateRun(_ run: RunRecord) async throws {
        try await backend.withDatabase { database in
            var header = run
            header.steps = []
            try await database.raw(
                "UPDATE runs SET status = \(bind: run.status.rawValue), record = \(bind: try json(header)) WHERE id = \(bind: run.id.rawValue)"
            ).run()
        }
    }

    public func updateStep(run: RunID, _ step: StepRecord) async throws {
        try await backend.withDatabase { database in
            try await database.raw(
                "UPDATE steps SET record = \(bind: try json(step)) WHERE run_id = \(bind: run.rawValue) AND step_id = \(bind: step.id.rawValue)"
            ).run()
        }
    }

    public func startAttempt(run: RunID, step: StepID, number: Int, at date: Date) async throws {
        try await backend.withDatabase { database in
            try await database.raw(
                """
                INSERT INTO attempts (run_id, step_id, number, started_at) VALUES (\(bind: run.rawValue), \(bind: step.rawValue), \(bind: number),
                \(bind: date.timeIntervalSince1970))
                ON CONFLICT (run_id, step_id, number) DO UPDATE SET started_at = excluded.started_at, finished_at = NULL, outcome = NULL
                """
            ).run()
        }
    }

    public func finishAttempt(run: RunID, step: StepID, number: Int, at date: Date, outcome: String) async throws {
        try await backend.withDatabase { database in
            try await database.raw(
                """
                UPDATE attempts SET finished_at = \(bind: date.timeIntervalSince1970), outcome = \(bind: outcome)
                WHERE run_id = \(bind: run.rawValue) AND step_id = \(bind: step.rawValue) AND number = \(bind: number)
                """
            ).run()
        }
    }

    public func unfinishedAttempts(run: RunID) async throws -> [StepID: Int] {
        try await backend.withDatabase { database in
            let rows = try await database.raw(
                "SELECT step_id, number FROM attempts WHERE run_id = \(bind: run.rawValue) AND finished_at IS NULL"
            ).all()
            var result: [StepID: Int] = [:]
            for row in rows {
                result[StepID(try row.decode(column: "step_id", as: String.self))] = try row.decode(column: "number", as: Int.self)
            }
            return result
        }
    }

    public func run(_ id: RunID) async throws -> RunRecord? {
        try await backend.withDatabase { database in
            guard let row = try await database.raw("SELECT record FROM runs WHERE id = \(bind: id.rawValue)").all().first else {
                return nil
            }
            var run = try decode(RunRecord.self, row)
            run.steps = try await database.raw("SELECT record FROM steps WHERE run_id = \(bind: id.rawValue) ORDER BY position").all().map {
                try decode(StepRecord.self, $0)
            }
            return run
        }
    }

    public func runs(limit: Int, tenant: String?, userPrincipalName: String?) async throws -> [RunSummary] {
        try await backend.withDatabase { database in
            try await database.raw(
                """
                SELECT id, tenant, upn, status, created_at FROM runs
                WHERE (CAST(\(bind: tenant) AS TEXT) IS NULL OR tenant = \(bind: tenant)) AND (CAST(\(bind: userPrincipalName) AS TEXT) IS NULL OR lower(upn) = lower(\(bind: userPrincipalName)))
                ORDER BY created_at DESC LIMIT \(bind: limit)
                """
            ).all().map { row in
                RunSummary(
                    id: RunID(try row.decode(column: "id", as: String.self)), tenant: try row.decode(column: "tenant", as: String.self),
                    userPrincipalName: try row.decode(column: "upn", as: String.self),
                    status: RunStatus(rawValue: try row.decode(column: "status", as: String.self)) ?? .failed,
                    createdAt: Date(timeIntervalSince1970: try row.decode(column: "created_at", as: Double.self)))
            }
        }
    }

    public func unfinishedRuns() async throws -> [RunID] {
        try await backend.withDatabase { database in
            try await database.raw("SELECT id FROM runs WHERE status IN ('planned', 'running') ORDER BY created_at").all().map {
                RunID(try $0.decode(column: "id", as: String.self))
            }
        }
    }

    // MARK: Leases

    /// What is ready to be taken: an approved offboarding whose scheduled time has come, a run not finished.
    private static func readiness(_ work: LeasedWork, now: Date) -> SQLQueryString {
        switch work {
        case .offboardings:
            "status IN ('approved', 'waiting') AND (not_before IS NULL OR not_before <= \(bind: now.timeIntervalSince1970))"
        case .runs: "status IN ('planned', 'running') AND tenant <> 'sandbox'"
        case .deliveries: "status = 'pending' AND next_attempt_at <= \(bind: now.timeIntervalSince1970)"
        }
    }

    public func claim(_ work: LeasedWork, id: String?, owner: String, until: Date, now: Date) async throws -> String? {
        try await backend.transaction { database in
            do {
                let table = SQLQueryString(work.rawValue)
                let rows = try await database.raw(
                    """
                    SELECT id FROM \(unsafeRaw: work.rawValue) WHERE \(Self.readiness(work, now: now))
                    AND (lease_owner IS NULL OR lease_expires_at < \(bind: now.timeIntervalSince1970)
                         OR (CAST(\(bind: id) AS TEXT) IS NOT NULL AND lease_owner = \(bind: owner)))
                    AND (CAST(\(bind: id) AS TEXT) IS NULL OR id = \(bind: id))
                    ORDER BY id LIMIT 1 \(unsafeRaw: backend.dialect.lockSkippingLocked)
                    """
                ).all()
                guard let claimed = try rows.first?.decode(column: "id", as: String.self) else { return nil }
                try await database.raw(
                    "UPDATE \(table) SET lease_owner = \(bind: owner), lease_expires_at = \(bind: until.timeIntervalSince1970) WHERE id = \(bind: claimed)"
                ).run()
                return claimed
            }
        }
    }

    public func heartbeat(_ work: LeasedWork, id: String, owner: String, until: Date) async throws -> Bool {
        try await backend.transaction { database in
            do {
                let held = try await database.raw(
                    "SELECT id FROM \(unsafeRaw: work.rawValue) WHERE id = \(bind: id) AND lease_owner = \(bind: owner)"
                ).all()
                guard !held.isEmpty else { return false }
                try await database.raw(
                    "UPDATE \(unsafeRaw: work.rawValue) SET lease_expires_at = \(bind: until.timeIntervalSince1970) WHERE id = \(bind: id)"
                ).run()
                return true
            }
        }
    }

    public func release(_ work: LeasedWork, id: String, owner: String) async throws {
        try await backend.withDatabase { database in
            try await database.raw(
                """
                UPDATE \(unsafeRaw: work.rawValue) SET lease_owner = NULL, lease_expires_at = NULL
                WHERE id = \(bind: id) AND lease_owner = \(bind: owner)
                """
            ).run()
        }
    }

    public func releaseAll(owner: String) async throws {
        try await backend.withDatabase { database in
            for work in LeasedWork.allCases {
                try await database.raw(
                    "UPDATE \(unsafeRaw: work.rawValue) SET lease_owner = NULL, lease_expires_at = NULL WHERE lease_owner = \(bind: owner)"
                ).run()
            }
        }
    }

    public func reapExpiredLeases(now: Date) async throws -> Int {
        try await backend.withDatabase { database in
            var reaped = 0
            for work in LeasedWork.allCases {
                let rows = try await database.raw(
                    """
                    SELECT id FROM \(unsafeRaw: work.rawValue) WHERE lease_owner IS NOT NULL AND lease_expires_at < \(bind: now.timeIntervalSince1970)
                    """
                ).all()
                reaped += rows.count
                try await database.raw(
                    """
                    UPDATE \(unsafeRaw: work.rawValue) SET lease_owner = NULL, lease_expires_at = NULL
                    WHERE lease_owner IS NOT NULL AND lease_expires_at < \(bind: now.timeIntervalSince1970)
                    """
                ).run()
            }
            return reaped
        }
    }

    public func leaseHolders(_ work: LeasedWork) async throws -> [String: String] {
        try await backend.withDatabase { database in
            var holders: [String: String] = [:]
            for row in try await database.raw("SELECT id, lease_owner FROM \(unsafeRaw: work.rawValue) WHERE lease_owner IS NOT NULL").all()
            {
                holders[try row.decode(column: "id", as: String.self)] = try row.decode(column: "lease_owner", as: String.self)
            }
            return holders
        }
    }

    public func takeOver(_ work: LeasedWork, id: String, from previous: String, to owner: String, until: Date) async throws -> Bool {
        try await backend.transaction { database in
            do {
                let held = try await database.raw(
                    "SELECT id FROM \(unsafeRaw: work.rawValue) WHERE id = \(bind: id) AND lease_owner = \(bind: previous)"
                ).all()
                guard !held.isEmpty else { return false }
                try await database.raw(
                    """
                    UPDATE \(unsafeRaw: work.rawValue) SET lease_owner = \(bind: owner), lease_expires_at = \(bind: until.timeIntervalSince1970)
                    WHERE id = \(bind: id)
                    """
                ).run()
                return true
            }
        }
    }

    // MARK: Offboardings

    public func createOffboarding(_ request: OffboardingRequest) async throws {
        try await backend.withDatabase { database in
            try await database.raw(
                """
                INSERT INTO offboardings (id, tenant, upn, status, submitted_at, version, record, not_before) VALUES (\(bind: request.id.rawValue),
                \(bind: request.tenant), \(bind: request.userPrincipalName), \(bind: request.status.rawValue),
                \(bind: request.submittedAt.timeIntervalSince1970), 1, \(bind: try json(request)), \(bind: request.runAt?.timeIntervalSince1970))
                """
            ).run()
        }
    }

    public func updateOffboarding(_ request: OffboardingRequest, expectedVersion: Int) async throws -> Bool {
        try await backend.transaction { database in try await saveOffboarding(request, expectedVersion: expectedVersion, in: database) }
    }

    private func saveOffboarding(_ request: OffboardingRequest, expectedVersion: Int, in database: any SQLDatabase) async throws -> Bool {
        let current = try await database.raw("SELECT version FROM offboardings WHERE id = \(bind: request.id.rawValue)").all()
        guard try current.first?.decode(column: "version", as: Int.self) == expectedVersion else { return false }
        try await database.raw(
            """
            UPDATE offboardings SET status = \(bind: request.status.rawValue), version = \(bind: expectedVersion + 1),
            record = \(bind: try json(request)), not_before = \(bind: request.runAt?.timeIntervalSince1970) WHERE id = \(bind: request.id.rawValue)
            """
        ).run()
        return true
    }

    public func offboarding(_ id: OffboardingID) async throws -> (request: OffboardingRequest, version: Int)? {
        try await backend.withDatabase { database in
            guard let row = try await database.raw("SELECT version, record FROM offboardings WHERE id = \(bind: id.rawValue)").all().first
            else { return nil }
            return (try decode(OffboardingRequest.self, row), try row.decode(column: "version", as: Int.self))
        }
    }

    public func offboardings(_ filter: OffboardingFilter, limit: Int, after: OffboardingID?) async throws -> [OffboardingRequest] {
        try await backend.withDatabase { database in
            // The scope is applied after reading, in Swift: a list of tenants does not bind as one value.
            var result: [OffboardingRequest] = []
            var cursor = after?.rawValue
            while result.count < limit {
                let rows = try await database.raw(
                    """
                    SELECT record, id FROM offboardings
                    WHERE (CAST(\(bind: filter.tenant) AS TEXT) IS NULL OR tenant = \(bind: filter.tenant))
                    AND (CAST(\(bind: filter.status?.rawValue) AS TEXT) IS NULL OR status = \(bind: filter.status?.rawValue))
                    AND (CAST(\(bind: filter.userPrincipalName) AS TEXT) IS NULL OR lower(upn) = lower(\(bind: filter.userPrincipalName)))
                    AND (CAST(\(bind: cursor) AS TEXT) IS NULL OR id < \(bind: cursor))
                    ORDER BY id DESC LIMIT \(bind: limit * 2)
                    """
                ).all()
                for row in rows {
                    let request = try decode(OffboardingRequest.self, row)
                    if filter.tenants.map({ $0.contains(request.tenant) }) ?? true, result.count < limit { result.append(request) }
                }
                guard rows.count == limit * 2, let last = rows.last else { break }
                cursor = try last.decode(column: "id", as: String.self)
            }
            return result
        }
    }

    public func startRun(
        _ run: RunRecord, for request: OffboardingRequest, expectedVersion: Int, leaseOwner: String, until: Date
    ) async throws -> Bool {
        try await backend.transaction { database in
            do {
                guard try await saveOffboarding(request, expectedVersion: expectedVersion, in: database) else { return false }
                try await database.raw(
                    "UPDATE offboardings SET lease_owner = NULL, lease_expires_at = NULL WHERE id = \(bind: request.id.rawValue)"
                ).run()
                try await insertRun(run, leaseOwner: leaseOwner, until: until, in: database)
                return true
            }
        }
    }

    // MARK: Operators and credentials

    public func saveOperator(_ record: OperatorRecord) async throws {
        try await backend.withDatabase { database in
            try await database.raw(
                """
                INSERT INTO operators (name, record) VALUES (\(bind: record.name.rawValue), \(bind: try json(record)))
                ON CONFLICT (name) DO UPDATE SET record = excluded.record
                """
            ).run()
        }
    }

    public func operatorRecord(named name: OperatorName) async throws -> OperatorRecord? {
        try await backend.withDatabase { database in
            try await database.raw("SELECT record FROM operators WHERE name = \(bind: name.rawValue)").all().first.map {
                try decode(OperatorRecord.self, $0)
            }
        }
    }

    public func operators() async throws -> [OperatorRecord] {
        try await backend.withDatabase { database in
            try await database.raw("SELECT record FROM operators ORDER BY name").all().map { try decode(OperatorRecord.self, $0) }
        }
    }

    public func saveCredential(_ record: CredentialRecord, secretHash: String) async throws {
        try await backend.withDatabase { database in
            try await database.raw(
                """
                INSERT INTO credentials (id, secret_hash, operator, record) VALUES (\(bind: record.id), \(bind: secretHash),
                \(bind: record.operator_.rawValue), \(bind: try json(record)))
                """
            ).run()
        }
    }

    public func credential(secretHash: String) async throws -> CredentialRecord? {
        try await backend.withDatabase { database in
            try await database.raw("SELECT record FROM credentials WHERE secret_hash = \(bind: secretHash)").all().first.map {
                try decode(CredentialRecord.self, $0)
            }
        }
    }

    public func credential(id: String) async throws -> CredentialRecord? {
        try await backend.withDatabase { database in
            try await database.raw("SELECT record FROM credentials WHERE id = \(bind: id)").all().first.map {
                try decode(CredentialRecord.self, $0)
            }
        }
    }

    public func updateCredential(_ record: CredentialRecord) async throws {
        try await backend.withDatabase { database in
            try await database.raw("UPDATE credentials SET record = \(bind: try json(record)) WHERE id = \(bind: record.id)").run()
        }
    }

    public func credentials(operator name: OperatorName?) async throws -> [CredentialRecord] {
        try await backend.withDatabase { database in
            try await database.raw(
                "SELECT record FROM credentials WHERE (CAST(\(bind: name?.rawValue) AS TEXT) IS NULL OR operator = \(bind: name?.rawValue)) ORDER BY id"
            ).all().map { try decode(CredentialRecord.self, $0) }
        }
    }

    // MARK: Audit

    @discardableResult public func appendAudit(_ event: AuditEvent, at: Date) async throws -> AuditEntry {
        try await backend.transaction { database in
            do {
                if let lock = backend.dialect.auditLock { try await database.raw(SQLQueryString(lock)).run() }
                let last = try await database.raw("SELECT sequence, hash FROM audit_log ORDER BY sequence DESC LIMIT 1").all().first
                let entry = AuditChain.entry(
                    event, sequence: (try last?.decode(column: "sequence", as: Int64.self) ?? 0) + 1, at: at,
                    previousHash: try last?.decode(column: "hash", as: String.self) ?? AuditChain.genesis)
                try await database.raw(
                    """
                    INSERT INTO audit_log (sequence, at_ms, actor, action, tenant, subject, detail, previous_hash, hash) VALUES
                    (\(bind: entry.sequence), \(bind: entry.atMilliseconds), \(bind: entry.actor), \(bind: entry.action), \(bind: entry.tenant),
                    \(bind: entry.subject), \(bind: entry.detail), \(bind: entry.previousHash), \(bind: entry.hash))
                    """
                ).run()
                return entry
            }
        }
    }

    public func auditEntries(after: Int64, limit: Int) async throws -> [AuditEntry] {
        try await backend.withDatabase { database in
            try await database.raw(
                """
                SELECT sequence, at_ms, actor, action, tenant, subject, detail, previous_hash, hash FROM audit_log
                WHERE sequence > \(bind: after) ORDER BY sequence LIMIT \(bind: limit)
                """
            ).all().map { row in
                AuditEntry(
                    sequence: try row.decode(column: "sequence", as: Int64.self),
                    atMilliseconds: try row.decode(column: "at_ms", as: Int64.self),
                    actor: try row.decode(column: "actor", as: String.self), action: try row.decode(column: "action", as: String.self),
                    tenant: try row.decode(column: "tenant", as: String?.self),
                    subject: try row.decode(column: "subject", as: String?.self),
                    detail: try row.decode(column: "detail", as: String.self),
                    previousHash: try row.decode(column: "previous_hash", as: String.self),
                    hash: try row.decode(column: "hash", as: String.self))
            }
        }
    }

    // MARK: Notifications

    public func notificationCursor() async throws -> Int64 {
        try await backend.withDatabase { database in
            try await database.raw("SELECT sequence FROM notification_cursor WHERE name = 'notifications'").all().first?.decode(
                column: "sequence", as: Int64.self) ?? 0
        }
    }

    public func enqueueDeliveries(_ deliveries: [NotificationDelivery], routedThrough sequence: Int64) async throws {
        try await backend.transaction { database in
            do {
                for delivery in deliveries {
                    try await database.raw(
                        """
                        INSERT INTO deliveries (id, offboarding, status, next_attempt_at, created_at, record) VALUES
                        (\(bind: delivery.id), \(bind: delivery.offboarding.rawValue), \(bind: delivery.status.rawValue),
                         \(bind: delivery.nextAttemptAt?.timeIntervalSince1970), \(bind: delivery.createdAt.timeIntervalSince1970),
                         \(bind: try json(delivery)))
                        ON CONFLICT (id) DO NOTHING
                        """
                    ).run()
                }
                // Never backwards: two servers routing the same entries both move it forward.
                try await database.raw(
                    """
                    UPDATE notification_cursor SET sequence = \(bind: sequence)
                    WHERE name = 'notifications' AND sequence < \(bind: sequence)
                    """
                ).run()
            }
        }
    }

    public func delivery(_ id: String) async throws -> NotificationDelivery? {
        try await backend.withDatabase { database in
            try await database.raw("SELECT record FROM deliveries WHERE id = \(bind: id)").all().first.map {
                try decode(NotificationDelivery.self, $0)
            }
        }
    }

    public func updateDelivery(_ delivery: NotificationDelivery) async throws {
        try await backend.withDatabase { database in
            try await database.raw(
                """
                UPDATE deliveries SET status = \(bind: delivery.status.rawValue),
                  next_attempt_at = \(bind: delivery.nextAttemptAt?.timeIntervalSince1970), record = \(bind: try json(delivery))
                WHERE id = \(bind: delivery.id)
                """
            ).run()
        }
    }

    public func deliveries(offboarding: OffboardingID?, limit: Int) async throws -> [NotificationDelivery] {
        try await backend.withDatabase { database in
            try await database.raw(
                """
                SELECT record FROM deliveries WHERE (CAST(\(bind: offboarding?.rawValue) AS TEXT) IS NULL OR offboarding = \(bind: offboarding?.rawValue))
                ORDER BY created_at, id LIMIT \(bind: limit)
                """
            ).all().map { try decode(NotificationDelivery.self, $0) }
        }
    }

    // MARK: PSA

    public func savePSAConnection(_ connection: StoredPSAConnection) async throws {
        try await backend.withDatabase { database in
            try await database.raw(
                """
                INSERT INTO psa_connections (name, record) VALUES (\(bind: connection.name), \(bind: try json(connection)))
                ON CONFLICT (name) DO UPDATE SET record = excluded.record
                """
            ).run()
        }
    }

    public func psaConnection(named name: String) async throws -> StoredPSAConnection? {
        try await backend.withDatabase { database in
            try await database.raw("SELECT record FROM psa_connections WHERE name = \(bind: name)").all().first.map {
                try decode(StoredPSAConnection.self, $0)
            }
        }
    }

    public func psaConnections() async throws -> [StoredPSAConnection] {
        try await backend.withDatabase { database in
            try await database.raw("SELECT record FROM psa_connections ORDER BY name").all().map {
                try decode(StoredPSAConnection.self, $0)
            }
        }
    }

    public func deletePSAConnection(named name: String) async throws -> Bool {
        try await backend.withDatabase { database in
            let found = try await database.raw("SELECT name FROM psa_connections WHERE name = \(bind: name)").all()
            guard !found.isEmpty else { return false }
            try await database.raw("DELETE FROM psa_connections WHERE name = \(bind: name)").run()
            return true
        }
    }

    public func claimPSAImport(_ record: PSAImport, retaking: Set<PSAImport.Outcome>, staleBefore: Date) async throws -> Bool {
        // The outcomes are the enum's own constants, never input.
        let retaken = (retaking.map { "'\($0.rawValue)'" } + ["'-'"]).sorted().joined(separator: ", ")
        return try await backend.withDatabase { database in
            try await database.raw(
                """
                INSERT INTO psa_imports (connection, ticket, tenant, outcome, claim, at, record) VALUES
                (\(bind: record.connection), \(bind: record.ticket), \(bind: record.tenant), \(bind: record.outcome.rawValue),
                 \(bind: record.claim), \(bind: record.at.timeIntervalSince1970), \(bind: try json(record)))
                ON CONFLICT (connection, ticket) DO NOTHING
                """
            ).run()
            // An import that failed (or another retaken outcome, or one abandoned mid-way) may be taken
            // again; whoever's claim is stored afterwards has it.
            try await database.raw(
                """
                UPDATE psa_imports SET outcome = \(bind: record.outcome.rawValue), claim = \(bind: record.claim),
                  at = \(bind: record.at.timeIntervalSince1970), record = \(bind: try json(record))
                WHERE connection = \(bind: record.connection) AND ticket = \(bind: record.ticket) AND claim <> \(bind: record.claim)
                  AND (outcome IN (\(unsafeRaw: retaken)) OR (outcome = 'importing' AND at < \(bind: staleBefore.timeIntervalSince1970)))
                """
            ).run()
            let stored = try await database.raw(
                "SELECT claim FROM psa_imports WHERE connection = \(bind: record.connection) AND ticket = \(bind: record.ticket)"
            ).all().first?.decode(column: "claim", as: String.self)
            return stored == record.claim
        }
    }

    public func updatePSAImport(_ record: PSAImport) async throws {
        try await backend.withDatabase { database in
            try await database.raw(
                """
                UPDATE psa_imports SET outcome = \(bind: record.outcome.rawValue), at = \(bind: record.at.timeIntervalSince1970),
                  record = \(bind: try json(record))
                WHERE connection = \(bind: record.connection) AND ticket = \(bind: record.ticket) AND claim = \(bind: record.claim)
                """
            ).run()
        }
    }

    public func psaImport(connection: String, ticket: String) async throws -> PSAImport? {
        try await backend.withDatabase { database in
            try await database.raw(
                "SELECT record FROM psa_imports WHERE connection = \(bind: connection) AND ticket = \(bind: ticket)"
            ).all().first.map { try decode(PSAImport.self, $0) }
        }
    }

    public func psaImports(tenant: String?, limit: Int) async throws -> [PSAImport] {
        try await backend.withDatabase { database in
            try await database.raw(
                """
                SELECT record FROM psa_imports WHERE (CAST(\(bind: tenant) AS TEXT) IS NULL OR tenant = \(bind: tenant))
                ORDER BY at DESC, ticket LIMIT \(bind: limit)
                """
            ).all().map { try decode(PSAImport.self, $0) }
        }
    }

    public func close() async throws { try await backend.close() }
}
