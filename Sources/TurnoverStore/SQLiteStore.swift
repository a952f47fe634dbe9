public import Foundation
import Logging
import SQLKit
import SQLiteKit
import SQLiteNIO
public import TurnoverCore

/// The embedded default store: one SQLite file in the data directory.
public final class SQLiteStore: TurnoverStore {
    private let connection: SQLiteConnection
    private let database: any SQLDatabase
    private let encoder: JSONEncoder
    private let decoder: JSONDecoder

    public static func open(path: String) async throws -> SQLiteStore {
        var logger = Logger(label: "turnover.store")
        logger.logLevel = .warning
        let connection = try await SQLiteConnection.open(storage: .file(path: path), logger: logger)
        let store = SQLiteStore(connection: connection)
        try await store.migrate()
        return store
    }

    private init(connection: SQLiteConnection) {
        self.connection = connection
        database = connection.sql()
        encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .secondsSince1970
        encoder.outputFormatting = [.sortedKeys]
        decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .secondsSince1970
    }

    private func migrate() async throws {
        // WAL keeps readers (turnover runs) working while a run writes; FULL sync makes each commit survive kill -9 and power loss.
        try await database.raw("PRAGMA journal_mode=WAL").run()
        try await database.raw("PRAGMA synchronous=FULL").run()
        try await database.raw("PRAGMA busy_timeout=5000").run()
        try await database.raw(
            """
            CREATE TABLE IF NOT EXISTS tenants (name TEXT PRIMARY KEY, record TEXT NOT NULL)
            """
        ).run()
        try await database.raw(
            """
            CREATE TABLE IF NOT EXISTS runs (id TEXT PRIMARY KEY, tenant TEXT NOT NULL, upn TEXT NOT NULL, status TEXT NOT NULL,
              created_at REAL NOT NULL, record TEXT NOT NULL)
            """
        ).run()
        try await database.raw(
            """
            CREATE TABLE IF NOT EXISTS steps (run_id TEXT NOT NULL, step_id TEXT NOT NULL, position INTEGER NOT NULL, record TEXT NOT NULL,
              PRIMARY KEY (run_id, step_id))
            """
        ).run()
        try await database.raw(
            """
            CREATE TABLE IF NOT EXISTS attempts (run_id TEXT NOT NULL, step_id TEXT NOT NULL, number INTEGER NOT NULL, started_at REAL NOT NULL,
              finished_at REAL, outcome TEXT, PRIMARY KEY (run_id, step_id, number))
            """
        ).run()
    }

    private func json(_ value: some Encodable) throws -> String { String(decoding: try encoder.encode(value), as: UTF8.self) }

    public func saveTenant(_ tenant: StoredTenant) async throws {
        try await database.raw("INSERT OR REPLACE INTO tenants (name, record) VALUES (\(bind: tenant.name), \(bind: try json(tenant)))")
            .run()
    }

    public func tenant(named name: String) async throws -> StoredTenant? {
        let rows = try await database.raw("SELECT record FROM tenants WHERE name = \(bind: name)").all()
        return try rows.first.map {
            try decoder.decode(StoredTenant.self, from: Data(try $0.decode(column: "record", as: String.self).utf8))
        }
    }

    public func tenants() async throws -> [StoredTenant] {
        try await database.raw("SELECT record FROM tenants ORDER BY name").all().map {
            try decoder.decode(StoredTenant.self, from: Data(try $0.decode(column: "record", as: String.self).utf8))
        }
    }

    public func deleteTenant(named name: String) async throws -> Bool {
        let existed = try await tenant(named: name) != nil
        try await database.raw("DELETE FROM tenants WHERE name = \(bind: name)").run()
        return existed
    }

