import Foundation
import M365Simulator
import Testing

/// A tenant whose first app may not touch authentication methods: a realistic half-consented app.
let northwindYAML = """
    name: Northwind
    initialDomain: northwind.onmicrosoft.com
    domains: [northwind.com]
    country: GB
    apps:
      - name: Turnover (no authentication-method rights)
        clientSecret: northwind-limited-secret
        graph: [User.ReadWrite.All, User.RevokeSessions.All, Group.ReadWrite.All, GroupMember.ReadWrite.All, Directory.Read.All,
                RoleManagement.Read.Directory, UserAuthenticationMethod.Read.All, LicenseAssignment.ReadWrite.All, MailboxSettings.ReadWrite,
                DeviceManagementManagedDevices.Read.All, Files.Read.All, AuditLog.Read.All, Organization.Read.All, Domain.Read.All]
        exchange: [Exchange.ManageAsApp]
        roles: [Exchange Administrator, User Administrator]
      - name: Turnover
        clientSecret: northwind-full-secret
        graph: [User.ReadWrite.All, User.RevokeSessions.All, Group.ReadWrite.All, GroupMember.ReadWrite.All, Directory.Read.All,
                RoleManagement.Read.Directory, UserAuthenticationMethod.ReadWrite.All, LicenseAssignment.ReadWrite.All, MailboxSettings.ReadWrite,
                DeviceManagementManagedDevices.Read.All, Files.Read.All, AuditLog.Read.All, Organization.Read.All, Domain.Read.All]
        exchange: [Exchange.ManageAsApp]
        roles: [Exchange Administrator, User Administrator, Privileged Authentication Administrator]
    skus:
      - {part: SPE_E3, units: 5}
    users:
      - key: olga.berg
        name: Olga Berg
        licenses: [SPE_E3]
        mailbox: {sizeGB: 3}
      - key: leo.marsh
        name: Leo Marsh
        manager: olga.berg
        licenses: [SPE_E3]
        authMethods: [{type: microsoftAuthenticator, name: Pixel 8, isDefault: true}, {type: fido2, name: YubiKey 5C}]
        sessions: 2
        mailbox: {sizeGB: 2}
    roles:
      Global Administrator: [olga.berg]
    """

@Suite("Partial failure")
struct PartialFailureTests {
    @Test("a step Microsoft refuses is reported failed with its request-id, the run is partial, and re-planning plans only what is left")
    func partialFailureThenReplan() async throws {
        try await withSimulator { simulator, baseURL in
            let summary = try simulator.load(TenantFixture.decode(yaml: northwindYAML))
            let limited = summary.apps.first { $0.displayName.contains("no authentication") }!
            let full = summary.apps.first { $0.displayName == "Turnover" }!
            let cli = try CLI.make(secrets: ["NW_LIMITED": limited.clientSecret, "NW_FULL": full.clientSecret])
            func addTenant(app: Simulator.AppSummary, secretVariable: String) async throws {
                try await cli.addTenant(
                    "northwind", tenantId: summary.tenantId, app: app, secretVariable: secretVariable, simulatorURL: baseURL)
            }
            let leo = "leo.marsh@northwind.com"
            try await addTenant(app: limited, secretVariable: "NW_LIMITED")

            let first = try await cli.run(["offboard", leo, "--tenant", "northwind", "--yes", "--format", "json"])
            #expect(first.status == 2, "a partial run exits 2\n\(first.stderr)")
            let report = reportJSON(first)
            #expect(report["status"] as? String == "partially-succeeded")
            let failed = (report["steps"] as? [[String: Any]] ?? []).filter { $0["status"] as? String == "failed" }
            #expect(failed.count == 2 && failed.allSatisfy { $0["kind"] as? String == "remove-auth-method" }, "\(failed)")
            for step in failed {
                let error = step["error"] as? [String: Any]
                #expect(error?["status"] as? Int == 403)
                #expect(error?["code"] as? String == "Authorization_RequestDenied")
                #expect((error?["requestId"] as? String)?.isEmpty == false)
            }
            let markdown = try await cli.run(["report", report["id"] as? String ?? "", "--format", "md"])
            #expect(markdown.stdout.lowercased().contains("partially completed"), "\(markdown.stdout)")
            #expect(markdown.stdout.contains("Authorization_RequestDenied"))

            // Everything else happened, in the simulator.
            var state = try SimulatorState(simulator, tenant: "Northwind")
            #expect(state.accountEnabled(leo) == false)
            #expect(state.directLicences(leo).isEmpty)
            #expect(state.mailboxType(leo) == "SharedMailbox")
            #expect(state.authenticationMethodKinds(leo).count == 3)
            #expect(state.mailboxesAtRisk.isEmpty)

            // Re-planning plans only what is left: the two methods.
            let plan = try await cli.run(["plan", leo, "--tenant", "northwind", "--json"])
            #expect(plan.status == 0, "\(plan.stderr)")
            let planned = (reportJSON(plan)["steps"] as? [[String: Any]] ?? []).filter { step in
                (step["disposition"] as? [String: Any])?.keys.contains("run") == true
            }
            #expect(planned.map { $0["kind"] as? String ?? "" } == ["remove-auth-method", "remove-auth-method"], "\(planned)")

            // The administrator consents the missing permission (here: registers the full app); the
            // next offboarding finishes the job and repeats nothing.
            try await addTenant(app: full, secretVariable: "NW_FULL")
            let since = simulator.requestLog().last?.sequence ?? 0
            let second = try await cli.run(["offboard", leo, "--tenant", "northwind", "--yes", "--format", "json"])
            #expect(second.status == 0, "\(second.stderr)")
            let succeeded = (reportJSON(second)["steps"] as? [[String: Any]] ?? []).filter { $0["status"] as? String == "succeeded" }
            #expect(succeeded.map { $0["kind"] as? String ?? "" } == ["remove-auth-method", "remove-auth-method"])
            let changes = simulator.requestLog(since: since).filter(\.isChange)
            #expect(
                changes.count == 2 && changes.allSatisfy { $0.method == "DELETE" && $0.path.contains("/authentication/") },
                "\(changes.map { $0.operation ?? $0.path })")
            state = try SimulatorState(simulator, tenant: "Northwind")
            #expect(state.authenticationMethodKinds(leo) == ["password"])
        }
    }
}
