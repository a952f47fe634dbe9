import Foundation

/// The schema, as numbered migrations applied in order and recorded in `schema_migrations`.
///
/// A migration is never edited once released: a change is a new migration. Version 1 is the schema of
/// the CLI-only releases, written so that their databases (which have no migrations table) pass it
/// unchanged.
enum Migrations {
    struct Migration {
        var version: Int
        var summary: String
        /// As SQLite takes them; PostgreSQL gets the same with its own type names.
        var sqliteStatements: [String]

        init(version: Int, summary: String, statements: [String]) {
            self.version = version
            self.summary = summary
            sqliteStatements = statements
        }

        func statements(_ dialect: StoreDialect) -> [String] {
            guard dialect.isPostgres else { return sqliteStatements }
            return sqliteStatements.map {
                $0.replacingOccurrences(of: " REAL", with: " DOUBLE PRECISION").replacingOccurrences(of: " INTEGER", with: " BIGINT")
            }
        }
    }

    static let all: [Migration] = [
        Migration(
            version: 1, summary: "tenants, runs, steps and attempts",
            statements: [
                "CREATE TABLE IF NOT EXISTS tenants (name TEXT PRIMARY KEY, record TEXT NOT NULL)",
                """
                CREATE TABLE IF NOT EXISTS runs (id TEXT PRIMARY KEY, tenant TEXT NOT NULL, upn TEXT NOT NULL, status TEXT NOT NULL,
                  created_at REAL NOT NULL, record TEXT NOT NULL)
                """,
                """
                CREATE TABLE IF NOT EXISTS steps (run_id TEXT NOT NULL, step_id TEXT NOT NULL, position INTEGER NOT NULL, record TEXT NOT NULL,
                  PRIMARY KEY (run_id, step_id))
                """,
                """
                CREATE TABLE IF NOT EXISTS attempts (run_id TEXT NOT NULL, step_id TEXT NOT NULL, number INTEGER NOT NULL, started_at REAL NOT NULL,
                  finished_at REAL, outcome TEXT, PRIMARY KEY (run_id, step_id, number))
                """,
            ]),
        Migration(
            version: 2, summary: "leases on runs; offboardings for approval; operators, credentials and the audit chain",
            statements: [
                "ALTER TABLE runs ADD COLUMN lease_owner TEXT",
                "ALTER TABLE runs ADD COLUMN lease_expires_at REAL",
                """
                CREATE TABLE offboardings (id TEXT PRIMARY KEY, tenant TEXT NOT NULL, upn TEXT NOT NULL, status TEXT NOT NULL,
                  submitted_at REAL NOT NULL, version INTEGER NOT NULL, lease_owner TEXT, lease_expires_at REAL, record TEXT NOT NULL)
                """,
                "CREATE INDEX offboardings_by_status ON offboardings (status, submitted_at)",
                "CREATE TABLE operators (name TEXT PRIMARY KEY, record TEXT NOT NULL)",
                """
                CREATE TABLE credentials (id TEXT PRIMARY KEY, secret_hash TEXT NOT NULL UNIQUE, operator TEXT NOT NULL,
                  record TEXT NOT NULL)
                """,
                """
                CREATE TABLE audit_log (sequence INTEGER PRIMARY KEY, at_ms INTEGER NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL,
                  tenant TEXT, subject TEXT, detail TEXT NOT NULL, previous_hash TEXT NOT NULL, hash TEXT NOT NULL)
                """,
            ]),
        Migration(
            version: 3, summary: "scheduled offboardings: an approved offboarding is started no earlier than its not_before",
            statements: ["ALTER TABLE offboardings ADD COLUMN not_before REAL"]),
        Migration(
            version: 4,
            summary: "notifications: deliveries (an outbox, leased like runs) and how far the audit log has been routed",
            statements: [
                """
                CREATE TABLE deliveries (id TEXT PRIMARY KEY, offboarding TEXT NOT NULL, status TEXT NOT NULL, next_attempt_at REAL,
                  created_at REAL NOT NULL, lease_owner TEXT, lease_expires_at REAL, record TEXT NOT NULL)
                """,
                "CREATE INDEX deliveries_due ON deliveries (status, next_attempt_at)",
                "CREATE TABLE notification_cursor (name TEXT PRIMARY KEY, sequence INTEGER NOT NULL)",
                // Only what happens from now on is announced, not a database's whole history.
                "INSERT INTO notification_cursor (name, sequence) SELECT 'notifications', COALESCE(MAX(sequence), 0) FROM audit_log",
            ]),
        Migration(
            version: 5,
            summary: "PSA connections (credentials sealed) and the tickets imported from them, each once",
            statements: [
                "CREATE TABLE psa_connections (name TEXT PRIMARY KEY, record TEXT NOT NULL)",
                """
                CREATE TABLE psa_imports (connection TEXT NOT NULL, ticket TEXT NOT NULL, tenant TEXT NOT NULL, outcome TEXT NOT NULL,
                  claim TEXT NOT NULL, at REAL NOT NULL, record TEXT NOT NULL, PRIMARY KEY (connection, ticket))
                """,
                "CREATE INDEX psa_imports_tenant ON psa_imports (tenant, at)",
            ]),
    ]
}
