import ArgumentParser
import AsyncHTTPClient
import Configuration
import Foundation
import Logging
import M365Simulator
import Metrics
import PSAClients
import PSASimulator
import Prometheus
import ServiceLifecycle
import Synchronization
import TurnoverCore
import TurnoverEngine
import TurnoverServer
import TurnoverStore
import UnixSignals

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run Turnover for a team: the REST API, the durable run worker and the lease reaper, in one process.",
        discussion: """
            Technicians submit offboardings, approvers (never the submitter) approve them, and the worker runs them \
            durably. SIGTERM or SIGINT shut down gracefully: the steps in flight finish and leases are released. \
            Settings come from flags, then TURNOVER_* environment variables (TURNOVER_HOST, TURNOVER_PORT, TURNOVER_DATA_DIR, \
            TURNOVER_DATABASE, TURNOVER_PUBLIC_URL, TURNOVER_MAX_RUNS, TURNOVER_LOG_LEVEL), then the YAML file of --config \
            (or TURNOVER_CONFIG), then defaults; TURNOVER_SECRET_KEY seals tenant secrets.
            """)

    @OptionGroup var data: DataOptions
    @Option(help: "Address to listen on (default: $TURNOVER_HOST or 127.0.0.1).") var host: String?
    @Option(help: "Port to listen on; 0 picks a free one (default: $TURNOVER_PORT or 8080).") var port: Int?
    @Flag(help: "Also run the built-in simulator with the demo tenants (Contoso, Fabrikam) and register them: no Microsoft tenant needed.")
    var sandbox = false
    @Option(help: "A PostgreSQL URL for several `turnover serve` processes to share; SQLite in the data directory when absent.")
    var database: String?
    @Option(
        name: .customLong("bootstrap-admin"), help: "When no operator exists yet, create this admin and print their one-time credentials.")
    var bootstrapAdmin: String?
    @Option(
        name: .customLong("public-url"),
        help: "The address operators reach the console at, when a proxy terminates TLS (https://… marks cookies Secure and sends HSTS).")
    var publicURL: String?
    @Option(
        name: .customLong("max-runs"),
        help: "How many runs this process executes at once (default 32); more wait for it or another process.")
    var maxRuns: Int?
    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice (the default), warning or error.") var logLevel: String?
    @Option(help: "A YAML file of settings (default: $TURNOVER_CONFIG); flags, then TURNOVER_* variables, take precedence over it.")
    var config: String?
    @Flag(
        name: .customLong("print-config"),
        help: "Print the effective configuration and where each value came from, secrets redacted, and exit.")
    var printConfig = false

    /// The flags given on the command line, under the configuration's names.
    var flags: [String: ConfigContent] {
        var flags: [String: ConfigContent] = [:]
        if let host { flags["host"] = .string(host) }
        if let port { flags["port"] = .int(port) }
        if let directory = data.dataDirectory { flags["dataDir"] = .string(directory) }
        if let database { flags["database"] = .string(database) }
        if sandbox { flags["sandbox"] = .bool(true) }
        if let publicURL { flags["publicUrl"] = .string(publicURL) }
        if let maxRuns { flags["maxRuns"] = .int(maxRuns) }
        if let logLevel { flags["logLevel"] = .string(logLevel) }
        if let bootstrapAdmin { flags["bootstrapAdmin"] = .string(bootstrapAdmin) }
        return flags
    }

    func run() async throws {
        let settings: ServeConfiguration
        do {
            settings = try await ServeConfiguration.load(flags: flags, environment: ProcessInfo.processInfo.environment, configFile: config)
        } catch let invalid as ServeConfiguration.Invalid {
            throw CLIError(invalid.description)
        }
        if printConfig {
            output(settings.printed)
            return
        }
        var configuredLogger = Logger(label: "turnover.serve")
        configuredLogger.logLevel = Logger.Level(rawValue: settings.logLevel) ?? .notice
        let logger = configuredLogger
        let host = settings.host, port = settings.port, secure = settings.secure, sandbox = settings.sandbox,
            bootstrapAdmin = settings.bootstrapAdmin, maxRuns = settings.maxRuns, scheduleGrace = settings.scheduleGrace
        var data = self.data
        data.dataDirectory = settings.dataDirectory
        let metrics = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: metrics))
        try await data.withWorkspace(database: settings.database) { workspace in
            let accounts = OperatorAccounts(store: workspace.store)
            if try await workspace.store.operators().isEmpty {
                guard let bootstrapAdmin else {
                    throw CLIError(
                        "No operator exists yet: start with --bootstrap-admin NAME once (or run `turnover operator add NAME --role admin`)."
                    )
                }
                let created = try await accounts.addOperator(name: OperatorName(bootstrapAdmin), roles: [.admin], tenants: [])
                try await workspace.store.appendAudit(
                    AuditEvent(actor: "turnover serve", action: "operator.added", subject: bootstrapAdmin, detail: "bootstrap admin"),
                    at: Date())
                output(OperatorCommand.describe(created))
            }
            let http = HTTPClient(eventLoopGroupProvider: .singleton)
            // PSAs get a client that follows no redirect: Autotask's secret travels in headers that a
            // redirect to another host would carry along.
            let psaHTTP = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(redirectConfiguration: .disallow))
            do {
                let clients = TenantClients(workspace: workspace, http: http)
                let desk = OffboardingDesk(clients: clients)
                let psaDesk = PSADesk(desk: desk, http: psaHTTP)
                let owner =
                    LeaseOwner.make("serve-\(UUID().uuidString.prefix(6).lowercased())")
                let (ready, readyContinuation) = AsyncStream.makeStream(of: String?.self)
                var services: [any Service] = []
                let boundURL = Mutex<String>(settings.publicURL ?? "http://\(host):\(port)")
                let (psaReady, psaReadyContinuation) = AsyncStream.makeStream(of: Sandbox.PSA?.self)
                if sandbox {
                    let simulator = try Simulator()
                    try simulator.loadDemoTenants()
                    let halo = HaloPSASimulator()
                    services.append(
                        try simulator.makeApplication(host: "127.0.0.1", port: 0) { simulatorPort in
                            do {
                                try await Sandbox.register(
                                    simulator, url: "http://127.0.0.1:\(simulatorPort)", in: workspace, psa: halo)
                            } catch {
                                logger.critical("could not register the sandbox tenants", metadata: ["error": "\(error)"])
                            }
                            readyContinuation.yield("http://127.0.0.1:\(simulatorPort)")
                        })
                    let demoTicket = halo.openTicket(
                        summary: "Leaver: Ben Carter", details: Sandbox.demoTicket, contactEmail: "dan.morgan@contoso.com")
                    services.append(
                        PSASimulatorServer.makeApplication(halo, host: "127.0.0.1", port: 0) { haloPort in
                            // Connected from the main server's start: a server does not answer until this returns.
                            psaReadyContinuation.yield(
                                .init(url: "http://127.0.0.1:\(haloPort)", simulation: halo, demoTicket: demoTicket))
                        })
                } else {
                    readyContinuation.yield(nil)
                    psaReadyContinuation.yield(nil)
                }
                services.append(
                    try ServerApplication.make(
                        desk: desk, accounts: accounts, psa: psaDesk, host: host, port: port, logger: logger, metrics: metrics,
                        secure: secure
                    ) {
                        boundPort in
                        var simulatorURL: String?
                        for await url in ready {
                            simulatorURL = url
                            break
                        }
                        if let simulatorURL {
                            output("Sandbox simulator (tenants contoso and fabrikam) on \(simulatorURL); its control API is under /_sim/")
                        }
                        for await psa in psaReady {
                            guard let psa else { break }
                            do {
                                _ = try await psaDesk.saveConnection(
                                    named: Sandbox.psaConnection,
                                    SimulatedPSA.connection(psa.simulation, kind: .haloPSA, baseURL: psa.url), by: "sandbox")
                                output(
                                    "Sandbox HaloPSA on \(psa.url) (connection \(Sandbox.psaConnection); ticket \(psa.demoTicket) is a leaver's); its control API is under /_sim/"
                                )
                            } catch {
                                logger.critical("could not connect the sandbox HaloPSA", metadata: ["error": "\(error)"])
                            }
                            break
                        }
                        if settings.publicURL == nil { boundURL.withLock { $0 = "http://\(host):\(boundPort)" } }
                        // Written unbuffered: scripts and tests wait for this line.
                        output("Turnover is listening on http://\(host):\(boundPort)")
                    })
                var workerSettings = RunWorker.Settings()
                workerSettings.maxConcurrentRuns = maxRuns
                workerSettings.scheduleGrace = TimeInterval(scheduleGrace)
                services.append(RunWorker(desk: desk, owner: owner, settings: workerSettings, logger: logger))
                services.append(LeaseReaper(store: workspace.store, logger: logger))
                let router = NotificationRouter(
                    store: workspace.store, secrets: workspace.secrets, publicURL: { boundURL.withLock { $0 } },
                    policy: { name in
                        guard let tenant = try await clients.tenant(name) else { return nil }
                        return try workspace.policy(for: tenant)
                    }, now: { Date() })
                let writer = PSAWriter(psa: psaDesk) { id in
                    let (request, _) = try await desk.offboarding(id)
                    return try await EvidenceExport.pack(for: request, store: workspace.store, secrets: workspace.secrets, at: Date())
                }
                services.append(
                    NotificationDispatcher(
                        router: router,
                        transports: .live(smtp: settings.smtp.map(SMTPClient.init(settings:)), http: http, psa: writer), owner: owner,
                        interval: .milliseconds(Int(settings.notifyInterval * 1000)), backoffScale: settings.notifyRetryScale,
                        logger: logger))
                services.append(
                    PSAPoller(
                        psa: psaDesk, owner: owner, interval: .milliseconds(Int(settings.psaPollInterval * 1000)), logger: logger))
                let group = ServiceGroup(
                    configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
                try await group.run()
                try await http.shutdown()
                try await psaHTTP.shutdown()
            } catch {
                try? await http.shutdown()
                try? await psaHTTP.shutdown()
                throw error
            }
        }
    }

    static func redacted(_ url: String) -> String {
        guard var components = URLComponents(string: url), components.password != nil else { return url }
        components.password = "REDACTED"
        return components.string ?? url
    }
}

