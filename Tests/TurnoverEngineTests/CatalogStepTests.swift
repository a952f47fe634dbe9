import Foundation
import M365Simulator
import Testing

/// The catalog's newer step kinds, each through the real binary and judged on the simulator's own
/// state: it does what it says, a second offboarding sends no change request, its record carries
/// the before-state, and undo restores what is reversible.
@Suite("Catalog steps on the simulator")
struct CatalogStepTests {
    /// One kind exercised on one demo leaver.
    struct Case: Sendable {
        var upn: String
        var steps: String
        /// The leaver's part of the tenant this kind changes, as the simulator holds it.
        var project: @Sendable (SimulatorState, String) -> [String]
        var kinds: [String]
        var reversible: Bool
        /// SharePoint needs the app's certificate: such cases use a tenant registered with it.
        var certificate = false
        /// More policy settings for the case.
        var settings: [String] = []
        /// The kind grants something the leaver's state did not have, so it starts empty.
        var startsEmpty = false
    }

    static let cases: [Case] = [
        Case(
            upn: "amy.ross@contoso.com", steps: "remove-admin-roles",
            project: { state, upn in state.roleNames(upn) }, kinds: ["remove-directory-role"], reversible: true),
        Case(
            upn: "quinn.silva@contoso.com", steps: "revoke-app-consents",
            project: { state, upn in state.consents(upn) }, kinds: ["revoke-app-consent"], reversible: true),
        Case(
            upn: "quinn.silva@contoso.com", steps: "remove-app-role-assignments",
            project: { state, upn in state.appRoles(upn) }, kinds: ["remove-app-role-assignment"], reversible: true),
        Case(
            upn: "ben.carter@contoso.com", steps: "disable-devices",
            project: { state, upn in state.registeredDevices(upn) }, kinds: ["disable-device"], reversible: true),
        Case(
            upn: "kate.lopez@contoso.com", steps: "move-direct-reports,remove-manager",
            project: { state, upn in state.reportingLines(upn) }, kinds: ["move-direct-report", "remove-manager"], reversible: true),
        Case(
            upn: "yusuf.adams@contoso.com", steps: "litigation-hold",
            project: { state, upn in ["hold=\(state.mailbox(upn)?["litigationHoldEnabled"] as? Bool ?? false)"] },
            kinds: ["litigation-hold"], reversible: true),
        Case(
            upn: "will.young@contoso.com", steps: "retire-devices",
            project: { state, upn in state.managedDeviceStates(upn) }, kinds: ["retire-managed-device"], reversible: false),
        Case(
            upn: "will.young@contoso.com", steps: "remove-mobile-devices",
            project: { state, upn in state.mobileDevices(upn) }, kinds: ["remove-mobile-devices"], reversible: false),
        Case(
            upn: "ben.carter@contoso.com", steps: "onedrive-access",
            project: { state, upn in state.oneDriveAdmins(upn) }, kinds: ["grant-onedrive-access"], reversible: true,
            certificate: true),
        Case(
            upn: "owen.hart@contoso.com", steps: "clear-immutable-id",
            project: { state, upn in ["immutableId=\(state.user(upn)["onPremisesImmutableId"] ?? "nil")"] },
            kinds: ["clear-immutable-id"], reversible: true),
        Case(
            upn: "ben.carter@contoso.com", steps: "mark-as-leaver",
            project: { state, upn in
                ["\(state.user(upn)["displayName"] ?? "") leaves \(state.user(upn)["employeeLeaveDateTime"] ?? "never")"]
            }, kinds: ["mark-as-leaver"], reversible: true),
        Case(
            upn: "uma.wu@contoso.com", steps: "remove-rights-on-other-mailboxes",
            project: { state, upn in state.rightsElsewhere(upn) }, kinds: ["remove-mailbox-right"], reversible: true),
        Case(
            upn: "rhea.lambert@contoso.com", steps: "remove-rights-on-other-mailboxes",
            project: { state, upn in state.rightsElsewhere(upn) }, kinds: ["remove-mailbox-right"], reversible: true),
        Case(
            upn: "ben.carter@contoso.com", steps: "block-group",
            project: { state, upn in state.groupsWithMember(upn).filter { $0.hasPrefix("CA -") }.sorted() },
            kinds: ["add-to-block-group"], reversible: true, settings: ["blockGroup=CA - Blocked leavers"], startsEmpty: true),
        Case(
            upn: "ben.carter@contoso.com", steps: "grant-send-as,grant-send-on-behalf",
            project: { state, _ in state.rightsElsewhere("kate.lopez@contoso.com").filter { $0.contains("ben.carter") } },
            kinds: ["grant-send-as", "grant-send-on-behalf"], reversible: true, startsEmpty: true),
        Case(
            upn: "rhea.lambert@contoso.com", steps: "remove-external-sharing",
            project: { state, upn in state.oneDriveShares(upn) }, kinds: ["remove-external-sharing"], reversible: true),
        Case(
            upn: "vera.xu@contoso.com", steps: "cancel-meetings",
            project: { state, upn in state.organizedMeetings(upn) }, kinds: ["cancel-meetings"], reversible: false),
        Case(
            upn: "ben.carter@contoso.com", steps: "remove-mobile-devices",
            project: { state, upn in state.mobileDeviceWipes(upn) }, kinds: ["remove-mobile-devices"], reversible: false,
            settings: ["mobileDeviceAction=wipe-account"]),
        Case(
            upn: "umar.west@contoso.com", steps: "remove-inbox-rules",
            project: { state, upn in state.inboxRules(upn) }, kinds: ["remove-inbox-rules"], reversible: false),
    ]

