import Foundation
import Synchronization
import Testing
import TurnoverCore

/// Step kinds tested without HTTP: each reaches the tenant only through `TenantOperations`, so a
/// test supplies exactly the endpoints the step should call; any other call fails the test.
@Suite("Steps without HTTP")
struct StepTests {
    /// Records calls and lets a test script answers.
    final class Calls: Sendable {
        private let log = Mutex<[String]>([])
        func add(_ call: String) { log.withLock { $0.append(call) } }
        var all: [String] { log.withLock { $0 } }
    }

    static func context(_ tenant: TenantOperations, facts: Set<RunFact> = []) -> StepContext {
        let clock = Mutex(Date(timeIntervalSince1970: 1_795_000_000))
        return StepContext(
            userId: "u1", userPrincipalName: "ben@contoso.com", runStarted: clock.withLock { $0 }, tenant: tenant,
            now: { clock.withLock { $0 } },
            sleep: { duration in clock.withLock { $0 = $0.addingTimeInterval(Double(duration.components.seconds) + 0.25) } },
            facts: { facts },
            waitUntil: { condition in
                for _ in 0..<5 where try await condition() { return true }
                return false
            }, makePassword: { "Generated-Secret-1" })
    }

    @Test("block sign-in: skip when already blocked; otherwise one PATCH, recorded before-state")
    func blockSignIn() async throws {
        let calls = Calls()
        let enabled = Mutex(true)
        var tenant = TenantOperations.unimplemented
        tenant.user = { id in
            calls.add("user \(id)")
            return LiveUser(accountEnabled: enabled.withLock { $0 })
        }
        tenant.setAccountEnabled = { id, value in
            calls.add("setAccountEnabled \(id) \(value)")
            enabled.withLock { $0 = value }
        }
        let context = Self.context(tenant)
        #expect(try await BlockSignIn.isSatisfied(.init(), in: context) == nil)
        let outcome = try await BlockSignIn.apply(.init(), in: context)
        #expect(calls.all == ["user u1", "setAccountEnabled u1 false"])
        #expect(try outcome.beforeState?.decode(BlockSignIn.BeforeState.self) == BlockSignIn.BeforeState(accountEnabled: true))
        #expect(outcome.verification == .onLiveState)
        #expect(try await BlockSignIn.isSatisfied(.init(), in: context) == "sign-in is already blocked")
    }

    @Test("remove a method: a refusal as the default waits for the other methods, then deletes")
    func defaultMethodGoesLast() async throws {
        let calls = Calls()
        let remaining = Mutex(["app", "key"])
        var tenant = TenantOperations.unimplemented
        tenant.deleteAuthenticationMethod = { _, method in
            calls.add("delete \(method.id)")
            let others = remaining.withLock { $0.filter { $0 != method.id } }
            if method.id == "app", !others.isEmpty {
                // The other method goes meanwhile, as its own step would delete it.
                remaining.withLock { $0.removeAll { $0 == "key" } }
                return .refusedAsDefault
            }
            remaining.withLock { $0.removeAll { $0 == method.id } }
            return .removed
        }
        tenant.authenticationMethodIds = { _ in
            calls.add("list")
            return remaining.withLock { $0 }
        }
        let app = AuthMethodInfo(
            id: "app", type: "#microsoft.graph.microsoftAuthenticatorAuthenticationMethod", label: "Authenticator", isPhone: false,
            deletable: true)
        let outcome = try await RemoveAuthMethod.apply(.init(method: app, siblings: ["key"]), in: Self.context(tenant))
        #expect(calls.all == ["delete app", "list", "delete app"])
        #expect(outcome.after == "removed" && outcome.verification == .byResponse)
        #expect(outcome.note?.contains("default") == true)
    }

