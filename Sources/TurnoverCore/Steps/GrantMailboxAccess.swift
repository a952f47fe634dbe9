import Foundation

/// Gives the delegate (by default the manager) Full Access to the kept mailbox.
public enum GrantMailboxAccess: StepDefinition {
    public struct Parameters: Codable, Sendable, Equatable {
        public var mailbox: String
        public var delegate: PersonRef
        public var autoMapping: Bool
    }
    public struct BeforeState: Codable, Sendable, Equatable { public var delegateHadFullAccess: Bool }

    public static let kind: StepKind = "grant-mailbox-access"
    public static let policyName = "grant-mailbox-access"
    public static let policyAliases = ["delegate-mailbox"]
    public static let phase = Phase.preservation
    public static let permissions = PermissionRequirement.exchange
    public static let reversal = Reversal.reversible
    public static let catalog = StepCatalogEntry(
        title: "Give the delegate Full Access to the mailbox", reads: "Get-MailboxPermission",
        changes: "Add-MailboxPermission -AccessRights FullAccess", verifies: "the delegate holds FullAccess",
        undo: "Remove-MailboxPermission")

    public static func plan(_ planning: inout PlanningContext) {
        guard planning.isEnabled(Self.self), let mailbox = planning.mailbox else { return }
        var delegates: [FullAccessDelegate] = []
        if let delegate = planning.people.delegate {
            delegates.append(FullAccessDelegate(person: delegate, autoMapping: planning.policy.delegateAutoMapping))
        } else if planning.policy.delegate == .manager, planning.people.fullAccess.isEmpty {
            // A named delegate who does not exist is a blocker already; only a missing manager is news here.
            planning.warn(
                Finding(
                    "no-delegate", "No one gets access to the mailbox: \(planning.user.displayName) has no manager.",
                    resolution: "Name one: --set delegate=someone@domain."))
        }
        // A person named in fullAccess gets one grant, with the automapping named there.
        for extra in planning.people.fullAccess {
            if let index = delegates.firstIndex(where: { $0.person.id == extra.person.id }) {
                delegates[index].autoMapping = extra.autoMapping
            } else {
                delegates.append(extra)
            }
        }
        for delegate in delegates {
            let person = delegate.person
            let has = mailbox.fullAccessHolders.contains { person.isNamed(by: $0) }
            planning.add(
                step(
                    target: person.userPrincipalName,
                    title: "Give \(person.displayName) Full Access to the mailbox"
                        + (delegate.autoMapping ? "" : " (not added to their Outlook)"),
                    parameters: Parameters(mailbox: mailbox.primarySmtpAddress, delegate: person, autoMapping: delegate.autoMapping),
                    disposition: has ? .alreadyDone("\(person.userPrincipalName) already has Full Access") : .run))
            planning.retain("\(person.displayName) has Full Access to the mailbox.")
        }
    }

    public static func isSatisfied(_ parameters: Parameters, in context: StepContext) async throws -> String? {
        try await context.tenant.fullAccessHolders(context.userPrincipalName).contains { parameters.delegate.isNamed(by: $0) }
            ? "\(parameters.delegate.userPrincipalName) already has Full Access" : nil
    }

    public static func apply(_ parameters: Parameters, in context: StepContext) async throws -> StepOutcome {
        let delegate = parameters.delegate.userPrincipalName
        try await context.tenant.addFullAccess(context.userPrincipalName, delegate, parameters.autoMapping)
        return StepOutcome(
            before: "no access for \(delegate)", after: "\(delegate): Full Access",
            beforeState: recording(BeforeState(delegateHadFullAccess: false)))
    }

    public static func isUndone(_ parameters: Parameters, before: BeforeState, in context: StepContext) async throws -> String? {
        let holds = try await context.tenant.fullAccessHolders(context.userPrincipalName).contains { parameters.delegate.isNamed(by: $0) }
        return holds == before.delegateHadFullAccess ? "\(parameters.delegate.userPrincipalName) no longer has Full Access" : nil
    }

    public static func undo(_ parameters: Parameters, before: BeforeState, in context: StepContext) async throws -> StepOutcome {
        _ = try await context.tenant.removeFullAccess(context.userPrincipalName, parameters.delegate.userPrincipalName)
        return StepOutcome(before: "\(parameters.delegate.userPrincipalName): Full Access", after: "no access")
    }
}
