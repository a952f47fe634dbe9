import Foundation
import M365Simulator
import Testing

/// How Turnover handles the Microsoft behaviours of the fidelity audit, judged on the simulator's
/// state after driving the real `turnover` binary.
@Suite("Microsoft's behaviour, handled")
struct FidelityOffboardingTests {
    static func json(_ text: String) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
    }

    @Test("amy.ross's default Authenticator and her FIDO2 key are both removed")
    func defaultAuthenticator() async throws {
        try await withSimulator { simulator, baseURL in
            let cli = try await preparedCLI(simulator, baseURL: baseURL)
            let before = try SimulatorState(simulator).authenticationMethodKinds("amy.ross@contoso.com")
            #expect(before.contains { $0.contains("microsoftAuthenticator") } && before.contains { $0.contains("fido2") })
            let result = try await cli.run([
                "offboard", "amy.ross@contoso.com", "--tenant", "contoso", "--yes", "--set", "successor=nina.ortiz@contoso.com",
            ])
            #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
            let after = try SimulatorState(simulator).authenticationMethodKinds("amy.ross@contoso.com")
            #expect(after.allSatisfy { $0.contains("password") }, "\(after)")
        }
    }

    @Test("a tenant without Entra ID P1 plans with a 'last sign-in unknown' warning instead of failing")
    func tenantWithoutPremium() async throws {
        try await withSimulator { simulator, baseURL in
            let cli = try await preparedCLI(simulator, baseURL: baseURL)
            let tailspin = simulator.summary("Tailspin")
            try await cli.addTenant(
                "tailspin", tenantId: tailspin.tenantId, app: simulator.fullAccessApp("Tailspin"), secretVariable: "SIM_SECRET_TAILSPIN",
                simulatorURL: baseURL)
            let result = try await cli.run(["plan", "una.shaw@tailspintoys.com", "--tenant", "tailspin", "--json"])
            #expect(result.status == 0, "\(result.stderr)")
            let warnings = Self.json(result.stdout)["warnings"] as? [[String: Any]] ?? []
            #expect(warnings.contains { $0["code"] as? String == "last-sign-in-unknown" }, "\(warnings)")
            #expect(!warnings.contains { $0["code"] as? String == "recent-sign-in" })
        }
    }

    @Test("a synced user's licences are not removed on the strength of a cloud conversion")
    func hybridMailboxKeepsLicence() async throws {
        try await withSimulator { simulator, baseURL in
            let cli = try await preparedCLI(simulator, baseURL: baseURL)
            let upn = "felix.garcia@contoso.com"
            let licences = try SimulatorState(simulator).directLicences(upn)
            let result = try await cli.run([
                "offboard", upn, "--tenant", "contoso", "--yes", "--format", "json", "--set",
                "steps=revoke-sessions,convert-to-shared,remove-licences",
            ])
            #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
            let state = try SimulatorState(simulator)
            #expect(state.directLicences(upn) == licences && !licences.isEmpty)
            #expect(state.mailboxType(upn) == "UserMailbox")
            #expect(state.mailbox(upn)?["dataAtRisk"] == nil)
            let warnings = (Self.json(result.stdout)["plan"] as? [String: Any])?["warnings"] as? [[String: Any]] ?? []
            #expect(warnings.contains { $0["code"] as? String == "hybrid-mailbox" })
        }
    }

    @Test("a licence with a dependent add-on goes together with it; a group licence counts as freed once Entra has released it")
    func licences() async throws {
        try await withSimulator(configure: { $0.groupLicenceRemovalDelayMilliseconds = 800 }) { simulator, baseURL in
            let cli = try await preparedCLI(simulator, baseURL: baseURL)
            let kai = try await cli.run(["offboard", "kai.lund@contoso.com", "--tenant", "contoso", "--yes", "--format", "json"])
            #expect(kai.status == 0, "\(kai.stdout)\(kai.stderr)")
            #expect(try SimulatorState(simulator).directLicences("kai.lund@contoso.com").isEmpty)

            let grace = try await cli.run(["offboard", "grace.hall@contoso.com", "--tenant", "contoso", "--yes", "--format", "json"])
            #expect(grace.status == 0, "\(grace.stdout)\(grace.stderr)")
            #expect((Self.json(grace.stdout)["licencesFreed"] as? [String]) == ["SPE_E3"])
            #expect(try SimulatorState(simulator).directLicences("grace.hall@contoso.com").isEmpty)
            #expect(try SimulatorState(simulator).groupsWithMember("grace.hall@contoso.com").allSatisfy { !$0.contains("Licensing") })
        }
    }

    @Test("tenant test: an app with Graph but not Exchange.ManageAsApp shows Exchange-dependent steps as missing")
    func graphOnlyApp() async throws {
        try await withSimulator { simulator, baseURL in
            let contoso = simulator.summary("Contoso")
            let graphOnly = contoso.apps.first { $0.displayName.contains("Graph only") }!
            let cli = try await preparedCLI(simulator, baseURL: baseURL).adding(secrets: ["GRAPH_ONLY": graphOnly.clientSecret])
            try await cli.addTenant(
                "contoso-graph", tenantId: contoso.tenantId, app: graphOnly, secretVariable: "GRAPH_ONLY", simulatorURL: baseURL)
            let result = try await cli.run(["tenant", "test", "contoso-graph"])
            #expect(result.status == 1)
            #expect(result.stdout.contains("✔ block-sign-in"), "\(result.stdout)")
            #expect(result.stdout.contains("✔ leave-group:"), "\(result.stdout)")
            #expect(result.stdout.contains("✘ leave-distribution-list: missing Exchange.ManageAsApp"), "\(result.stdout)")
            #expect(result.stdout.contains("✘ remove-licences: missing Exchange.ManageAsApp"), "\(result.stdout)")
        }
    }
}
