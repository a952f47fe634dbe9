import Foundation
import M365Simulator
import Testing

@Suite("Tenants from the CLI")
struct TenantCommandTests {
    @Test("tenant test shows, per step, which permissions the app has or lacks")
    func permissionsPerStep() async throws {
        try await withSimulator { simulator, baseURL in
            let contoso = simulator.summary("Contoso")
            let readOnly = contoso.apps.first { $0.displayName.contains("read-only") }!
            let cli = try await preparedCLI(simulator, baseURL: baseURL)
            let full = try await cli.run(["tenant", "test", "contoso"])
            #expect(full.status == 0, "\(full.stdout)\(full.stderr)")
            #expect(full.stdout.contains("✔ block-sign-in") && full.stdout.contains("✔ convert-to-shared"), "\(full.stdout)")

            let reader = cli.adding(secrets: ["RO_SECRET": readOnly.clientSecret])
            try await reader.addTenant(
                "contoso-ro", tenantId: contoso.tenantId, app: readOnly, secretVariable: "RO_SECRET", simulatorURL: baseURL)
            let limited = try await reader.run(["tenant", "test", "contoso-ro"])
            #expect(limited.status == 1)
            #expect(limited.stdout.contains("✘ block-sign-in: missing one of"), "\(limited.stdout)")
        }
    }

    @Test("secrets are sealed at rest and never printed; a missing secret changes nothing")
    func secretsSealed() async throws {
        try await withSimulator { simulator, baseURL in
            let cli = try await preparedCLI(simulator, baseURL: baseURL)
            let secret = simulator.contosoSecretEnvironment["SIM_SECRET_CONTOSO"]!
            let listed = try await cli.run(["tenant", "list"])
            #expect(listed.status == 0 && listed.stdout.contains("contoso"))
            #expect(!listed.stdout.contains(secret) && !listed.stderr.contains(secret))
            let directory = URL(fileURLWithPath: cli.dataDirectory)
            for file in try FileManager.default.contentsOfDirectory(atPath: cli.dataDirectory) where file.hasPrefix("turnover.sqlite") {
                let bytes = try Data(contentsOf: directory.appendingPathComponent(file))
                #expect(bytes.range(of: Data(secret.utf8)) == nil, "\(file) holds the secret in clear")
            }
            let key = try FileManager.default.attributesOfItem(atPath: directory.appendingPathComponent("secret.key").path)
            #expect((key[.posixPermissions] as? Int) == 0o600)

            let missing = try await cli.run([
                "tenant", "add", "other", "--tenant-id", "t", "--client-id", "c", "--client-secret-env", "NOT_SET_ANYWHERE", "--simulator",
                baseURL,
            ])
            #expect(missing.status != 0 && missing.stderr.contains("NOT_SET_ANYWHERE"))
            #expect(try await cli.run(["tenant", "list"]).stdout.contains("other") == false)
        }
    }
}
