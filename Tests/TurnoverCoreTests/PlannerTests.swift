import Foundation
import Testing
import TurnoverCore

/// Builds leaver snapshots the way the state reader would, with only what a test needs.
enum Leaver {
    static let now = Date(timeIntervalSince1970: 1_795_000_000)
    static let e3 = LicenceInfo(skuId: "05e9a617-0261-4cee-bb44-138d3ef5d965", partNumber: "SPE_E3", includesExchange: true)
    static let visio = LicenceInfo(skuId: "c5928f49-12ba-48f7-ada3-0d743a3601d5", partNumber: "VISIOCLIENT", includesExchange: false)
    static let manager = PersonRef(id: "m", userPrincipalName: "kate@contoso.com", displayName: "Kate")

    static func snapshot(
        upn: String = "ben@contoso.com", enabled: Bool = true, synced: Bool = false, licences: [LicenceInfo] = [e3],
        groups: [GroupInfo] = [],
        roles: [RoleInfo] = [],
        mailbox: MailboxInfo? = MailboxInfo(primarySmtpAddress: "ben@contoso.com", type: "UserMailbox", sizeBytes: 3 << 30),
        authMethods: [AuthMethodInfo] = [], otherGlobalAdmins: [String] = ["amy"]
    ) -> LeaverSnapshot {
        LeaverSnapshot(
            capturedAt: now, user: UserInfo(id: "u", userPrincipalName: upn, displayName: "Ben", accountEnabled: enabled, isSynced: synced),
            licences: licences, groups: groups, roles: roles, mailbox: mailbox, authMethods: authMethods, manager: manager,
            otherGlobalAdmins: otherGlobalAdmins)
    }

    static func plan(
        _ snapshot: LeaverSnapshot, policy: Policy = Policy(), people: ResolvedPeople? = nil, earlier: EarlierRun? = nil
    ) -> Plan {
        Planner.plan(
            snapshot: snapshot, policy: policy, people: people ?? ResolvedPeople(delegate: manager), tenant: "contoso", now: now,
            earlier: earlier)
    }
}

extension Plan {
    var blockerCodes: [String] { blockers.map(\.code) }
    func index(of kind: StepKind) -> Int? { steps.firstIndex { $0.kind == kind } }
}

@Suite("Planner")
struct PlannerTests {
    @Test("an ordinary leaver: containment first, the mailbox kept, licences last and after the conversion")
    func ordinaryLeaver() throws {
        let plan = Leaver.plan(Leaver.snapshot())
        #expect(plan.blockers.isEmpty)
        let order: [Phase] = [.containment, .preservation, .cleanup, .licences]
        let ranks = plan.steps.map { order.firstIndex(of: $0.phase) ?? -1 }
        #expect(ranks == ranks.sorted(), "\(plan.steps.map(\.title))")
        #expect(plan.steps.first?.kind == BlockSignIn.kind)
        let licences = try #require(plan.steps.first { $0.kind == RemoveLicences.kind })
        #expect(licences.dependsOn.contains(StepID(ConvertToShared.kind)))
        #expect(try RemoveLicences.parameters(of: licences).requiresSharedMailbox)
        #expect(plan.licencesToFree == ["SPE_E3"])
        let grant = try #require(plan.steps.first { $0.kind == GrantMailboxAccess.kind })
        #expect(try GrantMailboxAccess.parameters(of: grant).delegate.userPrincipalName == "kate@contoso.com")
    }

    @Test("a break-glass account, the last Global Administrator and a synced user are blocked")
    func blockers() {
        var policy = Policy()
        policy.breakGlass = ["Break.Glass@contoso.onmicrosoft.com"]
        #expect(
            Leaver.plan(Leaver.snapshot(upn: "break.glass@contoso.onmicrosoft.com"), policy: policy).blockerCodes.contains("break-glass"))

        let globalAdmin = RoleInfo(directoryRoleId: "a", roleDefinitionId: RoleInfo.globalAdministratorId, name: "Global Administrator")
        #expect(Leaver.plan(Leaver.snapshot(roles: [globalAdmin], otherGlobalAdmins: [])).blockerCodes == ["last-global-admin"])
        #expect(Leaver.plan(Leaver.snapshot(roles: [globalAdmin], otherGlobalAdmins: ["amy"])).blockers.isEmpty)

