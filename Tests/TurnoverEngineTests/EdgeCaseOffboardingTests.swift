import Foundation
import M365Simulator
import Testing

/// One technician action: `turnover offboard UPN` with its arguments and the exit status expected.
struct Offboard: Sendable {
    var upn: String
    var tenant = "contoso"
    var settings: [String] = []
    var expectedExit: Int32 = 0

    var label: String { ([upn] + settings).joined(separator: " ") }
}

/// The demo tenant's leavers, each an edge case. A chain runs in order (a blocked offboarding, then
/// the same leaver once the technician has supplied what was missing); chains run concurrently.
let edgeCaseChains: [[Offboard]] = [
    [Offboard(upn: "ben.carter@contoso.com")],
    [Offboard(upn: "chloe.diaz@contoso.com")],
    [
        Offboard(upn: "daniel.evans@contoso.com", expectedExit: 3),
        Offboard(upn: "daniel.evans@contoso.com", settings: ["keepLicences=SPE_E3"]),
    ],
    [Offboard(upn: "emma.fischer@contoso.com")],
    [Offboard(upn: "felix.garcia@contoso.com", expectedExit: 3)],
    [Offboard(upn: "grace.hall@contoso.com")],
    [
        Offboard(upn: "isla.jones@contoso.com", expectedExit: 3),
        Offboard(upn: "isla.jones@contoso.com", settings: ["successor=nina.ortiz@contoso.com"]),
    ],
    [Offboard(upn: "breakglass01@contoso.onmicrosoft.com", expectedExit: 3)],
    [Offboard(upn: "yusuf.adams@contoso.com")],
    [Offboard(upn: "xena.zhou@contoso.com")],
    [Offboard(upn: "zoe.baker@contoso.com")],
    [Offboard(upn: "aaron.cole@contoso.com")],
    [Offboard(upn: "bella.dunn@contoso.com")],
    [Offboard(upn: "caleb.ellis@contoso.com")],
    [Offboard(upn: "nora.price@contoso.com")],
    [Offboard(upn: "laura.nash@contoso.com")],
    [Offboard(upn: "liam.moore_fabrikam.com#EXT#@contoso.onmicrosoft.com")],
    [Offboard(upn: "mia.o'neil@contoso.com", settings: ["forwarding=manager", "forwarding.keepCopy=true"])],
    [Offboard(upn: "$noah.patel@contoso.com")],
    [Offboard(upn: "frank.miller@fabrikam.com", tenant: "fabrikam", expectedExit: 3)],
]

let testPolicy = """
    name: test
    delegate: manager
    breakGlass: [breakglass01@contoso.onmicrosoft.com]
    """

/// Registers both demo tenants in a fresh data directory, as a technician would.
func preparedCLI(_ simulator: Simulator, baseURL: String) async throws -> CLI {
    let cli = try CLI.make(secrets: simulator.contosoSecretEnvironment)
    let policyFile = URL(fileURLWithPath: cli.dataDirectory).appendingPathComponent("policy.yaml")
    try testPolicy.write(to: policyFile, atomically: true, encoding: .utf8)
    for (name, tenant) in [("contoso", "Contoso"), ("fabrikam", "Fabrikam")] {
        try await cli.addTenant(
            name, tenantId: simulator.summary(tenant).tenantId, app: simulator.fullAccessApp(tenant),
            secretVariable: "SIM_SECRET_\(tenant.uppercased())",
            simulatorURL: baseURL, policyFile: policyFile.path)
    }
    return cli
}

/// Runs every chain with `workers` CLIs side by side; returns each offboarding's result by label.
func offboardAll(_ chains: [[Offboard]], simulator: Simulator, baseURL: String, workers: Int = 4) async throws -> [String: CLI.Result] {
    var clis: [CLI] = []
    for _ in 0..<workers { clis.append(try await preparedCLI(simulator, baseURL: baseURL)) }
    let queue = WorkQueue(chains)
    return try await withThrowingTaskGroup(of: [String: CLI.Result].self) { group in
        for cli in clis {
            group.addTask {
                var results: [String: CLI.Result] = [:]
                while let chain = queue.next() {
                    for offboard in chain {
                        results[offboard.label] = try await cli.run(
                            ["offboard", offboard.upn, "--tenant", offboard.tenant, "--yes", "--format", "json"]
                                + offboard.settings.flatMap { ["--set", $0] })
                    }
                }
                return results
            }
        }
        var all: [String: CLI.Result] = [:]
        for try await results in group { all.merge(results) { first, _ in first } }
        return all
    }
}

