import Foundation
import M365Simulator
import Testing

/// The hardest demo leavers offboarded with `steps: all`: nothing they could still use, nothing
/// lost, every exception in the report; then `turnover undo` puts back what is reversible.
@Suite("The hardest leavers with steps: all")
struct HardestLeaversTests {
    struct Leaver: Sendable, CustomStringConvertible {
        var upn: String
        var settings: [String] = []
        var description: String { upn }
    }

    static let leavers: [Leaver] = [
        Leaver(upn: "amy.ross@contoso.com", settings: ["successor=nina.ortiz@contoso.com"]),  // admin; default Authenticator + FIDO2
        Leaver(upn: "isla.jones@contoso.com", settings: ["successor=nina.ortiz@contoso.com"]),  // sole owner
        Leaver(upn: "grace.hall@contoso.com"),  // licence through a group
        Leaver(upn: "yusuf.adams@contoso.com"),  // distribution lists and a mail-enabled security group
        Leaver(upn: "daniel.evans@contoso.com", settings: ["keepLicences=SPE_E3"]),  // mailbox over 50 GB
        Leaver(upn: "umar.west@contoso.com"),  // an inbox rule redirecting outside
        Leaver(upn: "liam.moore_fabrikam.com#EXT#@contoso.onmicrosoft.com"),  // guest
    ]

    /// What a leaver could still use or hold after the offboarding.
    static func stillUsable(_ state: SimulatorState, _ upn: String) -> [String] {
        var left: [String] = []
        if state.accountEnabled(upn) != false { left.append("sign-in") }
        if state.liveSessions(upn) > 0 { left.append("\(state.liveSessions(upn)) sessions") }
        let methods = state.authenticationMethodKinds(upn).filter { !$0.contains("password") }
        if !methods.isEmpty { left.append("methods \(methods)") }
        for (label, items) in [
            ("roles", state.roleNames(upn)), ("consents", state.consents(upn)), ("app roles", state.appRoles(upn)),
            ("inbox rules", state.inboxRules(upn)), ("mobile devices", state.mobileDevices(upn)),
        ] where !items.isEmpty {
            left.append("\(label) \(items)")
        }
        let enabledDevices = state.registeredDevices(upn).filter { $0.hasSuffix("enabled=1") || $0.hasSuffix("enabled=true") }
        if !enabledDevices.isEmpty { left.append("devices \(enabledDevices)") }
        let managed = state.managedDeviceStates(upn).filter { $0.hasSuffix(" managed") }
        if !managed.isEmpty { left.append("Intune \(managed)") }
        return left
    }

    static func reversible(_ state: SimulatorState, _ upn: String) -> [String] {
        [UndoTests.Reversible(state, upn).description] + state.roleNames(upn) + state.consents(upn) + state.appRoles(upn)
            + state.registeredDevices(upn) + state.reportingLines(upn)
    }

    @Test("left with nothing usable and nothing lost; undo restores the reversible", arguments: leavers)
    func leaver(_ leaver: Leaver) async throws {
        try await withSimulator { simulator, baseURL in
            let cli = try await preparedCLI(simulator, baseURL: baseURL)
            let tenant = try await cli.addCertificateTenant(simulator, baseURL: baseURL)
            let before = Self.reversible(try SimulatorState(simulator), leaver.upn)
            let result = try await cli.run(
                ["offboard", leaver.upn, "--tenant", tenant, "--yes", "--format", "json", "--set", "steps=all"]
                    + leaver.settings.flatMap { ["--set", $0] })
            #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
            let state = try SimulatorState(simulator)
            #expect(Self.stillUsable(state, leaver.upn).isEmpty, "\(leaver.upn) still has \(Self.stillUsable(state, leaver.upn))")
            #expect(state.mailboxesAtRisk.isEmpty, "\(state.mailboxesAtRisk)")
            let run = (try? JSONSerialization.jsonObject(with: Data(result.stdout.utf8))) as? [String: Any] ?? [:]
            let steps = run["steps"] as? [[String: Any]] ?? []
            #expect(steps.allSatisfy { ["succeeded", "skipped"].contains($0["status"] as? String ?? "") }, "\(steps)")
            // Every step left alone says why in the report.
            let report = try await cli.run(["report", try #require(run["id"] as? String)])
            for step in steps where step["status"] as? String == "skipped" {
                #expect((step["reason"] as? String)?.isEmpty == false, "\(step)")
                #expect(report.stdout.contains(step["title"] as? String ?? "?"))
            }

            let undo = try await cli.run(["undo", try #require(run["id"] as? String), "--yes"])
            #expect(undo.status == 0, "\(undo.stdout)\(undo.stderr)")
            #expect(undo.stderr.contains("Cannot come back:"))
            let after = Self.reversible(try SimulatorState(simulator), leaver.upn)
            #expect(after == before, "\(leaver.upn)\n before: \(before)\n  after: \(after)")
        }
    }

    @Test("a synced user's plan is refused with what to do on-premises, and nothing changes")
    func syncedUser() async throws {
        try await withSimulator { simulator, baseURL in
            let cli = try await preparedCLI(simulator, baseURL: baseURL)
            let since = simulator.requestLog().last?.sequence ?? 0
            let result = try await cli.run(["offboard", "felix.garcia@contoso.com", "--tenant", "contoso", "--yes", "--set", "steps=all"])
            #expect(result.status == 3)
            #expect(result.stderr.contains("synced from on-premises AD") && result.stderr.contains("Disable the account in on-premises AD"))
            #expect(simulator.requestLog(since: since).filter(\.isChange).isEmpty)
        }
    }
}
