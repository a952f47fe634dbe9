import ArgumentParser
import AsyncHTTPClient
import Foundation
import Logging
import PSAClients
import PSASimulator
import ServiceLifecycle
import TurnoverCore
import TurnoverEngine
import TurnoverStore
import UnixSignals

struct PSACommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "psa",
        abstract: "PSA connections (HaloPSA, ConnectWise PSA, Autotask) and the tickets imported from them.",
        discussion: """
            A tenant's policy names its connection and mapping in `psa:` (connection, company, board, newStatuses, poll, \
            statuses, time, deactivateContact, attachEvidence). `turnover serve` polls the boards and writes notes, \
            status, time, the contact and the evidence pack back to the ticket.
            """,
        subcommands: [
            PSAAddCommand.self, PSAListCommand.self, PSARemoveCommand.self, PSAImportCommand.self, PSAImportsCommand.self,
            PSASimulatorCommand.self,
        ])
}

/// A PSA desk over the workspace for one command, with its HTTP client shut down afterwards.
func withPSADesk<T>(_ workspace: Workspace, _ body: (PSADesk) async throws -> T) async throws -> T {
    let http = HTTPClient(eventLoopGroupProvider: .singleton)
    // No redirects for the PSA: its secret headers would follow one to another host.
    let psaHTTP = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(redirectConfiguration: .disallow))
    do {
        let result = try await body(PSADesk(desk: OffboardingDesk(clients: TenantClients(workspace: workspace, http: http)), http: psaHTTP))
        try await http.shutdown()
        try await psaHTTP.shutdown()
        return result
    } catch {
        try? await http.shutdown()
        try? await psaHTTP.shutdown()
        throw error
    }
}

struct PSAAddCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add",
        abstract: "Add or change a PSA connection; Turnover signs in with it first and keeps it only if the PSA accepts it.",
        discussion: """
            HaloPSA: --url https://x.halopsa.com --client-id ID [--account TENANT] and the client secret. \
            ConnectWise: --url https://SITE/v4_6_release/apis/3.0 --client-id CLIENTID --account COMPANY --username PUBLICKEY \
            and the private key. Autotask: --url https://webservicesN.autotask.net/ATServicesRest/V1.0 --client-id \
            INTEGRATIONCODE --username APIUSER and the secret. The secret is read from --secret-env or --secret-file, \
            never from the command line.
            """)
    @OptionGroup var data: DataOptions
    @Argument(help: "The connection's name, as a policy's psa.connection names it.") var name: String
    @Option(help: "halopsa, connectwise or autotask.") var kind: String
    @Option(help: "The PSA's address (see above).") var url: String
    @Option(name: .customLong("client-id")) var clientId: String
    @Option(help: "Halo hosted tenant, or ConnectWise company id.") var account: String?
    @Option(help: "ConnectWise public key, or Autotask API user name.") var username: String?
    @Option(name: .customLong("auth-url"), help: "Halo's token endpoint when not {url}/auth/token.") var authURL: String?
    @Option(name: .customLong("secret-env"), help: "An environment variable holding the secret.") var secretEnvironment: String?
    @Option(name: .customLong("secret-file"), help: "A file holding the secret.") var secretFile: String?

    func run() async throws {
        guard let psaKind = PSAKind(rawValue: kind.lowercased()) else {
            throw ValidationError("--kind is halopsa, connectwise or autotask, not '\(kind)'.")
        }
        let secret: String
        if let variable = secretEnvironment {
            guard let value = ProcessInfo.processInfo.environment[variable], !value.isEmpty else {
                throw CLIError("The environment variable \(variable) is not set.")
            }
            secret = value
        } else if let file = secretFile {
            secret = try String(contentsOfFile: file, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        } else {
            throw ValidationError("Give the secret with --secret-env VARIABLE or --secret-file FILE.")
        }
        let connection = PSAConnection(
            kind: psaKind, url: url, clientId: clientId, account: account, username: username, secret: secret, authURL: authURL)
        try await data.withWorkspace { workspace in
            try await withPSADesk(workspace) { desk in
                do {
                    let saved = try await desk.saveConnection(named: name, connection, by: NSUserName())
                    output("Saved PSA connection \(saved.name): \(psaKind.displayName), signed in as \(saved.verifiedAs ?? "?").")
                } catch let refusal as PSADesk.Refusal {
                    throw CLIError(refusal.description)
                }
            }
        }
    }
}

struct PSAListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List the PSA connections (never their secrets).")
    @OptionGroup var data: DataOptions

    func run() async throws {
        try await data.withWorkspace { workspace in
            let connections = try await workspace.store.psaConnections()
            if connections.isEmpty { output("No PSA connections.") }
            for connection in connections {
                output("\(connection.name)  \(connection.kind)  \(connection.url)  signed in as \(connection.verifiedAs ?? "?")")
            }
        }
    }
}

