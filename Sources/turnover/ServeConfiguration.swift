import Configuration
import Foundation
import SystemPackage
import TurnoverCore
import TurnoverEngine

/// `turnover serve`'s settings, read with swift-configuration from, in order of precedence: the
/// command line's flags, `TURNOVER_*` environment variables, the YAML file named by `--config` (or
/// `$TURNOVER_CONFIG`), and the defaults here. The file uses the same names in camelCase:
///
/// ```yaml
/// host: 0.0.0.0
/// port: 8080
/// dataDir: /var/lib/turnover
/// database: postgres://turnover:secret@db.internal/turnover   # omit for SQLite in dataDir
/// publicUrl: https://turnover.example.com                     # behind a TLS proxy: Secure cookies, HSTS
/// maxRuns: 32
/// scheduleGrace: 120          # seconds after its time that a scheduled start counts as late
/// logLevel: notice
/// smtpHost: smtp.example.com  # notifications by e-mail (the policy's notifications: routes)
/// smtpPort: 587
/// smtpSecurity: starttls      # starttls, tls (port 465) or none (only to a relay on this machine)
/// smtpUsername: turnover@example.com
/// smtpPassword: …             # better in TURNOVER_SMTP_PASSWORD
/// smtpFrom: turnover@example.com
/// smtpCaFile: /etc/turnover/smtp-ca.pem   # when the server's certificate is not from a public CA
/// ```
struct ServeConfiguration: Sendable {
    var host: String
    var port: Int
    var dataDirectory: String
    /// A PostgreSQL URL; nil for SQLite in the data directory.
    var database: String?
    var sandbox: Bool
    var publicURL: String?
    var maxRuns: Int
    /// Seconds after its scheduled time that a start counts as late (missed while the service was down).
    var scheduleGrace: Int
    var logLevel: String
    var bootstrapAdmin: String?
    /// Where e-mail notifications go out; nil when none is configured.
    var smtp: SMTPClient.Settings?
    /// Seconds between notification rounds, and the scale of the retry backoff (tests shorten both).
    var notifyInterval: Double
    var notifyRetryScale: Double
    /// Seconds between looks at the PSA boards of tenants whose policy polls (`psa: {poll: true}`).
    var psaPollInterval: Double
    var configFile: String?
    /// Where each setting came from: "flag", "environment", the file's path, or "default".
    var sources: [String: String]

    /// Reached over https: cookies are marked Secure and HSTS is sent.
    var secure: Bool { publicURL?.lowercased().hasPrefix("https://") ?? false }

    struct Invalid: Error, CustomStringConvertible {
        var description: String
    }

    /// The settings' names, as the file spells them (the environment variable is TURNOVER_ and the
    /// name in upper snake case: dataDir is TURNOVER_DATA_DIR).
    static let names = [
        "host", "port", "dataDir", "database", "sandbox", "publicUrl", "maxRuns", "scheduleGrace", "logLevel", "bootstrapAdmin",
        "smtpHost", "smtpPort", "smtpSecurity", "smtpUsername", "smtpPassword", "smtpFrom", "smtpCaFile", "notifyInterval",
        "notifyRetryScale", "psaPollInterval",
    ]

