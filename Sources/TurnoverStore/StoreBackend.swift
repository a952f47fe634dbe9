public import Foundation
import Logging
import PostgresKit
import PostgresNIO
import SQLKit
import SQLiteKit
import SQLiteNIO
import Synchronization

/// What differs between the databases the store runs on.
struct StoreDialect: Sendable {
    var isPostgres: Bool
    /// Appended to the claim's `SELECT … LIMIT 1`: other processes skip a row one of them is claiming.
    var lockSkippingLocked: String { isPostgres ? "FOR UPDATE SKIP LOCKED" : "" }
    /// Taken before the audit chain's last entry is read, so two processes never chain to the same entry.
    var auditLock: String? { isPostgres ? "SELECT pg_advisory_xact_lock(7244501)" : nil }
    /// Taken before migrating, so two processes starting at once migrate once.
    var migrationLock: String? { isPostgres ? "SELECT pg_advisory_xact_lock(7244502)" : nil }
}

/// A database connection the store's statements run on.
protocol StoreBackend: Sendable {
    var dialect: StoreDialect { get }
    /// Settings applied once at opening.
    func prepare() async throws
    /// Runs `body` on one connection.
    func withDatabase<T>(_ body: (any SQLDatabase) async throws -> T) async throws -> T
    /// Runs `body` on one connection inside a transaction that takes the write lock at once.
    func transaction<T>(_ body: (any SQLDatabase) async throws -> T) async throws -> T
    func close() async throws
}

/// `body` between `begin` and COMMIT, rolled back when it throws.
func inTransaction<T>(_ database: any SQLDatabase, begin: String, _ body: (any SQLDatabase) async throws -> T) async throws -> T {
    try await database.raw(SQLQueryString(begin)).run()
    do {
        let result = try await body(database)
        try await database.raw("COMMIT").run()
        return result
    } catch {
        try? await database.raw("ROLLBACK").run()
        throw error
    }
}

// MARK: SQLite

/// Lets one operation at a time through, in arrival order. SQLite is used over one connection:
/// without this, a statement from one request could land inside another request's transaction (and
/// be rolled back with it).
final class SerialGate: Sendable {
    private struct State {
        var busy = false
        var waiting: [CheckedContinuation<Void, Never>] = []
    }
    private let state = Mutex(State())

    func run<T>(_ body: () async throws -> T) async throws -> T {
        await enter()
        defer { leave() }
        return try await body()
    }

    private func enter() async {
        let free = state.withLock { state in
            guard !state.busy else { return false }
            state.busy = true
            return true
        }
        if free { return }
        await withCheckedContinuation { continuation in
            let resumeNow = state.withLock { state in
                guard state.busy else {
                    state.busy = true
                    return true
                }
                state.waiting.append(continuation)
                return false
            }
            if resumeNow { continuation.resume() }
        }
    }

    private func leave() {
        let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard !state.waiting.isEmpty else {
                state.busy = false
                return nil
            }
            return state.waiting.removeFirst()
        }
        next?.resume()
    }
}

final class SQLiteBackend: StoreBackend {
    let connection: SQLiteConnection
    let gate = SerialGate()
    let dialect = StoreDialect(isPostgres: false)

    init(connection: SQLiteConnection) { self.connection = connection }

    func prepare() async throws {
        try await withDatabase { database in
            // WAL keeps readers (turnover runs) working while a run writes; FULL sync makes each commit survive kill -9 and power loss.
            try await database.raw("PRAGMA journal_mode=WAL").run()
            try await database.raw("PRAGMA synchronous=FULL").run()
            try await database.raw("PRAGMA busy_timeout=5000").run()
        }
    }

    func withDatabase<T>(_ body: (any SQLDatabase) async throws -> T) async throws -> T {
        try await gate.run { try await body(connection.sql()) }
    }

    func transaction<T>(_ body: (any SQLDatabase) async throws -> T) async throws -> T {
        // IMMEDIATE takes the write lock now: another process (a CLI beside a server) waits instead of failing later.
        try await gate.run { try await inTransaction(connection.sql(), begin: "BEGIN IMMEDIATE", body) }
    }

    func close() async throws { try await gate.run { try await connection.close() } }
}