    @Test("remove a method: a default refused while the others never go fails instead of claiming success")
    func defaultMethodNeverAlone() async throws {
        var tenant = TenantOperations.unimplemented
        tenant.deleteAuthenticationMethod = { _, _ in .refusedAsDefault }
        tenant.authenticationMethodIds = { _ in ["app", "key"] }
        let app = AuthMethodInfo(
            id: "app", type: "#microsoft.graph.microsoftAuthenticatorAuthenticationMethod", label: "Authenticator", isPhone: false,
            deletable: true)
        await #expect(throws: StepFailure.self) {
            _ = try await RemoveAuthMethod.apply(.init(method: app, siblings: ["key"]), in: Self.context(tenant))
        }
    }

    static let e3 = LicenceInfo(skuId: "e3", partNumber: "SPE_E3", includesExchange: true)
    static let archive = LicenceInfo(skuId: "arc", partNumber: "EXCHANGEARCHIVE_ADDON", includesExchange: false)

    @Test("remove licences: never before Exchange reports the mailbox shared")
    func licencesWaitForShared() async throws {
        let calls = Calls()
        var tenant = TenantOperations.unimplemented
        tenant.mailbox = { _ in
            calls.add("mailbox")
            return LiveMailbox(type: "UserMailbox")
        }
        let parameters = RemoveLicences.Parameters(licences: [Self.e3], requiresSharedMailbox: true)
        await #expect(throws: StepFailure.self) { _ = try await RemoveLicences.apply(parameters, in: Self.context(tenant)) }
        #expect(calls.all.allSatisfy { $0 == "mailbox" }, "no licence call while the mailbox is a user mailbox: \(calls.all)")
    }

    @Test("remove licences: one call for base and add-on; 'already gone' removes only what is left; the answer verifies")
    func licencesInOneCall() async throws {
        let calls = Calls()
        let assigned = Mutex(["arc"])
        var tenant = TenantOperations.unimplemented
        tenant.removeLicences = { _, skus in
            calls.add("remove \(skus.joined(separator: ","))")
            let current = assigned.withLock { $0 }
            guard skus.allSatisfy(current.contains) else { return LicenceRemoval(remainingSkuIds: current, wereAlreadyAbsent: true) }
            assigned.withLock { $0.removeAll { skus.contains($0) } }
            return LicenceRemoval(remainingSkuIds: assigned.withLock { $0 })
        }
        // The mailbox was confirmed shared earlier in this execution: no Get-Mailbox.
        let context = Self.context(tenant, facts: [.mailboxIsShared])
        let outcome = try await RemoveLicences.apply(
            .init(licences: [Self.e3, Self.archive], requiresSharedMailbox: true), in: context)
        #expect(calls.all == ["remove e3,arc", "remove arc"])
        #expect(outcome.licencesFreed == ["SPE_E3", "EXCHANGEARCHIVE_ADDON"])
        #expect(outcome.verification == .byResponse)
    }

    @Test("remove licences: a licence still there after the call is a failure")
    func licencesStillThere() async throws {
        var tenant = TenantOperations.unimplemented
        tenant.removeLicences = { _, _ in LicenceRemoval(remainingSkuIds: ["e3"]) }
        tenant.user = { _ in LiveUser(assignedSkuIds: ["e3"], directSkuIds: ["e3"]) }
        await #expect(throws: StepFailure.self) {
            _ = try await RemoveLicences.apply(
                .init(licences: [Self.e3], requiresSharedMailbox: false), in: Self.context(tenant))
        }
    }

    @Test("remove licences: a licence a group also assigns is not a failure, and not counted as freed")
    func licenceAlsoInherited() async throws {
        var tenant = TenantOperations.unimplemented
        tenant.removeLicences = { _, _ in LicenceRemoval(remainingSkuIds: ["e3"]) }
        tenant.user = { _ in LiveUser(assignedSkuIds: ["e3"], groupAssignedSkus: ["e3": ["g"]], directSkuIds: []) }
        let outcome = try await RemoveLicences.apply(.init(licences: [Self.e3], requiresSharedMailbox: false), in: Self.context(tenant))
        #expect(outcome.licencesFreed == [])
        #expect(outcome.after?.contains("inherited") == true)
    }

    @Test("undo of a hand-over: the leaver is owner again before the successor goes, so the group never lacks an owner")
    func handOverUndoOrder() async throws {
        let calls = Calls()
        let owners = Mutex(["nina"])
        var tenant = TenantOperations.unimplemented
        tenant.groupOwnerIds = { _ in owners.withLock { $0 } }
        tenant.addGroupOwner = { group, user in
            calls.add("add \(user)")
            owners.withLock { $0.append(user) }
        }
        tenant.removeGroupOwner = { group, user in
            calls.add("remove \(user)")
            let wasLast = owners.withLock { $0 == [user] }
            if wasLast { throw StepFailure("Graph refuses to remove the last owner") }
            owners.withLock { $0.removeAll { $0 == user } }
            return .removed
        }
        let context = Self.context(tenant)
        let nina = PersonRef(id: "nina", userPrincipalName: "nina@contoso.com", displayName: "Nina")
        let parameters = HandOverOwnership.Parameters(groupId: "g1", groupName: "Falcon", successor: nina)
        let before = HandOverOwnership.BeforeState(addedOwner: nina)
        #expect(try await HandOverOwnership.isUndone(parameters, before: before, in: context) == nil)
        _ = try await HandOverOwnership.undo(parameters, before: before, in: context)
        #expect(calls.all == ["add u1", "remove nina"])
        #expect(try await HandOverOwnership.isUndone(parameters, before: before, in: context) != nil)
    }

    @Test("an undo plan runs the last phase first, skips what was already so, and lists what cannot come back")
    func undoPlanOrder() throws {
        let steps = [
            PlannedStep(kind: BlockSignIn.kind, title: "Block sign-in", phase: .containment),
            PlannedStep(kind: ResetPassword.kind, title: "Reset the password", phase: .containment),
            PlannedStep(kind: ConvertToShared.kind, title: "Convert", phase: .preservation),
            PlannedStep(kind: HideFromGAL.kind, title: "Hide", phase: .preservation),
            PlannedStep(kind: RemoveLicences.kind, title: "Remove licences", phase: .licences),
        ]
        let user = PersonRef(id: "u1", userPrincipalName: "ben@contoso.com", displayName: "Ben")
        let plan = Plan(
            tenant: "contoso", user: user, policyName: "default", createdAt: Date(), steps: steps, blockers: [], warnings: [],
            licencesToFree: [], retention: [])
        var run = RunRecord(
            id: "r-1", plan: plan, snapshot: LeaverSnapshot(capturedAt: Date(), user: UserInfo.sample(user)), createdAt: Date(),
            operator_: nil)
        run.status = .succeeded
        for index in run.steps.indices {
            run.steps[index].status = run.steps[index].kind == HideFromGAL.kind ? .skipped : .succeeded
            run.steps[index].beforeState = .object([:])
        }
        let undo = try UndoPlanner.plan(undoing: run, now: Date())
        #expect(undo.undoes == "r-1")
        #expect(undo.steps.map(\.kind) == [RemoveLicences.kind, ConvertToShared.kind, BlockSignIn.kind])
        #expect(undo.step(StepID(BlockSignIn.kind))?.runsAfter?.sorted() == [StepID(ConvertToShared.kind), StepID(RemoveLicences.kind)])
        #expect(undo.steps.allSatisfy { $0.reverses != nil })
        #expect(undo.warnings.map(\.code) == ["cannot-undo"])
        #expect(throws: UndoPlanner.Refusal.self) { try UndoPlanner.plan(undoing: run, only: ["nothing-like-this"], now: Date()) }
    }

    @Test("an undo turns hard dependencies round: a deleted user is restored before its licences come back")
    func undoRestoresDeletedUserFirst() throws {
        let licences = PlannedStep(kind: RemoveLicences.kind, title: "Remove licences", phase: .licences)
        let delete = PlannedStep(kind: DeleteUser.kind, title: "Delete the user", phase: .licences, dependsOn: [licences.id])
        let user = PersonRef(id: "u1", userPrincipalName: "ben@contoso.com", displayName: "Ben")
        let plan = Plan(
            tenant: "contoso", user: user, policyName: "default", createdAt: Date(), steps: [licences, delete], blockers: [],
            warnings: [], licencesToFree: [], retention: [])
        var run = RunRecord(
            id: "r-2", plan: plan, snapshot: LeaverSnapshot(capturedAt: Date(), user: UserInfo.sample(user)), createdAt: Date(),
            operator_: nil)
        run.status = .succeeded
        for index in run.steps.indices {
            run.steps[index].status = .succeeded
            run.steps[index].beforeState = .object([:])
        }
        let undo = try UndoPlanner.plan(undoing: run, now: Date())
        #expect(undo.step(licences.id)?.dependsOn == [delete.id])
        #expect(undo.step(delete.id)?.dependsOn.isEmpty == true)
    }
}

extension UserInfo {
    static func sample(_ person: PersonRef) -> UserInfo {
        UserInfo(
            id: person.id, userPrincipalName: person.userPrincipalName, displayName: person.displayName, accountEnabled: true,
            isGuest: false, isSynced: false, mail: person.userPrincipalName)
    }
}