    static func load(
        flags: [String: ConfigContent], environment: [String: String], configFile: String?
    ) async throws
        -> ServeConfiguration
    {
        let flagProvider = InMemoryProvider(
            name: "flags",
            values: Dictionary(
                uniqueKeysWithValues: flags.map {
                    (AbsoluteConfigKey(ConfigKey($0.key)), ConfigValue($0.value, isSecret: $0.key == "database"))
                }))
        let environmentProvider = EnvironmentVariablesProvider(
            environmentVariables: environment,
            secretsSpecifier: .specific(["TURNOVER_DATABASE", "TURNOVER_SECRET_KEY", "TURNOVER_SMTP_PASSWORD"])
        ).prefixKeys(with: ConfigKey("turnover"))
        var layers: [(String, any ConfigProvider)] = [("flag", flagProvider), ("environment", environmentProvider)]
        let file = configFile ?? environment["TURNOVER_CONFIG"]
        if let file {
            guard FileManager.default.fileExists(atPath: file) else {
                throw Invalid(description: "The configuration file \(file) does not exist.")
            }
            do {
                layers.append((file, try await FileProvider<YAMLSnapshot>(filePath: FilePath(file))))
            } catch {
                throw Invalid(description: "The configuration file \(file) is not valid YAML: \(error)")
            }
        }
        let reader = ConfigReader(providers: layers.map(\.1))
        var sources: [String: String] = [:]
        for name in names {
            sources[name] = "default"
            for (source, provider) in layers
            where ConfigReader(provider: provider).string(forKey: ConfigKey(name)) != nil
                || ConfigReader(provider: provider).int(forKey: ConfigKey(name)) != nil
                || ConfigReader(provider: provider).bool(forKey: ConfigKey(name)) != nil
            {
                sources[name] = source
                break
            }
        }
        func integer(_ name: String, default value: Int) throws -> Int {
            if let number = reader.int(forKey: ConfigKey(name)) { return number }
            guard let text = reader.string(forKey: ConfigKey(name)) else { return value }
            guard let number = Int(text) else {
                throw Invalid(description: "\(name) must be a whole number, not '\(text)' (\(sources[name] ?? "")).")
            }
            return number
        }
        func flag(_ name: String) throws -> Bool {
            if let value = reader.bool(forKey: ConfigKey(name)) { return value }
            guard let text = reader.string(forKey: ConfigKey(name)) else { return false }
            switch text.lowercased() {
            case "true", "yes", "1": return true
            case "false", "no", "0", "": return false
            default: throw Invalid(description: "\(name) must be true or false, not '\(text)' (\(sources[name] ?? "")).")
            }
        }
        func decimal(_ name: String, default value: Double) throws -> Double {
            if let number = reader.double(forKey: ConfigKey(name)) { return number }
            if let number = reader.int(forKey: ConfigKey(name)) { return Double(number) }
            guard let text = reader.string(forKey: ConfigKey(name)) else { return value }
            guard let number = Double(text), number > 0 else {
                throw Invalid(description: "\(name) must be a positive number, not '\(text)' (\(sources[name] ?? "")).")
            }
            return number
        }
        var smtp: SMTPClient.Settings?
        if let smtpHost = reader.string(forKey: "smtpHost") {
            let securityText = reader.string(forKey: "smtpSecurity", default: "starttls")
            guard let security = SMTPClient.Security(rawValue: securityText) else {
                throw Invalid(
                    description: "smtpSecurity is starttls, tls or none, not '\(securityText)' (\(sources["smtpSecurity"] ?? "")).")
            }
            guard let from = reader.string(forKey: "smtpFrom"), EmailAddress.isPlausible(from) else {
                throw Invalid(description: "smtpFrom must be the sender's e-mail address when smtpHost is set.")
            }
            smtp = SMTPClient.Settings(
                host: smtpHost, port: try integer("smtpPort", default: security == .tls ? 465 : 587), security: security,
                username: reader.string(forKey: "smtpUsername"), password: reader.string(forKey: "smtpPassword", isSecret: true),
                from: from, caFile: reader.string(forKey: "smtpCaFile"))
        }
        let settings = ServeConfiguration(
            host: reader.string(forKey: "host", default: "127.0.0.1"), port: try integer("port", default: 8080),
            dataDirectory: reader.string(forKey: "dataDir") ?? DataOptions.defaultDirectory(environment: environment),
            database: reader.string(forKey: "database", isSecret: true), sandbox: try flag("sandbox"),
            publicURL: reader.string(forKey: "publicUrl"), maxRuns: try integer("maxRuns", default: 32),
            scheduleGrace: try integer("scheduleGrace", default: 120),
            logLevel: reader.string(forKey: "logLevel", default: "notice"), bootstrapAdmin: reader.string(forKey: "bootstrapAdmin"),
            smtp: smtp, notifyInterval: try decimal("notifyInterval", default: 2),
            notifyRetryScale: try decimal("notifyRetryScale", default: 1),
            psaPollInterval: try decimal("psaPollInterval", default: 60),
            configFile: file, sources: sources)
        try settings.validate()
        return settings
    }

    func validate() throws {
        guard (0...65535).contains(port) else { throw Invalid(description: "port is 0 to 65535, not \(port) (\(sources["port"] ?? "")).") }
        guard (1...1000).contains(maxRuns) else {
            throw Invalid(description: "maxRuns is 1 to 1000, not \(maxRuns) (\(sources["maxRuns"] ?? "")).")
        }
        guard (1...86_400).contains(scheduleGrace) else {
            throw Invalid(description: "scheduleGrace is 1 to 86400 seconds, not \(scheduleGrace).")
        }
        guard ["trace", "debug", "info", "notice", "warning", "error", "critical"].contains(logLevel) else {
            throw Invalid(description: "logLevel is trace, debug, info, notice, warning or error, not '\(logLevel)'.")
        }
        if let publicURL {
            guard let url = URL(string: publicURL), ["http", "https"].contains(url.scheme ?? ""), url.host != nil else {
                throw Invalid(description: "publicUrl must be an http(s) address such as https://turnover.example.com, not '\(publicURL)'.")
            }
        }
        if let database, !database.hasPrefix("postgres://"), !database.hasPrefix("postgresql://") {
            throw Invalid(description: "database must be a postgres:// URL (leave it out for SQLite in the data directory).")
        }
    }

    /// The effective settings, one per line with their source; the database password is redacted.
    var printed: String {
        let values: [(String, String)] = [
            ("host", host), ("port", String(port)), ("dataDir", dataDirectory),
            ("database", database.map(ServeCommand.redacted) ?? "sqlite (in dataDir)"), ("sandbox", String(sandbox)),
            ("publicUrl", publicURL ?? "(none: cookies without Secure, no HSTS)"), ("maxRuns", String(maxRuns)),
            ("scheduleGrace", "\(scheduleGrace) s"), ("logLevel", logLevel),
            ("bootstrapAdmin", bootstrapAdmin ?? "(none)"),
            (
                "smtpHost",
                smtp.map { "\($0.host):\($0.port) (\($0.security.rawValue))" } ?? "(none: e-mail notifications are recorded as not sent)"
            ),
            ("smtpUsername", smtp?.username ?? "(none)"), ("smtpPassword", smtp?.password == nil ? "(none)" : "(redacted)"),
            ("smtpFrom", smtp?.from ?? "(none)"), ("notifyInterval", "\(notifyInterval) s"),
            ("psaPollInterval", "\(psaPollInterval) s"),
        ]
        var lines = values.map { "\($0.0): \($0.1)    # \(sources[$0.0] ?? "default")" }
        lines.append(
            "secretKey: \(ProcessInfo.processInfo.environment["TURNOVER_SECRET_KEY"] == nil ? "key file in dataDir" : "TURNOVER_SECRET_KEY (redacted)")"
        )
        lines.append("configFile: \(configFile ?? "(none)")")
        return lines.joined(separator: "\n")
    }
}
