import ArgumentParser
import AsyncHTTPClient
import Foundation
import M365Simulator
import MicrosoftGraph
import TurnoverCore
import TurnoverEngine
import TurnoverStore

struct DataOptions: ParsableArguments {
    @Option(
        name: .customLong("data-dir"),
        help: "Where Turnover keeps its database and key (default: $TURNOVER_DATA_DIR or the per-user data directory).")
    var dataDirectory: String?

    /// Opens the data directory for `body` and closes its store afterwards, also when `body` throws.
    /// The store is `database` (a PostgreSQL URL), else `$TURNOVER_DATABASE`, else the directory's SQLite file.
    func withWorkspace<T>(database: String? = nil, _ body: (Workspace) async throws -> T) async throws -> T {
        let environment = ProcessInfo.processInfo.environment
        let workspace = try await Workspace.open(
            dataDirectory ?? Self.defaultDirectory(environment: environment), secretKey: environment["TURNOVER_SECRET_KEY"],
            database: database ?? environment["TURNOVER_DATABASE"])
        do {
            let result = try await body(workspace)
            try await workspace.store.close()
            return result
        } catch {
            try? await workspace.store.close()
            throw error
        }
    }
}

extension DataOptions {
    /// `--data-dir`, else `TURNOVER_DATA_DIR`, else the per-user data directory.
    static func defaultDirectory(environment: [String: String]) -> String {
        if let configured = environment["TURNOVER_DATA_DIR"], !configured.isEmpty { return configured }
        if let xdg = environment["XDG_DATA_HOME"], !xdg.isEmpty { return xdg + "/turnover" }
        let home = environment["HOME"] ?? FileManager.default.homeDirectoryForCurrentUser.path
        #if os(macOS)
            return home + "/Library/Application Support/Turnover"
        #else
            return home + "/.local/share/turnover"
        #endif
    }
}

struct CLIError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Writes to standard error (progress, prompts) so standard output stays for reports and JSON.
func note(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

func output(_ text: String) {
    FileHandle.standardOutput.write(Data((text + "\n").utf8))
}

/// Runs `body` with a client for a stored tenant, or for the built-in sandbox tenant on an
/// in-process simulator (`--sandbox`).
func withTenantClient<T: Sendable>(
    workspace: Workspace, tenantName: String?, sandbox: Bool, latencyMilliseconds: Int = 0,
    _ body: @escaping @Sendable (MicrosoftClient, StoredTenant?) async throws -> T
) async throws -> T {
    let http = HTTPClient(eventLoopGroupProvider: .singleton)
    do {
        let result: T
        if sandbox {
            var settings = SimulatorSettings()
            settings.latencyMilliseconds = latencyMilliseconds
            let simulator = try Simulator(settings: settings)
            try simulator.loadDemoTenants()
            guard let contoso = simulator.tenantSummaries().first(where: { $0.name == "Contoso" }),
                let app = contoso.apps.first(where: { !$0.displayName.contains("read-only") })
            else { throw CLIError("The sandbox tenant is missing.") }
            result = try await simulator.withServer { baseURL in
                let client = MicrosoftClient(
                    connection: app.connection(name: "sandbox", tenantId: contoso.tenantId, simulatorURL: baseURL),
                    transport: .asyncHTTPClient(http))
                return try await body(client, nil)
            }
        } else {
            guard let tenantName else { throw CLIError("Give --tenant NAME (see `turnover tenant list`) or --sandbox.") }
            guard let tenant = try await workspace.store.tenant(named: tenantName) else {
                throw CLIError("No tenant '\(tenantName)'. Add it with `turnover tenant add \(tenantName) ...`.")
            }
            let client = MicrosoftClient(connection: try workspace.connection(for: tenant), transport: .asyncHTTPClient(http))
            result = try await body(client, tenant)
        }
        try await http.shutdown()
        return result
    } catch {
        try? await http.shutdown()
        throw error
    }
}

/// The policy of the built-in sandbox tenant: every step that destroys nothing, so a newcomer sees
/// them all, except the litigation hold (it would keep the licence the demo shows being freed); the
/// demo's block group and break-glass account are set.
let sandboxPolicy: Policy = {
    var policy = Policy()
    policy.name = "sandbox"
    policy.steps = StepRegistry.nonDestructivePolicyNames.filter { $0 != PlaceLitigationHold.policyName }
    policy.blockGroup = "CA - Blocked leavers"
    policy.breakGlass = ["breakglass01@contoso.onmicrosoft.com"]
    return policy
}()

/// The tenant's policy (or the sandbox's), or a template file instead, then the `--set` overrides.
func resolvePolicy(workspace: Workspace, tenant: StoredTenant?, template: String?, overrides: [String]) throws -> Policy {
    var policy: Policy
    if let template {
        guard let text = FileManager.default.contents(atPath: template) else { throw CLIError("Cannot read the template \(template).") }
        do { policy = try Policy.parse(yaml: String(decoding: text, as: UTF8.self)) } catch { throw CLIError("\(template):\n\(error)") }
    } else if let tenant {
        policy = try workspace.policy(for: tenant)
    } else {
        policy = sandboxPolicy
    }
    do { try policy.apply(overrides: overrides) } catch { throw CLIError("\(error)") }
    return policy
}

extension RunStatus {
    var exitCode: Int32 {
        switch self {
        case .succeeded: 0
        case .blocked: 3
        case .planned, .running: 4
        case .partiallySucceeded, .failed: 2
        }
    }
}

extension Simulator.AppSummary {
    /// A connection to this app of a simulator tenant: by certificate when it has one (as SharePoint
    /// requires), else by its secret.
    func connection(name: String, tenantId: String, simulatorURL: String) -> TenantConnection {
        let credential: ClientCredential =
            if let certificatePEM, let privateKeyPEM { .certificate(certificatePEM: certificatePEM, privateKeyPEM: privateKeyPEM) } else {
                .secret(clientSecret)
            }
        return TenantConnection(
            name: name, tenantId: tenantId, clientId: clientId, credential: credential, cloud: .simulator(URL(string: simulatorURL)!))
    }
}

/// Asks on the terminal; anything but yes stops with exit status 1 and nothing changed.
func confirmOrStop(_ question: String) throws {
    note("\n\(question) [y/N] ")
    guard let answer = readLine(), ["y", "yes"].contains(answer.lowercased()) else {
        note("Not started; nothing was changed.")
        throw ExitCode(1)
    }
}