        #expect(Leaver.plan(Leaver.snapshot(synced: true)).blockerCodes == ["synced-user"])
        var cloudSafe = Policy()
        cloudSafe.steps.removeAll { $0 == BlockSignIn.policyName || $0 == ResetPassword.policyName }
        #expect(Leaver.plan(Leaver.snapshot(synced: true), policy: cloudSafe).blockers.isEmpty)
    }

    @Test("a sole owner needs a successor, who then receives the ownership before the leaver leaves")
    func soleOwner() throws {
        let group = GroupInfo(id: "g", displayName: "Project", kind: .microsoft365, isMember: true, isOwner: true, ownerIds: ["u"])
        #expect(Leaver.plan(Leaver.snapshot(groups: [group])).blockerCodes == ["sole-owner"])
        let successor = PersonRef(id: "n", userPrincipalName: "nina@contoso.com", displayName: "Nina")
        let plan = Leaver.plan(Leaver.snapshot(groups: [group]), people: ResolvedPeople(delegate: Leaver.manager, successor: successor))
        #expect(plan.blockers.isEmpty)
        let handOver = try #require(plan.steps.first { $0.kind == HandOverOwnership.kind })
        #expect(try HandOverOwnership.parameters(of: handOver).successor?.id == "n")
        let leave = try #require(plan.steps.first { $0.kind == LeaveGroup.kind })
        #expect(leave.dependsOn.contains(handOver.id))
    }

    @Test("over 50 GB the licence must stay; keeping it lifts the blocker and the licence is not removed")
    func largeMailbox() {
        let large = MailboxInfo(primarySmtpAddress: "ben@contoso.com", type: "UserMailbox", sizeBytes: 62 << 30)
        #expect(Leaver.plan(Leaver.snapshot(mailbox: large)).blockerCodes == ["large-mailbox"])
        var policy = Policy()
        policy.keepLicences = ["spe_e3"]
        let plan = Leaver.plan(Leaver.snapshot(mailbox: large), policy: policy)
        #expect(plan.blockers.isEmpty)
        #expect(!plan.steps.contains { $0.kind == RemoveLicences.kind })
        #expect(plan.licencesToFree.isEmpty)
    }

    @Test("a mailbox on hold keeps its Exchange licence automatically; other licences still go")
    func holdKeepsLicence() throws {
        let held = MailboxInfo(primarySmtpAddress: "ben@contoso.com", type: "UserMailbox", sizeBytes: 3 << 30, litigationHold: true)
        let plan = Leaver.plan(Leaver.snapshot(licences: [Leaver.e3, Leaver.visio], mailbox: held))
        #expect(plan.blockers.isEmpty)
        #expect(plan.licencesToFree == ["VISIOCLIENT"])
        #expect(plan.warnings.contains { $0.code == "licence-kept" })
    }

    @Test("removing an Exchange licence without converting the mailbox is refused")
    func licenceWithoutConversion() {
        var policy = Policy()
        policy.steps.removeAll { $0 == ConvertToShared.policyName }
        #expect(Leaver.plan(Leaver.snapshot(), policy: policy).blockerCodes == ["mailbox-unsafe"])
    }

    @Test("dynamic and synced groups are reported, mail-enabled groups go through Exchange, licensing groups after the conversion")
    func groups() throws {
        let groups = [
            GroupInfo(id: "dyn", displayName: "Sales (dynamic)", kind: .security, isDynamic: true, isMember: true, isOwner: false),
            GroupInfo(id: "sync", displayName: "VPN", kind: .security, isSynced: true, isMember: true, isOwner: false),
            GroupInfo(id: "dl", displayName: "All Staff", mail: "all@contoso.com", kind: .distribution, isMember: true, isOwner: false),
            GroupInfo(id: "lic", displayName: "Licensing", kind: .security, assignsLicences: true, isMember: true, isOwner: false),
            GroupInfo(id: "m365", displayName: "Project", kind: .microsoft365, isMember: true, isOwner: false),
        ]
        let licensed = LicenceInfo(
            skuId: Leaver.e3.skuId, partNumber: "SPE_E3", includesExchange: true, viaGroupId: "lic", viaGroupName: "Licensing")
        let plan = Leaver.plan(Leaver.snapshot(licences: [licensed], groups: groups))
        #expect(plan.blockers.isEmpty)
        let reported = plan.steps.filter { $0.kind == ReportGroup.kind }.compactMap(\.target)
        #expect(Set(reported) == ["dyn", "sync"])
        #expect(plan.steps.contains { $0.kind == LeaveDistributionList.kind && $0.target == "dl" })
        #expect(!plan.steps.contains { $0.kind == LeaveGroup.kind && $0.target == "dl" })
        let licensing = try #require(plan.steps.first { $0.kind == LeaveGroup.kind && $0.target == "lic" })
        #expect(licensing.dependsOn.contains(StepID(ConvertToShared.kind)))
        #expect(licensing.phase == .licences)
        #expect(!plan.steps.contains { $0.kind == RemoveLicences.kind })
        #expect(plan.licencesToFree == ["SPE_E3"])
    }

    @Test("methods that can be the default go after the others; the mobile phone after the alternate mobile phone")
    func authenticationMethods() {
        let methods = [
            AuthMethodInfo(
                id: "mobile", type: "#microsoft.graph.phoneAuthenticationMethod", label: "phone mobile +1", isPhone: true, deletable: true),
            AuthMethodInfo(
                id: "app", type: "#microsoft.graph.microsoftAuthenticatorAuthenticationMethod", label: "app", isPhone: false,
                deletable: true),
            AuthMethodInfo(id: "key", type: "#microsoft.graph.fido2AuthenticationMethod", label: "key", isPhone: false, deletable: true),
            AuthMethodInfo(
                id: "alt", type: "#microsoft.graph.phoneAuthenticationMethod", label: "phone alternateMobile +1", isPhone: true,
                deletable: true),
            AuthMethodInfo(
                id: "pw", type: "#microsoft.graph.passwordAuthenticationMethod", label: "password", isPhone: false, deletable: false),
        ]
        let plan = Leaver.plan(Leaver.snapshot(authMethods: methods))
        let dependencies = Dictionary(
            uniqueKeysWithValues: plan.steps.filter { $0.kind == RemoveAuthMethod.kind }.map { ($0.target ?? "", $0.runsAfter ?? []) })
        func id(_ method: String) -> StepID { StepID(RemoveAuthMethod.kind, target: method) }
        #expect(dependencies["key"] == [])
        #expect(dependencies["app"] == [id("key")])
        #expect(dependencies["alt"] == [id("key")])
        #expect(dependencies["mobile"] == [id("key"), id("alt")])
        #expect(dependencies["pw"] == nil)
    }

    @Test("what the state shows as done is planned as already done; an earlier partial run's reset is not repeated")
    func alreadyDone() {
        let shared = MailboxInfo(primarySmtpAddress: "ben@contoso.com", type: "SharedMailbox", sizeBytes: 3 << 30, hiddenFromGAL: true)
        let plan = Leaver.plan(Leaver.snapshot(enabled: false, mailbox: shared))
        let done = Set(plan.steps.filter { if case .alreadyDone = $0.disposition { true } else { false } }.map(\.kind))
        #expect(done == [BlockSignIn.kind, ConvertToShared.kind, HideFromGAL.kind])

        let earlier = EarlierRun(id: RunID("r-1"), succeeded: [ResetPassword.kind, RevokeSessions.kind])
        let replanned = Leaver.plan(Leaver.snapshot(enabled: false, mailbox: shared), earlier: earlier)
        #expect(!replanned.runnableSteps.contains { $0.kind == ResetPassword.kind || $0.kind == RevokeSessions.kind })
        // Re-enabled since: the earlier reset no longer counts.
        let reenabled = Leaver.plan(Leaver.snapshot(enabled: true, mailbox: shared), earlier: earlier)
        #expect(reenabled.runnableSteps.contains { $0.kind == ResetPassword.kind })
    }

    @Test("the plan is the same for the same input, and survives JSON")
    func deterministic() throws {
        let snapshot = Leaver.snapshot(groups: [
            GroupInfo(id: "m365", displayName: "Project", kind: .microsoft365, isMember: true, isOwner: false)
        ])
        let plan = Leaver.plan(snapshot)
        #expect(plan == Leaver.plan(snapshot))
        let decoded = try JSONDecoder().decode(Plan.self, from: JSONEncoder().encode(plan))
        #expect(decoded == plan)
        let text = Report.planText(plan)
        #expect(text.contains("Block sign-in") && text.contains("SPE_E3"))
    }
}