/// The embedded default store: one SQLite file in the data directory.
public enum SQLiteStore {
    public static func open(path: String) async throws -> SQLStore {
        var logger = Logger(label: "turnover.store")
        logger.logLevel = .warning
        let connection = try await SQLiteConnection.open(storage: .file(path: path), logger: logger)
        return try await SQLStore(backend: SQLiteBackend(connection: connection))
    }
}

// MARK: PostgreSQL

final class PostgresBackend: StoreBackend {
    let client: PostgresClient
    let running: Task<Void, Never>
    let dialect = StoreDialect(isPostgres: true)

    init(client: PostgresClient) {
        self.client = client
        // The pool's own run loop, for the store's lifetime.
        running = Task { await client.run() }
    }

    func prepare() async throws {}

    /// PostgresNIO hides a server's message from `description` (it may hold data); the store's
    /// errors are for the operator's log, so they say what the server said.
    struct ServerError: Error, CustomStringConvertible {
        var description: String
    }

    func explained<T>(_ body: () async throws -> T) async throws -> T {
        do { return try await body() } catch let error as PSQLError {
            throw ServerError(
                description:
                    "PostgreSQL: \(error.serverInfo?[.message] ?? error.code.description) (\(error.serverInfo?[.sqlState] ?? "no SQLSTATE"))"
                    + (error.query.map { " in: \($0.sql.prefix(200))" } ?? ""))
        }
    }

    func withDatabase<T>(_ body: (any SQLDatabase) async throws -> T) async throws -> T {
        try await explained { try await client.withConnection { connection in try await body(connection.sql(queryLogLevel: nil)) } }
    }

    func transaction<T>(_ body: (any SQLDatabase) async throws -> T) async throws -> T {
        try await explained { try await transactionUnexplained(body) }
    }

    func transactionUnexplained<T>(_ body: (any SQLDatabase) async throws -> T) async throws -> T {
        // Written out here: handing `body` on from inside the pool's closure is refused by the sendability checker.
        try await client.withConnection { connection in
            let database = connection.sql(queryLogLevel: nil)
            try await database.raw("BEGIN").run()
            do {
                let result = try await body(database)
                try await database.raw("COMMIT").run()
                return result
            } catch {
                try? await database.raw("ROLLBACK").run()
                throw error
            }
        }
    }

    func close() async throws { running.cancel() }
}

/// The store several `turnover serve` processes share: a PostgreSQL database.
public enum PostgresStore {
    public struct BadURL: Error, CustomStringConvertible {
        public var description: String
    }

    /// Runs one statement outside any store (creating a database for a test, say).
    public static func execute(_ statement: String, url: String) async throws {
        let client = try client(url: url)
        let running = Task { await client.run() }
        defer { running.cancel() }
        try await client.withConnection { connection in try await connection.sql(queryLogLevel: nil).raw(SQLQueryString(statement)).run() }
    }

    /// Opens `postgres://user:password@host:port/database` (`?sslmode=disable|prefer|require`).
    public static func open(url: String) async throws -> SQLStore {
        try await SQLStore(backend: PostgresBackend(client: try client(url: url)))
    }

    static func client(url: String) throws -> PostgresClient {
        guard let components = URLComponents(string: url), ["postgres", "postgresql"].contains(components.scheme ?? ""),
            let host = components.host, let user = components.user
        else { throw BadURL(description: "A PostgreSQL URL looks like postgres://user:password@host:5432/turnover.") }
        let database = components.path.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        let mode = components.queryItems?.first { $0.name == "sslmode" }?.value ?? "prefer"
        let tls: PostgresClient.Configuration.TLS
        switch mode {
        case "disable": tls = .disable
        case "require": tls = .require(.makeClientConfiguration())
        default: tls = .prefer(.makeClientConfiguration())
        }
        let configuration = PostgresClient.Configuration(
            host: host, port: components.port ?? 5432, username: user, password: components.password,
            database: database.isEmpty ? nil : database, tls: tls)
        var logger = Logger(label: "turnover.store")
        logger.logLevel = .warning
        return PostgresClient(configuration: configuration, backgroundLogger: logger)
    }
}