    @Test("Full Access for each delegate, each with its own automapping, and undone")
    func fullAccessPerDelegate() async throws {
        try await withSimulator { simulator, baseURL in
            let cli = try await preparedCLI(simulator, baseURL: baseURL)
            let upn = "ben.carter@contoso.com"
            let before = try SimulatorState(simulator).fullAccessGrants(upn)
            let run = try await cli.run(
                [
                    "offboard", upn, "--tenant", "contoso", "--yes", "--format", "json", "--set", "steps=grant-mailbox-access",
                    "--set", "fullAccess=nina.ortiz@contoso.com:noautomap, tara.vogel@contoso.com",
                ])
            #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
            let grants = try SimulatorState(simulator).fullAccessGrants(upn)
            #expect(grants.contains("nina.ortiz@contoso.com automapping off"), "\(grants)")
            #expect(grants.contains("tara.vogel@contoso.com automapping on"), "\(grants)")
            #expect(grants.contains("kate.lopez@contoso.com automapping on"), "Ben's manager, the delegate: \(grants)")
            #expect(grants.count == before.count + 3, "\(before) → \(grants)")
            let id = try #require(Self.report(run.stdout)["id"] as? String)
            let undo = try await cli.run(["undo", id, "--yes"])
            #expect(undo.status == 0, "\(undo.stdout)\(undo.stderr)")
            #expect(try SimulatorState(simulator).fullAccessGrants(upn) == before)
        }
    }