@Suite("Full Access for each delegate")
struct FullAccessPlanningTests {
    @Test("the delegate and each further person get a step of their own, with their own automapping, once each")
    func perDelegate() throws {
        var people = ResolvedPeople(delegate: Leaver.manager)
        let legal = PersonRef(id: "l", userPrincipalName: "legal@contoso.com", displayName: "Legal")
        people.fullAccess = [
            FullAccessDelegate(person: legal, autoMapping: false), FullAccessDelegate(person: Leaver.manager, autoMapping: false),
        ]
        let plan = Leaver.plan(Leaver.snapshot(), people: people)
        let grants = try plan.steps.filter { $0.kind == GrantMailboxAccess.kind }.map { try GrantMailboxAccess.parameters(of: $0) }
        #expect(grants.map(\.delegate.userPrincipalName) == ["kate@contoso.com", "legal@contoso.com"])
        #expect(grants.map(\.autoMapping) == [false, false], "named again in fullAccess, the delegate takes that automapping")
        #expect(plan.steps.contains { $0.title == "Give Legal Full Access to the mailbox (not added to their Outlook)" })
    }
}

@Suite("What the plan says it leaves behind")
struct RetentionAndEligibilityTests {
    @Test("PIM-eligible roles are warnings naming the role; unread eligibilities say so")
    func eligibleRoles() {
        var snapshot = Leaver.snapshot()
        snapshot.eligibleRoles = [
            EligibleRole(roleDefinitionId: "f28a1f50-f6e7-4571-818b-6a12f2af6b6c", name: "SharePoint Administrator", endsAt: nil)
        ]
        let plan = Leaver.plan(snapshot)
        let eligible = plan.warnings.filter { $0.code == "pim-eligible" }
        #expect(eligible.count == 1)
        #expect(eligible.first?.message.contains("'SharePoint Administrator' through PIM without end") == true)
        #expect(!plan.steps.contains { $0.title.contains("SharePoint Administrator") }, "an eligibility is listed, not removed")

        snapshot.eligibleRoles = nil
        #expect(Leaver.plan(snapshot).warnings.contains { $0.code == "pim-eligible-not-read" })
        snapshot.eligibleRoles = []
        #expect(!Leaver.plan(snapshot).warnings.contains { $0.code.hasPrefix("pim-eligible") })
    }