/// The demo tenants of `serve --sandbox`, registered as ordinary tenants that point at the
/// in-process simulator (its port is new at every start, so they are registered again each time).
enum Sandbox {
    static let psaConnection = "sandbox-halopsa"

    /// The sandbox's HaloPSA, once it listens.
    struct PSA: Sendable {
        var url: String
        var simulation: HaloPSASimulator
        var demoTicket: String
    }
    static let demoTicket = """
        Hi team,
        Ben Carter's last day is Friday. Please forward his email to Kate Lopez and give her his OneDrive.
        Thanks,
        Dan Morgan
        """

    static func register(_ simulator: Simulator, url: String, in workspace: Workspace, psa: HaloPSASimulator) async throws {
        for summary in simulator.tenantSummaries() {
            guard let app = summary.apps.first(where: { !$0.displayName.contains("read-only") }) else { continue }
            let name = summary.name.lowercased()
            let existing = try await workspace.store.tenant(named: name)
            try await workspace.store.saveTenant(
                StoredTenant(
                    name: name, tenantId: summary.tenantId, clientId: app.clientId, cloud: "simulator", simulatorURL: url,
                    sealedSecret: app.certificatePEM == nil ? try workspace.secrets.seal(app.clientSecret) : nil,
                    sealedCertificate: try app.certificatePEM.map { try workspace.secrets.seal($0 + "\n" + (app.privateKeyPEM ?? "")) },
                    policyYAML: existing?.policyYAML ?? (name == "contoso" ? contosoPolicy(psa: psa) : nil),
                    createdAt: existing?.createdAt ?? Date())
            )
        }
    }

