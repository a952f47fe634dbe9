import Foundation
import M365Simulator
import Testing

/// Deleting the account (the inactive-mailbox path), undoing it, and `turnover restore`, judged on
/// the simulator's state.
@Suite("Delete and restore")
struct DeleteRestoreTests {
    @Test("delete and keep-as-shared exclude each other: the plan is refused with the reason and nothing changes")
    func deleteExcludesShared() async throws {
        try await withSimulator { simulator, baseURL in
            let cli = try await preparedCLI(simulator, baseURL: baseURL)
            let since = simulator.requestLog().last?.sequence ?? 0
            let result = try await cli.run([
                "offboard", "ben.carter@contoso.com", "--tenant", "contoso", "--yes", "--set",
                "steps=block-sign-in,convert-to-shared,delete-user",
            ])
            #expect(result.status == 3, "\(result.stderr)")
            #expect(result.stderr.contains("delete-user and convert-to-shared exclude each other"), "\(result.stderr)")
            #expect(simulator.requestLog(since: since).filter(\.isChange).isEmpty)
            #expect(try SimulatorState(simulator).accountEnabled("ben.carter@contoso.com") == true)
        }
    }

    @Test("hold + delete keeps an inactive mailbox, unlicensed and searchable; undo brings the user back as before")
    func inactiveMailboxPathAndUndo() async throws {
        try await withSimulator { simulator, baseURL in
            let cli = try await preparedCLI(simulator, baseURL: baseURL)
            let upn = "yusuf.adams@contoso.com"
            let before = try SimulatorState(simulator)
            let id = before.userId(upn)
            let licences = before.directLicences(upn)
            let groups = before.groupsWithMember(upn)
            // steps: all includes OneDrive access, which SharePoint grants only to a certificate.
            let tenant = try await cli.addCertificateTenant(simulator, baseURL: baseURL)
            let result = try await cli.run([
                "offboard", upn, "--tenant", tenant, "--yes", "--format", "json", "--set", "steps=all,delete-user",
            ])
            #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
            let plan = (try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])?["plan"] as? [String: Any]
            #expect((plan?["retention"] as? [String] ?? []).contains { $0.contains("Inactive mailbox") }, "\(plan?["retention"] ?? "")")
            var state = try SimulatorState(simulator)
            #expect(state.users[id] == nil)
            #expect((state.raw["deletedUsers"] as? [String: Any])?[id] != nil)
            #expect(state.mailboxes[id]?["isInactive"] as? Bool == true)
            #expect(state.mailboxes[id]?["litigationHoldEnabled"] as? Bool == true)
            #expect(state.mailboxesAtRisk.isEmpty, "\(state.mailboxesAtRisk)")

            let runId = try #require(
                (try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])?["id"] as? String)
            let undo = try await cli.run(["undo", runId, "--yes"])
            #expect(undo.status == 0, "\(undo.stdout)\(undo.stderr)")
            state = try SimulatorState(simulator)
            #expect(state.accountEnabled(upn) == true)
            #expect(state.directLicences(upn) == licences)
            #expect(state.groupsWithMember(upn) == groups)
            #expect(state.mailboxType(upn) == "UserMailbox")
            #expect(state.mailboxes[id]?["isInactive"] as? Bool == false)
            #expect(state.mailboxes[id]?["litigationHoldEnabled"] as? Bool == false)
        }
    }

    @Test("restore brings back a user deleted 12 days ago; one deleted 40 days ago is gone, said as a sentence")
    func restore() async throws {
        try await withSimulator { simulator, baseURL in
            let cli = try await preparedCLI(simulator, baseURL: baseURL)
            let restored = try await cli.run(["restore", "fiona.hughes@contoso.com", "--tenant", "contoso"])
            #expect(restored.status == 0, "\(restored.stderr)")
            #expect(try SimulatorState(simulator).user("fiona.hughes@contoso.com")["displayName"] as? String == "Fiona Hughes")
            let since = simulator.requestLog().last?.sequence ?? 0
            let purged = try await cli.run(["restore", "george.irwin@contoso.com", "--tenant", "contoso"])
            #expect(purged.status == 3 && purged.stderr.contains("No user george.irwin@contoso.com among the deleted users"))
            #expect(simulator.requestLog(since: since).filter(\.isChange).isEmpty)
        }
    }
}
