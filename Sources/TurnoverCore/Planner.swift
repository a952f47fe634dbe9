public import Foundation

/// Computes the ordered step graph, blockers and warnings for a leaver. Pure: same input, same plan.
///
/// The planner keeps only the rules that cut across steps: break-glass accounts, the last Global
/// Administrator, names that do not resolve, and mailbox-before-licence safety. Everything else is
/// planned by the step kinds in ``StepRegistry``.
public enum Planner {
    public static func plan(
        snapshot: LeaverSnapshot, policy: Policy, people: ResolvedPeople, tenant: String, now: Date, earlier: EarlierRun? = nil,
        registry: [any StepDefinition.Type] = StepRegistry.all
    ) -> Plan {
        let user = snapshot.user
        var blockers: [Finding] = []
        var warnings: [Finding] = []
        if policy.breakGlass.contains(where: { $0.caseInsensitiveCompare(user.userPrincipalName) == .orderedSame }) {
            blockers.append(
                Finding(
                    "break-glass", "\(user.userPrincipalName) is a break-glass account in the policy '\(policy.name)'.",
                    resolution:
                        "Break-glass accounts are never offboarded by Turnover; remove it from the policy first if this is intended."))
        }
        if snapshot.roles.contains(where: { $0.roleDefinitionId == RoleInfo.globalAdministratorId }), snapshot.otherGlobalAdmins.isEmpty {
            blockers.append(
                Finding(
                    "last-global-admin", "\(user.displayName) is the last Global Administrator of the tenant.",
                    resolution: "Assign Global Administrator to another account first."))
        }
        for name in people.unresolvedGroups {
            blockers.append(
                Finding(
                    "unknown-group", "The policy's block group '\(name)' is not exactly one group of this tenant.",
                    resolution: "Set blockGroup to the display name of the group your Conditional Access policy blocks."))
        }
        for reference in people.unresolved {
            blockers.append(
                Finding(
                    "unknown-person", "The policy names \(reference), who is not a user of this tenant.",
                    resolution: "Correct the delegate, forwarding or successor setting."))
        }
        let licences = MailboxSafety.decideLicences(snapshot: snapshot, policy: policy, blockers: &blockers, warnings: &warnings)

        var planning = PlanningContext(
            snapshot: snapshot, policy: policy, people: people, now: now, earlier: earlier, licences: licences)
        for definition in registry { definition.plan(&planning) }
        var steps = planning.steps
        resolveOrdering(&steps, registry: registry)
        MailboxSafety.orderLicencesAfterConversion(&steps, snapshot: snapshot, licences: licences, registry: registry, blockers: &blockers)
        warnings = planning.warnings + warnings + LeaverWarnings.findings(snapshot: snapshot, policy: policy, now: now)
        steps.sort { ($0.phase, $0.id) < ($1.phase, $1.id) }
        return Plan(
            tenant: tenant, user: PersonRef(id: user.id, userPrincipalName: user.userPrincipalName, displayName: user.displayName),
            policyName: policy.name, createdAt: now, steps: steps, blockers: blockers + planning.blockers, warnings: warnings,
            licencesToFree: steps.filter(\.willRun).flatMap(\.freesLicences), retention: planning.retention)
    }

    /// Each kind's ordering constraints become dependencies on the steps that will run.
    static func resolveOrdering(_ steps: inout [PlannedStep], registry: [any StepDefinition.Type]) {
        let kinds = Dictionary(uniqueKeysWithValues: registry.map { ($0.kind, $0.ordering) })
        let runnable = steps.filter(\.willRun)
        for index in steps.indices {
            for constraint in kinds[steps[index].kind] ?? [] {
                let before = runnable.filter {
                    $0.kind == constraint.after && (!constraint.sameTarget || $0.target == steps[index].target)
                }
                for step in before where !steps[index].dependsOn.contains(step.id) { steps[index].dependsOn.append(step.id) }
            }
        }
    }

    static func isExternal(_ address: String, user: UserInfo) -> Bool {
        let domain = address.split(separator: "@").last.map { $0.lowercased() } ?? ""
        let own = user.userPrincipalName.split(separator: "@").last.map { $0.lowercased() } ?? ""
        return !domain.isEmpty && domain != own && !domain.hasSuffix(".onmicrosoft.com")
    }
}

/// Never remove a licence before the mailbox is safe: the one rule that spans mailbox and licence steps.
enum MailboxSafety {
    static let sharedLimitBytes: Int64 = 50 * 1_073_741_824

