import ArgumentParser
import Foundation
import MicrosoftGraph
import TurnoverCore
import TurnoverEngine
import TurnoverStore

struct TenantCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tenant", abstract: "Add, list, test and remove the tenants Turnover works on.",
        subcommands: [TenantAdd.self, TenantList.self, TenantTest.self, TenantRemove.self])
}

struct TenantAdd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add", abstract: "Register a tenant's app; its secret or certificate is sealed at rest (AES-GCM) and never printed.")

    @OptionGroup var data: DataOptions
    @Argument(help: "A short name for the tenant (for example contoso).") var name: String
    @Option(name: .customLong("tenant-id"), help: "The directory (tenant) id.") var tenantId: String
    @Option(name: .customLong("client-id"), help: "The app registration's application (client) id.") var clientId: String
    @Option(name: .customLong("client-secret-env"), help: "The environment variable that holds the client secret.") var secretVariable:
        String?
    @Option(name: .customLong("certificate"), help: "A PEM file with the app's certificate and private key (needed for SharePoint).")
    var certificate: String?
    @Option(help: "global, usgov (GCC High), dod or china.") var cloud = "global"
    @Option(help: "Point every Microsoft host at a `turnover sim` at this URL instead of a cloud.") var simulator: String?
    @Option(help: "A YAML policy template for this tenant.") var policy: String?

    func validate() throws {
        if (secretVariable == nil) == (certificate == nil) {
            throw ValidationError("Give exactly one of --client-secret-env VAR or --certificate FILE.")
        }
        if simulator == nil, Cloud(name: cloud) == nil {
            throw ValidationError("Unknown cloud '\(cloud)'; use global, usgov, dod or china.")
        }
        if let simulator, URL(string: simulator)?.scheme == nil {
            throw ValidationError("--simulator needs a URL such as http://127.0.0.1:8765")
        }
    }

    func run() async throws {
        try await data.withWorkspace { workspace in
            var sealedSecret: String?
            var sealedCertificate: String?
            if let secretVariable {
                guard let secret = ProcessInfo.processInfo.environment[secretVariable], !secret.isEmpty else {
                    throw CLIError("The environment variable \(secretVariable) is not set.")
                }
                sealedSecret = try workspace.secrets.seal(secret)
            }
            if let certificate {
                guard let pem = FileManager.default.contents(atPath: certificate).map({ String(decoding: $0, as: UTF8.self) }),
                    pem.contains("BEGIN CERTIFICATE"), pem.contains("PRIVATE KEY")
                else { throw CLIError("\(certificate) must be a PEM file with the certificate and its private key.") }
                sealedCertificate = try workspace.secrets.seal(pem)
            }
            var policyYAML: String?
            if let policy {
                guard let text = FileManager.default.contents(atPath: policy).map({ String(decoding: $0, as: UTF8.self) }) else {
                    throw CLIError("Cannot read \(policy).")
                }
                do { _ = try Policy.parse(yaml: text) } catch { throw CLIError("\(policy):\n\(error)") }
                policyYAML = text
            }
            try await workspace.store.saveTenant(
                StoredTenant(
                    name: name, tenantId: tenantId, clientId: clientId, cloud: simulator == nil ? cloud : "simulator",
                    simulatorURL: simulator,
                    sealedSecret: sealedSecret, sealedCertificate: sealedCertificate, policyYAML: policyYAML, createdAt: Date()))
            output(
                "Tenant \(name) saved (\(simulator.map { "simulator \($0)" } ?? cloud)); credentials sealed. Check it with `turnover tenant test \(name)`."
            )
        }
    }
}

struct TenantList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List tenants (never their secrets).")
    @OptionGroup var data: DataOptions

    func run() async throws {
        try await data.withWorkspace { workspace in
            for tenant in try await workspace.store.tenants() {
                let credential = tenant.sealedCertificate != nil ? "certificate" : "client secret"
                output(
                    "\(tenant.name)\t\(tenant.tenantId)\t\(tenant.simulatorURL.map { "simulator \($0)" } ?? tenant.cloud)\t\(credential)")
            }
        }
    }
}

struct TenantRemove: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "remove", abstract: "Forget a tenant and its sealed credentials.")
    @OptionGroup var data: DataOptions
    @Argument var name: String

    func run() async throws {
        try await data.withWorkspace { workspace in
            let removed = try await workspace.store.deleteTenant(named: name)
            guard removed else { throw CLIError("No tenant '\(name)'.") }
            output("Tenant \(name) removed.")
        }
    }
}

struct TenantTest: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test", abstract: "Get tokens and show, per step, whether the app has the permissions it needs.")
    @OptionGroup var data: DataOptions
    @Argument var name: String

    func run() async throws {
        try await data.withWorkspace { workspace in
            let missingAny = try await withTenantClient(workspace: workspace, tenantName: name, sandbox: false) { client, tenant in
                let service = OffboardingService(store: workspace.store, client: client, tenantName: name)
                let (graph, exchange, checks) = try await service.testPermissions()
                // Only the steps the tenant's policy runs decide the answer; the others are shown for reference.
                let policy = try tenant.map(workspace.policy(for:)) ?? Policy()
                let enabled = Set(policy.steps.flatMap { name in StepRegistry.kinds(switchedOnBy: name).map { $0.kind } })
                output(
                    "Graph token: \(graph.count) application permissions. Exchange token: \(exchange.isEmpty ? "none" : exchange.sorted().joined(separator: ", "))."
                )
                for check in checks {
                    let mark = check.isGranted ? "✔" : enabled.contains(check.kind) ? "✘" : "–"
                    output(
                        "\(mark) \(check.kind): "
                            + (check.isGranted ? "ok" : "missing \(check.missing.joined(separator: " and ")) (needs \(check.requirement))")
                            + (enabled.contains(check.kind) ? "" : " — not in the policy"))
                }
                return checks.contains { !$0.isGranted && enabled.contains($0.kind) }
            }
            if missingAny { throw ExitCode(1) }
        }
    }
}