    @Test("the OneDrive's end: the tenant's retention after the deletion, dated when this plan deletes the account")
    func oneDriveRetention() {
        var snapshot = Leaver.snapshot()
        snapshot.oneDriveURL = "https://contoso-my.sharepoint.com/personal/ben_contoso_com"
        snapshot.oneDriveRetentionDays = 60
        let kept = Leaver.plan(snapshot).retention.joined(separator: "\n")
        #expect(kept.contains("once the account is deleted, SharePoint keeps it 60 days (tenant setting)"), "\(kept)")

        var deleting = Policy()
        deleting.steps = ["block-sign-in", "delete-user"]
        let date = ISO8601DateFormatter.string(
            from: Leaver.now.addingTimeInterval(60 * 86_400), timeZone: .gmt, formatOptions: [.withFullDate])
        let deleted = Leaver.plan(snapshot, policy: deleting).retention.joined(separator: "\n")
        #expect(deleted.contains("is deleted by SharePoint on \(date), 60 days after this run deletes the account"), "\(deleted)")
        #expect(!deleted.contains("stays while the account exists"), "one end date for the OneDrive: \(deleted)")

        snapshot.oneDriveRetentionDays = nil
        #expect(Leaver.plan(snapshot).retention.joined().contains("its setting could not be read"))
    }
}