    public func createRun(_ run: RunRecord) async throws {
        var header = run
        header.steps = []
        // One transaction: a run is never stored without all of its steps, whatever moment a crash picks.
        try await database.raw("BEGIN IMMEDIATE").run()
        do {
            try await database.raw(
                """
                INSERT INTO runs (id, tenant, upn, status, created_at, record) VALUES (\(bind: run.id.rawValue), \(bind: run.tenant),
                \(bind: run.user.userPrincipalName), \(bind: run.status.rawValue), \(bind: run.createdAt.timeIntervalSince1970), \(bind: try json(header)))
                """
            ).run()
            for (position, step) in run.steps.enumerated() {
                try await database.raw(
                    "INSERT INTO steps (run_id, step_id, position, record) VALUES (\(bind: run.id.rawValue), \(bind: step.id.rawValue), \(bind: position), \(bind: try json(step)))"
                ).run()
            }
            try await database.raw("COMMIT").run()
        } catch {
            try? await database.raw("ROLLBACK").run()
            throw error
        }
    }

    public func updateRun(_ run: RunRecord) async throws {
        var header = run
        header.steps = []
        try await database.raw(
            "UPDATE runs SET status = \(bind: run.status.rawValue), record = \(bind: try json(header)) WHERE id = \(bind: run.id.rawValue)"
        ).run()
    }

    public func updateStep(run: RunID, _ step: StepRecord) async throws {
        try await database.raw(
            "UPDATE steps SET record = \(bind: try json(step)) WHERE run_id = \(bind: run.rawValue) AND step_id = \(bind: step.id.rawValue)"
        ).run()
    }

    public func startAttempt(run: RunID, step: StepID, number: Int, at date: Date) async throws {
        try await database.raw(
            """
            INSERT OR REPLACE INTO attempts (run_id, step_id, number, started_at) VALUES (\(bind: run.rawValue), \(bind: step.rawValue), \(bind: number),
            \(bind: date.timeIntervalSince1970))
            """
        ).run()
    }

    public func finishAttempt(run: RunID, step: StepID, number: Int, at date: Date, outcome: String) async throws {
        try await database.raw(
            """
            UPDATE attempts SET finished_at = \(bind: date.timeIntervalSince1970), outcome = \(bind: outcome)
            WHERE run_id = \(bind: run.rawValue) AND step_id = \(bind: step.rawValue) AND number = \(bind: number)
            """
        ).run()
    }

    public func unfinishedAttempts(run: RunID) async throws -> [StepID: Int] {
        let rows = try await database.raw(
            "SELECT step_id, number FROM attempts WHERE run_id = \(bind: run.rawValue) AND finished_at IS NULL"
        ).all()
        var result: [StepID: Int] = [:]
        for row in rows {
            result[StepID(try row.decode(column: "step_id", as: String.self))] = try row.decode(column: "number", as: Int.self)
        }
        return result
    }

    public func run(_ id: RunID) async throws -> RunRecord? {
        guard let row = try await database.raw("SELECT record FROM runs WHERE id = \(bind: id.rawValue)").all().first else { return nil }
        var run = try decoder.decode(RunRecord.self, from: Data(try row.decode(column: "record", as: String.self).utf8))
        run.steps = try await database.raw("SELECT record FROM steps WHERE run_id = \(bind: id.rawValue) ORDER BY position").all().map {
            try decoder.decode(StepRecord.self, from: Data(try $0.decode(column: "record", as: String.self).utf8))
        }
        return run
    }

    public func runs(limit: Int, tenant: String?, userPrincipalName: String?) async throws -> [RunSummary] {
        try await database.raw(
            """
            SELECT id, tenant, upn, status, created_at FROM runs
            WHERE (\(bind: tenant) IS NULL OR tenant = \(bind: tenant)) AND (\(bind: userPrincipalName) IS NULL OR upn = \(bind: userPrincipalName) COLLATE NOCASE)
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

    public func unfinishedRuns() async throws -> [RunID] {
        try await database.raw("SELECT id FROM runs WHERE status IN ('planned', 'running') ORDER BY created_at").all().map {
            RunID(try $0.decode(column: "id", as: String.self))
        }
    }

    public func close() async throws { try await connection.close() }
}