struct PSARemoveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "remove", abstract: "Remove a PSA connection.")
    @OptionGroup var data: DataOptions
    @Argument var name: String

    func run() async throws {
        try await data.withWorkspace { workspace in
            try await withPSADesk(workspace) { desk in
                guard try await desk.removeConnection(named: name, by: NSUserName()) else {
                    throw CLIError("No PSA connection '\(name)'.")
                }
                output("Removed PSA connection \(name).")
            }
        }
    }
}

struct PSAImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import a ticket by id from the tenant's PSA: when it names one leaver without doubt, submit the offboarding.",
        discussion: "The offboarding then waits for approval like any plan. A ticket is imported once.")
    @OptionGroup var data: DataOptions
    @Option(help: "The stored tenant whose policy names the PSA.") var tenant: String
    @Argument(help: "The ticket's id in the PSA.") var ticket: String

    func run() async throws {
        try await data.withWorkspace { workspace in
            try await withPSADesk(workspace) { desk in
                do {
                    let result = try await desk.importTicket(
                        ticket, tenant: tenant, by: NSUserName(), claim: "cli:\(NSUserName())", again: true)
                    let record = result.record
                    output(
                        "Ticket \(record.ticket) (\(record.summary ?? "")): \(record.outcome.rawValue)\(result.alreadyImported ? " (imported before)" : "")."
                    )
                    if !record.detail.isEmpty { output(record.detail) }
                    if let offboarding = record.offboarding { output("Offboarding \(offboarding) waits for approval.") }
                } catch let refusal as PSADesk.Refusal {
                    throw CLIError(refusal.description)
                }
            }
        }
    }
}

struct PSAImportsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "imports", abstract: "List imported tickets, newest first.")
    @OptionGroup var data: DataOptions
    @Option(help: "Only this tenant's.") var tenant: String?

    func run() async throws {
        try await data.withWorkspace { workspace in
            let imports = try await workspace.store.psaImports(tenant: tenant, limit: 200)
            if imports.isEmpty { output("No imported tickets.") }
            for record in imports {
                output(
                    "\(ISO8601DateFormatter().string(from: record.at))  \(record.tenant)  \(record.connection) #\(record.ticket)  \(record.outcome.rawValue)  \(record.offboarding?.rawValue ?? "")  \(record.detail)"
                )
            }
        }
    }
}

struct PSASimulatorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulator",
        abstract: "Run a PSA simulator (HaloPSA, ConnectWise PSA or Autotask) for trying Turnover out; prints how to connect.",
        discussion: "Its state is in memory. It seeds Contoso Ltd with contacts, an Offboarding board and a leaver's ticket.")
    @Option(help: "halopsa, connectwise or autotask.") var kind: String
    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "Port to listen on (0 picks a free port).") var port = 0

    func run() async throws {
        guard let psaKind = PSAKind(rawValue: kind.lowercased()) else {
            throw ValidationError("--kind is halopsa, connectwise or autotask, not '\(kind)'.")
        }
        let simulation = SimulatedPSA.make(psaKind)
        let ticket = simulation.openTicket(
            summary: "Leaver: Ben Carter",
            details: "Hi,\nBen Carter's last day is Friday. Please forward his email to Kate Lopez.\nThanks,\nDan",
            contactEmail: "dan.morgan@contoso.com")
        var logger = Logger(label: "psa-simulator")
        logger.logLevel = .warning
        let application = PSASimulatorServer.makeApplication(simulation, host: host, port: port) { boundPort in
            let connection = SimulatedPSA.connection(simulation, kind: psaKind, baseURL: "http://\(host):\(boundPort)")
            let directory = simulation.directory
            output("\(psaKind.displayName) simulator on http://\(host):\(boundPort)")
            output(
                "Connect: turnover psa add sandbox-\(psaKind.rawValue) --kind \(psaKind.rawValue) --url \(connection.url) --client-id \(connection.clientId)"
                    + (connection.account.map { " --account \($0)" } ?? "") + (connection.username.map { " --username \($0)" } ?? "")
                    + " --secret-env PSA_SECRET   (PSA_SECRET=\(connection.secret))")
            output(
                "Policy: psa: {connection: sandbox-\(psaKind.rawValue), company: \"\(directory.companyId)\", board: \"\(directory.boardId)\", newStatuses: [\"\(directory.statuses["New"] ?? "")\"], poll: true}"
            )
            output("Open ticket \(ticket): Leaver: Ben Carter")
        }
        let group = ServiceGroup(
            configuration: .init(services: [application], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}

/// A PSA simulator for a kind, and the connection a client needs for it.
enum SimulatedPSA {
    static func make(_ kind: PSAKind) -> any PSASimulation {
        guard let simulation = PSASimulators.make(kind.rawValue) else { preconditionFailure("every kind has a simulator") }
        return simulation
    }

    static func connection(_ simulation: any PSASimulation, kind: PSAKind, baseURL: String) -> PSAConnection {
        let fields = simulation.connectionFields(baseURL: baseURL)
        return PSAConnection(
            kind: kind, url: fields.url, clientId: fields.clientId, account: fields.account, username: fields.username,
            secret: fields.secret)
    }
}
