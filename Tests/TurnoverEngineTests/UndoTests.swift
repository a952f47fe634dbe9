import Foundation
import M365Simulator
import Testing

/// `turnover undo` through the real binary: the simulator's state after the undo is compared with
/// its state before the offboarding, for everything Turnover can take back.
@Suite("Undo")
struct UndoTests {
    /// What an offboarding changes and an undo must restore, read from the simulator itself.
    struct Reversible: Equatable, CustomStringConvertible {
        var accountEnabled: Bool?
        var directLicences: [String]
        var groups: Set<String>
        var owns: Set<String>
        var mailboxType: String?
        var fullAccess: Set<String>
        var forwarding: [String]
        var hidden: Bool
        var autoReply: [String]

        init(_ state: SimulatorState, _ upn: String) {
            accountEnabled = state.accountEnabled(upn)
            directLicences = (state.user(upn)["directLicenses"] as? [[String: Any]] ?? []).map { licence in
                "\(licence["skuId"] ?? "") disabled: \((licence["disabledPlans"] as? [String] ?? []).sorted())"
            }.sorted()
            groups = state.groupsWithMember(upn)
            owns = state.groupsOwnedBy(upn)
            mailboxType = state.mailboxType(upn)
            fullAccess = state.fullAccess(upn)
            let mailbox = state.mailbox(upn) ?? [:]
            forwarding = ["forwardingAddress", "forwardingSmtpAddress", "deliverToMailboxAndForward"].map { "\(mailbox[$0] ?? "nil")" }
            hidden = mailbox["hiddenFromAddressListsEnabled"] as? Bool ?? false
            let reply = mailbox["autoReply"] as? [String: Any] ?? [:]
            autoReply = [reply["state"] as? String ?? "", reply["internalMessage"] as? String ?? ""]
        }

        var description: String {
            "enabled=\(accountEnabled.map(String.init) ?? "nil") licences=\(directLicences) groups=\(groups.sorted()) owns=\(owns.sorted()) mailbox=\(mailboxType ?? "none") fullAccess=\(fullAccess.sorted()) forwarding=\(forwarding) hidden=\(hidden) autoReply=\(autoReply)"
        }
    }

    static func runId(_ report: String) -> String? {
        (try? JSONSerialization.jsonObject(with: Data(report.utf8)) as? [String: Any])?["id"] as? String
    }

    @Test(
        "undo restores sign-in, licences with their disabled plans, groups, ownership, mailbox type, Full Access, forwarding, auto-reply and GAL; it lists what cannot come back"
    )
    func undoRestoresEverythingReversible() async throws {
        try await withSimulator { simulator, baseURL in
            let cli = try await preparedCLI(simulator, baseURL: baseURL)
            let leavers: [(String, [String])] = [
                ("ben.carter@contoso.com", ["forwarding=manager", "autoReply.internal=Ben has left; please write to {manager}."]),
                ("isla.jones@contoso.com", ["successor=nina.ortiz@contoso.com"]),
                ("kai.lund@contoso.com", []),
                ("grace.hall@contoso.com", []),
            ]
            for (upn, settings) in leavers {
                let before = Reversible(try SimulatorState(simulator), upn)
                let offboard = try await cli.run(
                    ["offboard", upn, "--tenant", "contoso", "--yes", "--format", "json"] + settings.flatMap { ["--set", $0] })
                #expect(offboard.status == 0, "\(upn): \(offboard.stdout)\(offboard.stderr)")
                let changed = Reversible(try SimulatorState(simulator), upn)
                #expect(changed != before, "\(upn): the offboarding changed nothing")
                let id = try #require(Self.runId(offboard.stdout))

                let undo = try await cli.run(["undo", id, "--yes", "--format", "json"])
                #expect(undo.status == 0, "\(upn): \(undo.stdout)\(undo.stderr)")
                let after = Reversible(try SimulatorState(simulator), upn)
                #expect(after == before, "\(upn)\n before: \(before)\n  after: \(after)")
                #expect(undo.stderr.contains("Cannot come back:") && undo.stderr.contains("password cannot be restored"), "\(undo.stderr)")
                #expect(try SimulatorState(simulator).mailboxesAtRisk.isEmpty)

                // Undone again, everything is found restored: no change request travels.
                let since = simulator.requestLog().last?.sequence ?? 0
                let again = try await cli.run(["undo", id, "--yes", "--format", "json"])
                #expect(again.status == 0, "\(again.stdout)\(again.stderr)")
                let changes = simulator.requestLog(since: since).filter(\.isChange)
                #expect(changes.isEmpty, "\(changes.map { "\($0.method) \($0.path) \($0.operation ?? "")" })")
            }
        }
    }

    @Test("--steps undoes only the steps named; an unknown name and an undo of an undo are refused, changing nothing")
    func selectionAndRefusals() async throws {
        try await withSimulator { simulator, baseURL in
            let cli = try await preparedCLI(simulator, baseURL: baseURL)
            let upn = "chloe.diaz@contoso.com"
            let offboard = try await cli.run(["offboard", upn, "--tenant", "contoso", "--yes", "--format", "json"])
            #expect(offboard.status == 0, "\(offboard.stderr)")
            let id = try #require(Self.runId(offboard.stdout))
            let offboarded = Reversible(try SimulatorState(simulator), upn)

            let since = simulator.requestLog().last?.sequence ?? 0
            let unknown = try await cli.run(["undo", id, "--steps", "no-such-step", "--yes"])
            #expect(unknown.status != 0 && unknown.stderr.contains("has no step 'no-such-step'"), "\(unknown.stderr)")
            #expect(simulator.requestLog(since: since).filter(\.isChange).isEmpty)

            let partial = try await cli.run(["undo", id, "--steps", "block-sign-in", "--yes", "--format", "json"])
            #expect(partial.status == 0, "\(partial.stderr)")
            var expected = offboarded
            expected.accountEnabled = true
            #expect(Reversible(try SimulatorState(simulator), upn) == expected)

            let undoId = try #require(Self.runId(partial.stdout))
            let twice = try await cli.run(["undo", undoId, "--yes"])
            #expect(twice.status == 3 && twice.stderr.contains("is itself an undo"), "\(twice.stderr)")
        }
    }
}