    static func report(_ text: String) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
    }

    @Test("each new kind acts, is idempotent, records its before-state, and undoes", arguments: cases.indices)
    func kind(_ index: Int) async throws {
        let spec = Self.cases[index]
        try await withSimulator { simulator, baseURL in
            let cli = try await preparedCLI(simulator, baseURL: baseURL)
            let tenant = spec.certificate ? try await cli.addCertificateTenant(simulator, baseURL: baseURL) : "contoso"
            let before = spec.project(try SimulatorState(simulator), spec.upn)
            #expect(
                spec.startsEmpty ? before.isEmpty : !before.isEmpty && before != ["hold=true"], "\(spec.upn) for \(spec.steps): \(before)")

            let first = try await cli.run(
                [
                    "offboard", spec.upn, "--tenant", tenant, "--yes", "--format", "json", "--set", "steps=\(spec.steps)",
                    "--set", "successor=nina.ortiz@contoso.com",
                ] + spec.settings.flatMap { ["--set", $0] })
            #expect(first.status == 0, "\(first.stdout)\(first.stderr)")
            let changed = spec.project(try SimulatorState(simulator), spec.upn)
            #expect(changed != before, "\(spec.steps) changed nothing: \(changed)")
            let run = Self.report(first.stdout)
            let records = (run["steps"] as? [[String: Any]] ?? []).filter { spec.kinds.contains($0["kind"] as? String ?? "") }
            #expect(!records.isEmpty)
            for record in records {
                #expect(record["status"] as? String == "succeeded", "\(record)")
                // What support needs: every change a step made carries Microsoft's request-id.
                let requests = record["requests"] as? [[String: Any]] ?? []
                #expect(!requests.isEmpty && requests.allSatisfy { !($0["requestId"] as? String ?? "").isEmpty }, "\(record)")
                #expect(record["beforeState"] != nil, "\(record)")
                #expect(record["after"] != nil, "\(record)")
            }
            let markdown = try await cli.run(["report", try #require(run["id"] as? String)])
            for record in records { #expect(markdown.stdout.contains(record["title"] as? String ?? "?"), "\(markdown.stdout)") }

            // Offboarded again, the live state shows the work done: no change request travels.
            let since = simulator.requestLog().last?.sequence ?? 0
            let second = try await cli.run(
                [
                    "offboard", spec.upn, "--tenant", tenant, "--yes", "--set", "steps=\(spec.steps)", "--set",
                    "successor=nina.ortiz@contoso.com",
                ] + spec.settings.flatMap { ["--set", $0] })
            #expect(second.status == 0, "\(second.stdout)\(second.stderr)")
            let changes = simulator.requestLog(since: since).filter(\.isChange)
            #expect(changes.isEmpty, "\(changes.map { "\($0.method) \($0.path) \($0.operation ?? "")" })")

            let undo = try await cli.run(["undo", try #require(run["id"] as? String), "--yes", "--format", "json"])
            #expect(undo.status == 0, "\(undo.stdout)\(undo.stderr)")
            let after = spec.project(try SimulatorState(simulator), spec.upn)
            if spec.reversible {
                #expect(after == before, "undo of \(spec.steps)\n before: \(before)\n  after: \(after)")
            } else {
                #expect(after == changed)
                #expect(undo.stderr.contains("Cannot come back:"), "\(undo.stderr)")
            }
        }
    }
}

@Suite("Wiping devices")
struct WipeTests {
    @Test("a plan that wipes is refused without --confirm-wipe; with it the company laptop is wiped and the personal phone only retired")
    func wipeNeedsConfirmation() async throws {
        try await withSimulator { simulator, baseURL in
            let cli = try await preparedCLI(simulator, baseURL: baseURL)
            let upn = "will.young@contoso.com"
            let arguments = ["offboard", upn, "--tenant", "contoso", "--yes", "--set", "steps=retire-devices,wipe-devices"]
            let since = simulator.requestLog().last?.sequence ?? 0
            let refused = try await cli.run(arguments)
            #expect(refused.status == 3 && refused.stderr.contains("--confirm-wipe"), "\(refused.stderr)")
            #expect(simulator.requestLog(since: since).filter(\.isChange).isEmpty)

            let wiped = try await cli.run(arguments + ["--confirm-wipe"])
            #expect(wiped.status == 0, "\(wiped.stdout)\(wiped.stderr)")
            #expect(try SimulatorState(simulator).managedDeviceStates(upn) == ["SEA-WILL-LT wipePending", "Will's Pixel retirePending"])
        }
    }
}

extension SimulatorState {
    var roleAssignments: [[String: Any]] { raw["roleAssignments"] as? [[String: Any]] ?? [] }
    var roles: [[String: Any]] { raw["roles"] as? [[String: Any]] ?? [] }

    func roleNames(_ upn: String) -> [String] {
        let id = userId(upn)
        return roleAssignments.filter { $0["principalId"] as? String == id }.compactMap { assignment in
            roles.first { $0["id"] as? String == assignment["roleDefinitionId"] as? String }?["displayName"] as? String
        }.sorted()
    }

    func consents(_ upn: String) -> [String] {
        let id = userId(upn)
        return (raw["oauth2Grants"] as? [[String: Any]] ?? []).filter { $0["principalId"] as? String == id }.map {
            "\($0["clientId"] ?? "") \($0["resourceId"] ?? "") \($0["scope"] ?? "")"
        }.sorted()
    }

    func appRoles(_ upn: String) -> [String] {
        let id = userId(upn)
        return (raw["appRoleAssignments"] as? [[String: Any]] ?? []).filter { $0["principalId"] as? String == id }.map {
            "\($0["resourceDisplayName"] ?? "") \($0["appRoleId"] ?? "")"
        }.sorted()
    }

    func registeredDevices(_ upn: String) -> [String] {
        let id = userId(upn)
        return (raw["entraDevices"] as? [[String: Any]] ?? []).filter { ($0["registeredUsers"] as? [String] ?? []).contains(id) }.map {
            "\($0["displayName"] ?? "") enabled=\($0["accountEnabled"] ?? "")"
        }.sorted()
    }

    func managedDeviceStates(_ upn: String) -> [String] {
        let id = userId(upn)
        return (raw["managedDevices"] as? [[String: Any]] ?? []).filter { $0["userId"] as? String == id }.map {
            "\($0["deviceName"] ?? "") \($0["managementState"] ?? "")"
        }.sorted()
    }

    func mobileDevices(_ upn: String) -> [String] {
        (mailbox(upn)?["mobileDevices"] as? [[String: Any]] ?? []).compactMap { $0["friendlyName"] as? String }.sorted()
    }

    func oneDriveShares(_ upn: String) -> [String] {
        let site = (raw["oneDrives"] as? [String: [String: Any]] ?? [:])[userId(upn)] ?? [:]
        return (site["sharedWith"] as? [[String: Any]] ?? []).map { "\($0["email"] ?? "") \($0["roles"] ?? "")" }.sorted()
    }

    func oneDriveAdmins(_ upn: String) -> [String] {
        let site = (raw["oneDrives"] as? [String: [String: Any]] ?? [:])[userId(upn)] ?? [:]
        return (site["siteUsers"] as? [[String: Any]] ?? []).filter { $0["isSiteAdmin"] as? Bool == true }.compactMap {
            $0["email"] as? String
        }.sorted()
    }

    /// The leaver's rights on every other mailbox, as Exchange holds them.
    func rightsElsewhere(_ upn: String) -> [String] {
        let id = userId(upn)
        var rights: [String] = []
        for (owner, mailbox) in mailboxes where owner != id {
            let name = self.upn(ofId: owner)
            if (mailbox["fullAccess"] as? [[String: Any]] ?? []).contains(where: { $0["trusteeId"] as? String == id }) {
                rights.append("full access \(name)")
            }
            if (mailbox["sendAs"] as? [String] ?? []).contains(id) { rights.append("send as \(name)") }
            if (mailbox["grantSendOnBehalfTo"] as? [String] ?? []).contains(id) { rights.append("send on behalf \(name)") }
            for entry in mailbox["calendarPermissions"] as? [[String: Any]] ?? [] where entry["principal"] as? String == id {
                rights.append("calendar \(name) \(entry["accessRights"] ?? "")")
            }
        }
        return rights.sorted()
    }

    /// Meetings with attendees the leaver organises, and whether each is cancelled.
    func organizedMeetings(_ upn: String) -> [String] {
        (mailbox(upn)?["events"] as? [[String: Any]] ?? []).filter {
            $0["isOrganizer"] as? Bool == true && !($0["attendees"] as? [Any] ?? []).isEmpty
        }.map { "\($0["subject"] ?? "") cancelled=\($0["isCancelled"] ?? false)" }.sorted()
    }

    func mobileDeviceWipes(_ upn: String) -> [String] {
        (mailbox(upn)?["mobileDevices"] as? [[String: Any]] ?? []).map {
            "\($0["friendlyName"] ?? "") accountWipe=\($0["accountOnlyWipeRequestTime"] != nil)"
        }.sorted()
    }

    func inboxRules(_ upn: String) -> [String] {
        (mailbox(upn)?["inboxRules"] as? [[String: Any]] ?? []).filter { $0["hidden"] as? Bool != true }.compactMap {
            $0["name"] as? String
        }.sorted()
    }

    /// The leaver's manager and who reports to the leaver.
    func reportingLines(_ upn: String) -> [String] {
        let id = userId(upn)
        let manager = (user(upn)["managerId"] as? String).map(upn(ofId:)) ?? "none"
        let reports = users.filter { $0.value["managerId"] as? String == id }.compactMap { $0.value["userPrincipalName"] as? String }
        return ["manager: \(manager)"] + reports.sorted()
    }
}