    /// The CLI sandbox's policy, as YAML an admin can edit through the API, without the reverse
    /// lookup of the leaver's rights on other mailboxes: it costs an Exchange command per mailbox,
    /// and the worker plans twice (at submission, and again just before the run).
    static func contosoPolicy(psa: HaloPSASimulator) -> String {
        let steps = sandboxPolicy.steps.filter { $0 != RemoveMailboxRight.policyName }.map { "  - \($0)" }.joined(separator: "\n")
        let ids = psa.directory.statuses
        return """
            name: sandbox
            steps:
            \(steps)
            blockGroup: \(sandboxPolicy.blockGroup ?? "")
            breakGlass:
              - breakglass01@contoso.onmicrosoft.com
            approval:
              quorum: 1
              expiresHours: 24
            psa:
              connection: \(psaConnection)
              company: "\(psa.directory.companyId)"
              board: "\(psa.directory.boardId)"
              newStatuses: ["\(ids["New"] ?? "")"]
              poll: false
              statuses: {submitted: "\(ids["Waiting Approval"] ?? "")", approved: "\(ids["In Progress"] ?? "")", completed: "\(ids["Resolved"] ?? "")", partial: "\(ids["In Progress"] ?? "")", failed: "\(ids["In Progress"] ?? "")"}
              time: {member: "\(psa.technician.member)"}

            """
    }
}