final class WorkQueue: @unchecked Sendable {
    private var items: [[Offboard]]
    private let lock = NSLock()
    init(_ items: [[Offboard]]) { self.items = items }
    func next() -> [Offboard]? { lock.withLock { items.isEmpty ? nil : items.removeFirst() } }
}

func expectExitStatuses(_ results: [String: CLI.Result], _ chains: [[Offboard]]) {
    for offboard in chains.joined() {
        let result = results[offboard.label]
        #expect(
            result?.status == offboard.expectedExit, "\(offboard.label): exit \(result?.status ?? -1)\n\(result?.stderr.suffix(3000) ?? "")"
        )
    }
}

/// The report's JSON (stdout of `offboard --format json`).
func reportJSON(_ result: CLI.Result?) -> [String: Any] {
    guard let result, let data = result.stdout.data(using: .utf8) else { return [:] }
    return (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
}

func stepStatuses(_ report: [String: Any]) -> [String: [String]] {
    var statuses: [String: [String]] = [:]
    for step in report["steps"] as? [[String: Any]] ?? [] {
        statuses[step["status"] as? String ?? "?", default: []].append(step["title"] as? String ?? "?")
    }
    return statuses
}

@Suite("Offboarding the demo tenant's edge cases from the CLI")
struct EdgeCaseOffboardingTests {
    @Test("each edge case ends in the right state in the simulator")
    func edgeCases() async throws {
        try await withSimulator { simulator, baseURL in
            let before = try SimulatorState(simulator)
            let results = try await offboardAll(edgeCaseChains, simulator: simulator, baseURL: baseURL)
            expectExitStatuses(results, edgeCaseChains)
            let after = try SimulatorState(simulator)
            let fabrikam = try SimulatorState(simulator, tenant: "Fabrikam")

            // Never a mailbox on the path to deletion or out of licence terms, in any step order.
            #expect(after.mailboxesAtRisk.isEmpty, "\(after.mailboxesAtRisk)")

            // The typical leaver: contained, mailbox kept as shared for the manager, licence freed.
            let ben = "ben.carter@contoso.com"
            #expect(after.accountEnabled(ben) == false)
            #expect(after.directLicences(ben).isEmpty)
            #expect(after.mailboxType(ben) == "SharedMailbox")
            #expect(after.fullAccess(ben).contains("kate.lopez@contoso.com"))
            #expect(after.mailbox(ben)?["hiddenFromAddressListsEnabled"] as? Bool == true)
            #expect((after.mailbox(ben)?["autoReply"] as? [String: Any])?["state"] as? String == "Enabled")
            #expect(after.authenticationMethodKinds(ben) == ["password"])
            #expect(before.liveSessions(ben) > 0)
            #expect(after.liveSessions(ben) == 0)
            #expect(after.groupsOwnedBy(ben).isEmpty)
            let benLeftover = after.groupsWithMember(ben)
            #expect(
                benLeftover.allSatisfy { name in
                    let group = after.groups.values.first { $0["displayName"] as? String == name }
                    return (group?["groupTypes"] as? [String] ?? []).contains("DynamicMembership")
                        || group?["onPremisesSyncEnabled"] as? Bool == true
                }, "left in \(benLeftover)")
            #expect(reportJSON(results[ben])["licencesFreed"] as? [String] == ["SPE_E3"])

            // External forwarding on the mailbox is removed.
            let chloe = "chloe.diaz@contoso.com"
            #expect(before.mailbox(chloe)?["forwardingSmtpAddress"] != nil)
            #expect(after.mailbox(chloe)?["forwardingSmtpAddress"] == nil)
            #expect(after.mailboxType(chloe) == "SharedMailbox")

            // 62 GB: blocked until a licence is kept; then the licence stays and the mailbox is shared.
            let daniel = "daniel.evans@contoso.com"
            #expect(reportJSON(results[daniel])["status"] as? String == "blocked")
            #expect(after.accountEnabled(daniel) == false)
            #expect(after.directLicences(daniel) == ["SPE_E3"])
            #expect(after.mailboxType(daniel) == "SharedMailbox")

            // Litigation hold: the E5 licence is kept automatically and the hold stays.
            let emma = "emma.fischer@contoso.com"
            #expect(after.directLicences(emma) == ["SPE_E5"])
            #expect(after.mailboxType(emma) == "SharedMailbox")
            #expect(after.mailbox(emma)?["litigationHoldEnabled"] as? Bool == true)

            // Blocked leavers are untouched.
            for blocked in ["felix.garcia@contoso.com", "breakglass01@contoso.onmicrosoft.com"] {
                #expect(after.accountEnabled(blocked) == true, "\(blocked)")
                #expect(after.directLicences(blocked) == before.directLicences(blocked))
                #expect(after.groupsWithMember(blocked) == before.groupsWithMember(blocked))
            }
            #expect(fabrikam.accountEnabled("frank.miller@fabrikam.com") == true)
            #expect(fabrikam.directLicences("frank.miller@fabrikam.com").isEmpty == false)

            // Group-based licence: goes by leaving the licensing group, after the conversion.
            let grace = "grace.hall@contoso.com"
            #expect(before.groupsWithMember(grace).contains("Licensing - M365 E3"))
            #expect(!after.groupsWithMember(grace).contains("Licensing - M365 E3"))
            #expect(after.mailboxType(grace) == "SharedMailbox")
            #expect(reportJSON(results[grace])["licencesFreed"] as? [String] == ["SPE_E3"])

            // Sole owner: blocked, then ownership handed to the successor.
            let isla = "isla.jones@contoso.com"
            let islaOwned = before.groupsOwnedBy(isla)
            #expect(!islaOwned.isEmpty)
            #expect(after.groupsOwnedBy(isla).isEmpty)
            #expect(islaOwned.isSubset(of: after.groupsOwnedBy("nina.ortiz@contoso.com")))
            #expect(results["isla.jones@contoso.com"]?.stderr.contains("successor") == true)

            // Distribution lists and mail-enabled security groups are left through Exchange.
            let yusuf = "yusuf.adams@contoso.com"
            let yusufMailGroups = before.groupsWithMember(yusuf).filter { name in
                let group = before.groups.values.first { $0["displayName"] as? String == name }
                return group?["mailEnabled"] as? Bool == true && !((group?["groupTypes"] as? [String] ?? []).contains("Unified"))
                    && group?["onPremisesSyncEnabled"] as? Bool != true
            }
            #expect(!yusufMailGroups.isEmpty)
            #expect(after.groupsWithMember(yusuf).isDisjoint(with: yusufMailGroups))

            // Dynamic and synced groups are reported with the reason, never touched; every other group is left.
            let xena = "xena.zhou@contoso.com"
            let untouchable = before.groupsWithMember(xena).filter { name in
                let group = before.groups.values.first { $0["displayName"] as? String == name }
                return (group?["groupTypes"] as? [String] ?? []).contains("DynamicMembership")
                    || group?["onPremisesSyncEnabled"] as? Bool == true
            }
            #expect(!untouchable.isEmpty && untouchable != before.groupsWithMember(xena))
            #expect(after.groupsWithMember(xena) == untouchable)
            let reported = (reportJSON(results[xena])["steps"] as? [[String: Any]] ?? []).filter {
                ($0["kind"] as? String) == "report-group"
            }
            #expect(reported.count == untouchable.count)

            // Partly offboarded by hand: what is done is skipped with the reason, the rest completes.
            let zoe = "zoe.baker@contoso.com"
            let zoeSkipped = stepStatuses(reportJSON(results[zoe]))["skipped"] ?? []
            #expect(zoeSkipped.contains { $0.lowercased().contains("block") }, "\(zoeSkipped)")
            #expect(zoeSkipped.contains { $0.lowercased().contains("address list") || $0.lowercased().contains("gal") }, "\(zoeSkipped)")
            #expect(after.directLicences(zoe).isEmpty)
            #expect(after.mailboxType(zoe) == "SharedMailbox")

            // No mailbox: no mailbox steps, the licence still goes.
            let aaron = "aaron.cole@contoso.com"
            #expect(after.mailbox(aaron) == nil)
            #expect(after.directLicences(aaron).isEmpty)
            #expect(after.accountEnabled(aaron) == false)

            // Already shared: the conversion is skipped, the licence goes, nothing at risk.
            let bella = "bella.dunn@contoso.com"
            #expect(after.directLicences(bella).isEmpty)
            #expect(after.mailboxType(bella) == "SharedMailbox")

            // Archive add-on through a mail-enabled security group: the group is left in Exchange.
            let caleb = "caleb.ellis@contoso.com"
            #expect(before.groupsWithMember(caleb).contains("Licensing - Exchange Archive"))
            #expect(!after.groupsWithMember(caleb).contains("Licensing - Exchange Archive"))
            // E3 includes archiving, so it stays for the archive and the redundant add-on seat is freed.
            #expect(after.directLicences(caleb) == ["SPE_E3"])
            #expect(reportJSON(results[caleb])["licencesFreed"] as? [String] == ["EXCHANGEARCHIVE_ADDON"])

            // Existing forwarding without a copy is removed (the policy forwards nowhere).
            let nora = "nora.price@contoso.com"
            #expect(before.mailbox(nora)?["forwardingAddress"] != nil)
            #expect(after.mailbox(nora)?["forwardingAddress"] == nil)

            // Every authentication method but the password goes, the default one last.
            #expect(before.authenticationMethodKinds("laura.nash@contoso.com").count > 3)
            #expect(after.authenticationMethodKinds("laura.nash@contoso.com") == ["password"])

            // Awkward UPNs are encoded correctly end to end.
            for awkward in ["liam.moore_fabrikam.com#EXT#@contoso.onmicrosoft.com", "mia.o'neil@contoso.com", "$noah.patel@contoso.com"] {
                #expect(after.accountEnabled(awkward) == false, "\(awkward)")
            }
            // Forwarding to the manager, keeping a copy in the shared mailbox.
            let mia = "mia.o'neil@contoso.com"
            #expect(after.mailboxType(mia) == "SharedMailbox")
            #expect(after.mailbox(mia)?["forwardingAddress"] as? String == after.userId("nina.ortiz@contoso.com"))
            #expect(after.mailbox(mia)?["deliverToMailboxAndForward"] as? Bool == true)
            #expect(after.directLicences("$noah.patel@contoso.com").isEmpty)
        }
    }

    @Test("plan reads warnings from live state and changes nothing")
    func planWarnings() async throws {
        try await withSimulator { simulator, baseURL in
            let cli = try await preparedCLI(simulator, baseURL: baseURL)
            let since = simulator.requestLog().last?.sequence ?? 0
            var codes: [String: Set<String>] = [:]
            var kinds: [String: Set<String>] = [:]
            // Kate is also the sole owner of a group: her plan is blocked (exit 3) and still lists the warnings.
            let expectedExit: [String: Int32] = [
                "rachel.tan@contoso.com": 0, "chloe.diaz@contoso.com": 0, "quinn.silva@contoso.com": 0, "kate.lopez@contoso.com": 3,
            ]
            for (upn, exit) in expectedExit {
                let plan = try await cli.run(["plan", upn, "--tenant", "contoso", "--json"])
                #expect(plan.status == exit, "\(upn): \(plan.stderr)")
                codes[upn] = Set((reportJSON(plan)["warnings"] as? [[String: Any]] ?? []).compactMap { $0["code"] as? String })
                kinds[upn] = Set((reportJSON(plan)["steps"] as? [[String: Any]] ?? []).compactMap { $0["kind"] as? String })
            }
            #expect(codes["rachel.tan@contoso.com"]?.contains("recent-sign-in") == true, "\(codes)")
            #expect(codes["chloe.diaz@contoso.com"]?.contains("external-forwarding") == true, "\(codes)")
            // Consents and direct reports, once only warnings, are now steps of the plan.
            #expect(kinds["quinn.silva@contoso.com"]?.isSuperset(of: ["revoke-app-consent", "remove-app-role-assignment"]) == true)
            #expect(kinds["kate.lopez@contoso.com"]?.isSuperset(of: ["move-direct-report", "remove-manager"]) == true)
            #expect(simulator.requestLog(since: since).filter(\.isChange).isEmpty)
        }
    }

    @Test("the plan lists a PIM-eligible role and dates the OneDrive's end from the tenant's SharePoint setting")
    func eligibilityAndOneDriveRetention() async throws {
        try await withSimulator { simulator, baseURL in
            let cli = try await preparedCLI(simulator, baseURL: baseURL)
            let plan = try await cli.run(["plan", "olivia.quinn@contoso.com", "--tenant", "contoso", "--json"])
            let report = reportJSON(plan)
            let warnings = (report["warnings"] as? [[String: Any]] ?? []).filter { $0["code"] as? String == "pim-eligible" }
            #expect(warnings.count == 1, "\(report["warnings"] ?? "")")
            #expect((warnings.first?["message"] as? String)?.contains("'SharePoint Administrator' through PIM") == true)
            // Contoso's SharePoint keeps a deleted user's OneDrive 60 days (the fixture's setting, read over Graph).
            let retention = (report["retention"] as? [String] ?? []).joined(separator: "\n")
            #expect(retention.contains("SharePoint keeps it 60 days (tenant setting)"), "\(retention)")
            let reads = simulator.requestLog().filter {
                $0.path.contains("/admin/sharepoint/settings") || $0.path.contains("roleEligibilityScheduleInstances")
            }
            #expect(reads.count >= 2 && reads.allSatisfy { $0.status == 200 }, "\(reads.map { "\($0.path) \($0.status)" })")
        }
    }

    @Test("with 22% injected faults (429, 503/504, dropped connections) the tenant ends exactly as without them")
    func sameEndStateUnderFaults() async throws {
        async let clean: [String] = withSimulator { simulator, baseURL in
            let results = try await offboardAll(edgeCaseChains, simulator: simulator, baseURL: baseURL)
            expectExitStatuses(results, edgeCaseChains)
            return try SimulatorState(simulator).projection
        }
        async let faulty: ([String], [String: Int], [String]) = withSimulator(configure: { settings in
            settings.throttleFaultRate = 0.1
            settings.injectedRetryAfterSeconds = 1
            settings.transientFaultRate = 0.08
            settings.dropRate = 0.04
            settings.latencyMilliseconds = 5
        }) { simulator, baseURL in
            let results = try await offboardAll(edgeCaseChains, simulator: simulator, baseURL: baseURL)
            expectExitStatuses(results, edgeCaseChains)
            let state = try SimulatorState(simulator)
            var injected: [String: Int] = [:]
            for entry in simulator.requestLog() { if let kind = entry.injected { injected[kind, default: 0] += 1 } }
            return (state.projection, injected, state.mailboxesAtRisk)
        }
        let (reference, (withFaults, injected, atRisk)) = try await (clean, faulty)
        #expect(atRisk.isEmpty, "\(atRisk)")
        // About 300 requests: the faults really happened (thresholds far below the expected counts).
        #expect((injected["throttled"] ?? 0) > 3 && (injected["fault"] ?? 0) > 3, "\(injected)")
        #expect((injected["dropped-after-effect"] ?? 0) + (injected["dropped-before-effect"] ?? 0) > 0, "\(injected)")
        let missing = Set(reference).subtracting(withFaults), extra = Set(withFaults).subtracting(reference)
        #expect(missing.isEmpty && extra.isEmpty, "clean only: \(missing.sorted())\nfaulty only: \(extra.sorted())")
    }
}