    /// Which licences stay: the policy's, the Exchange licence a held or archived shared mailbox needs,
    /// and, for a synced user, the Exchange licences until the mailbox is converted on-premises.
    static func decideLicences(
        snapshot: LeaverSnapshot, policy: Policy, blockers: inout [Finding], warnings: inout [Finding]
    ) -> LicenceDecision {
        var kept = Set(policy.keepLicences.map { $0.uppercased() })
        let mailbox = snapshot.mailbox
        let direct = snapshot.licences.filter { $0.viaGroupId == nil }
        if let mailbox, snapshot.user.isSynced, mailbox.isUserMailbox {
            for licence in direct where licence.includesExchange && !kept.contains(licence.partNumber.uppercased()) {
                kept.insert(licence.partNumber.uppercased())
                warnings.append(
                    Finding(
                        "hybrid-mailbox",
                        "\(licence.partNumber) is kept: \(snapshot.user.userPrincipalName) is synced, so the mailbox is converted on-premises (Set-RemoteMailbox -Type Shared); the next sync reverts a cloud conversion and would leave the mailbox unlicensed.",
                        resolution: "Convert the mailbox on-premises, let it sync, then run remove-licences again."))
            }
        }
        // A hold this plan places needs the licence as much as one already there.
        let holdPlanned = PlanningContext.isEnabled(PlaceLitigationHold.self, in: policy)
        if let mailbox, mailbox.needsLicenceWhenShared || holdPlanned, mailbox.sizeBytes <= sharedLimitBytes,
            let exchange = direct.first(where: \.includesExchange), !kept.contains(exchange.partNumber.uppercased())
        {
            kept.insert(exchange.partNumber.uppercased())
            warnings.append(
                Finding(
                    "licence-kept", "\(exchange.partNumber) is kept: a shared mailbox with a hold or an archive needs an Exchange licence.")
            )
        }
        let keepsExchange = snapshot.licences.contains { $0.includesExchange && kept.contains($0.partNumber.uppercased()) }
        if policy.steps.contains(RemoveLicences.policyName), let mailbox, mailbox.sizeBytes > sharedLimitBytes, !keepsExchange,
            snapshot.licences.contains(where: \.includesExchange)
        {
            blockers.append(
                Finding(
                    "large-mailbox",
                    String(
                        format: "The mailbox is %.1f GB; a shared mailbox over 50 GB needs a licence, and none is kept.", mailbox.sizeGB),
                    resolution:
                        "Keep an Exchange licence: --set keepLicences=\(snapshot.licences.first { $0.includesExchange }?.partNumber ?? "SKU")"
                ))
        }
        return LicenceDecision(kept: kept, removable: direct.filter { !kept.contains($0.partNumber.uppercased()) })
    }

    /// Steps that can take the mailbox's Exchange licence wait for the conversion to shared; with no
    /// conversion to wait for, a user mailbox that would lose its last Exchange licence is a blocker.
    static func orderLicencesAfterConversion(
        _ steps: inout [PlannedStep], snapshot: LeaverSnapshot, licences: LicenceDecision, registry: [any StepDefinition.Type],
        blockers: inout [Finding]
    ) {
        // The hold is in place before any licence is touched.
        let holds = steps.filter { $0.willRun && $0.kind == PlaceLitigationHold.kind }.map(\.id)
        for index in steps.indices where steps[index].willRun && steps[index].touchesExchangeLicence {
            for hold in holds where !steps[index].dependsOn.contains(hold) { steps[index].dependsOn.append(hold) }
        }
        guard let mailbox = snapshot.mailbox, mailbox.isUserMailbox else { return }
        var making: Set<StepKind> = []
        for definition in registry where definition.establishes.contains(.mailboxIsShared) { making.insert(definition.kind) }
        let conversions = steps.filter { $0.willRun && making.contains($0.kind) }.map(\.id)
        let keepsExchange = snapshot.licences.contains { $0.includesExchange && $0.viaGroupId == nil && licences.keeps($0) }
        var endangered = false
        for index in steps.indices where steps[index].willRun && steps[index].touchesExchangeLicence {
            if conversions.isEmpty {
                endangered = endangered || !keepsExchange
            }
            for conversion in conversions where !steps[index].dependsOn.contains(conversion) {
                steps[index].dependsOn.append(conversion)
            }
        }
        if endangered {
            blockers.append(
                Finding(
                    "mailbox-unsafe",
                    "Removing the Exchange licence from a user mailbox that is not converted to shared puts it on the path to deletion.",
                    resolution: "Keep convert-to-shared in the steps, or keep the licence."))
        }
    }
}

/// What a technician should know about the leaver that no step of this version acts on.
enum LeaverWarnings {
    static func findings(snapshot: LeaverSnapshot, policy: Policy, now: Date) -> [Finding] {
        var warnings: [Finding] = []
        let user = snapshot.user
        if let mailbox = snapshot.mailbox {
            if let smtp = mailbox.forwardingSmtpAddress, Planner.isExternal(smtp, user: user) {
                warnings.append(
                    Finding(
                        "external-forwarding", "The mailbox forwards externally to \(smtp.replacingOccurrences(of: "smtp:", with: ""))."))
            }
        }
        if let lastSignIn = user.lastSignIn, now.timeIntervalSince(lastSignIn) < 86_400 {
            let minutes = Int(now.timeIntervalSince(lastSignIn) / 60)
            warnings.append(
                Finding(
                    "recent-sign-in",
                    "Signed in \(minutes < 120 ? "\(minutes) minutes" : "\(minutes / 60) hours") ago: they may still be working."))
        }
        if let reason = user.lastSignInUnknownReason {
            warnings.append(
                Finding(
                    "last-sign-in-unknown", "Last sign-in unknown: \(reason).",
                    resolution: "Check the sign-in logs before assuming the leaver has stopped working."))
        }
        if snapshot.mailbox == nil, policy.steps.contains(ConvertToShared.policyName), !user.isGuest {
            warnings.append(Finding("no-mailbox", "No mailbox: mailbox steps are skipped."))
        }
        return warnings
    }
}
