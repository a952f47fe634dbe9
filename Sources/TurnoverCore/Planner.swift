public import Foundation

/// Computes the ordered step graph, blockers and warnings for a leaver. Pure: same input, same plan.
public enum Planner {
    public static func plan(
        snapshot: LeaverSnapshot, policy: Policy, people: ResolvedPeople, tenant: String, now: Date, earlier: EarlierRun? = nil
    ) -> Plan {
        let user = snapshot.user
        let enabled = Set(policy.steps)
        var steps: [PlannedStep] = []
        var blockers: [Finding] = []
        var warnings: [Finding] = []
        var retention: [String] = []
        let me = PersonRef(id: user.id, userPrincipalName: user.userPrincipalName, displayName: user.displayName)

        // Blockers: the things that must stop an offboarding.
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
        for reference in people.unresolved {
            blockers.append(
                Finding(
                    "unknown-person", "The policy names \(reference), who is not a user of this tenant.",
                    resolution: "Correct the delegate, forwarding or successor setting."))
        }
        if user.isSynced, enabled.contains(.blockSignIn) || enabled.contains(.resetPassword) {
            blockers.append(
                Finding(
                    "synced-user",
                    "\(user.userPrincipalName) is synced from on-premises AD: a cloud sign-in block or password reset is refused or reverted at the next sync.",
                    resolution:
                        "Disable the account in on-premises AD (and let it sync), or run with --set steps=... without block-sign-in and reset-password."
                ))
        }
        let soleOwned = snapshot.groups.filter { $0.isOwner && $0.ownerIds.filter { $0 != user.id }.isEmpty }
        if !soleOwned.isEmpty, people.successor == nil, enabled.contains(.handOverOwnership) || enabled.contains(.leaveGroup) {
            blockers.append(
                Finding(
                    "sole-owner",
                    "\(user.displayName) is the only owner of \(soleOwned.map { "'\($0.displayName)'" }.joined(separator: ", ")).",
                    resolution: "Name a successor: --set successor=someone@domain."))
        }

        // Licences: which go, which stay, and whether the mailbox allows it.
        let mailbox = snapshot.mailbox
        var kept = Set(policy.keepLicences.map { $0.uppercased() })
        if let mailbox, mailbox.needsLicenceWhenShared, mailbox.sizeBytes <= 50 * 1_073_741_824 {
            // Holds and archives need an Exchange licence on a shared mailbox: keep the one it has.
            if let exchange = snapshot.licences.first(where: { $0.includesExchange && $0.viaGroupId == nil }),
                !kept.contains(exchange.partNumber.uppercased())
            {
                kept.insert(exchange.partNumber.uppercased())
                warnings.append(
                    Finding(
                        "licence-kept",
                        "\(exchange.partNumber) is kept: a shared mailbox with a hold or an archive needs an Exchange licence."))
            }
        }
        let removable = snapshot.licences.filter { $0.viaGroupId == nil && !kept.contains($0.partNumber.uppercased()) }
        let keepsExchange = snapshot.licences.contains { $0.includesExchange && kept.contains($0.partNumber.uppercased()) }
        if enabled.contains(.removeLicences), let mailbox, mailbox.sizeBytes > 50 * 1_073_741_824, !keepsExchange,
            snapshot.licences.contains(where: { $0.includesExchange })
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
        let convertPlanned = enabled.contains(.convertToShared) && mailbox?.isUserMailbox == true
        if enabled.contains(.removeLicences), mailbox?.isUserMailbox == true, !convertPlanned,
            removable.contains(where: { $0.includesExchange })
        {
            blockers.append(
                Finding(
                    "mailbox-unsafe",
                    "Removing the Exchange licence from a user mailbox that is not converted to shared puts it on the path to deletion.",
                    resolution: "Keep convert-to-shared in the steps, or keep the licence."))
        }

        // Containment.
        let containment: [StepID]
        do {
            var ids: [StepID] = []
            if enabled.contains(.blockSignIn) {
                let step = PlannedStep(
                    .blockSignIn, title: "Block sign-in",
                    disposition: user.accountEnabled ? .run : .alreadyDone("sign-in is already blocked"))
                steps.append(step)
                ids.append(step.id)
            }
            // Live state cannot show a reset or a revocation; an earlier run that did them counts while
            // the account has stayed blocked since (no new password use or session is possible).
            func doneEarlier(_ kind: StepKind) -> PlannedStep.Disposition {
                guard let earlier, earlier.succeeded.contains(kind), !user.accountEnabled else { return .run }
                return .alreadyDone("done by run \(earlier.id), and sign-in has stayed blocked since")
            }
            if enabled.contains(.resetPassword), !user.isGuest {
                steps.append(
                    PlannedStep(
                        .resetPassword, title: "Reset the password to a random one (not stored)", disposition: doneEarlier(.resetPassword)))
                ids.append(StepID(.resetPassword))
            }
            if enabled.contains(.revokeSessions) {
                steps.append(
                    PlannedStep(
                        .revokeSessions, title: "Revoke sign-in sessions and refresh tokens", disposition: doneEarlier(.revokeSessions)))
                ids.append(StepID(.revokeSessions))
            }
            if enabled.contains(.removeAuthMethod) {
                let deletable = snapshot.authMethods.filter(\.deletable)
                let others = deletable.filter { !$0.isPhone }
                // Graph refuses to delete the default MFA phone while other methods remain, and v1.0
                // does not say which phone is the default: phones go one at a time after the rest,
                // the mobile number (the usual default) last.
                let phones = deletable.filter(\.isPhone).sorted { Self.phoneRank($0) < Self.phoneRank($1) }
                var previous = others.map { StepID(.removeAuthMethod, target: $0.id) }
                for method in others + phones {
                    steps.append(
                        PlannedStep(
                            .removeAuthMethod, target: method.id, title: "Remove authentication method: \(method.label)",
                            dependsOn: method.isPhone ? previous : [],
                            parameters: ["methodId": method.id, "methodType": method.type, "label": method.label]))
                    if method.isPhone { previous = [StepID(.removeAuthMethod, target: method.id)] }
                }
            }
            containment = ids
        }
        _ = containment

        // Preservation.
        var conversion: StepID?
        if let mailbox {
            if enabled.contains(.convertToShared), mailbox.isUserMailbox || mailbox.isShared {
                let step = PlannedStep(
                    .convertToShared, title: "Convert the mailbox to shared (kept, no licence needed)",
                    parameters: ["mailbox": mailbox.primarySmtpAddress],
                    disposition: mailbox.isShared ? .alreadyDone("the mailbox is already shared") : .run)
                steps.append(step)
                if step.disposition == .run { conversion = step.id }
                let review =
                    policy.retainMailboxDays.map { days in
                        let date = ISO8601DateFormatter.string(
                            from: now.addingTimeInterval(Double(days) * 86_400), timeZone: .gmt, formatOptions: [.withFullDate])
                        return mailbox.litigationHold
                            ? " (on hold: kept while the hold lasts; review on \(date))"
                            : " until \(date) (policy: \(days) days), then review"
                    } ?? ""
                retention.append(
                    "Mailbox \(mailbox.primarySmtpAddress) kept as a shared mailbox" + (mailbox.litigationHold ? " on litigation hold" : "")
                        + review + ".")
                warnings.append(
                    Finding("shared-keeps-mail", "The shared mailbox keeps receiving mail sent to \(mailbox.primarySmtpAddress)."))
            }
            if enabled.contains(.grantMailboxAccess) {
                if let delegate = people.delegate {
                    let has = mailbox.fullAccessHolders.contains { $0.caseInsensitiveCompare(delegate.userPrincipalName) == .orderedSame }
                    steps.append(
                        PlannedStep(
                            .grantMailboxAccess, target: delegate.userPrincipalName,
                            title: "Give \(delegate.displayName) Full Access to the mailbox",
                            parameters: ["mailbox": mailbox.primarySmtpAddress, "delegate": delegate.userPrincipalName],
                            disposition: has ? .alreadyDone("\(delegate.userPrincipalName) already has Full Access") : .run))
                    retention.append("\(delegate.displayName) has Full Access to the mailbox.")
                } else if policy.delegate != .none {
                    warnings.append(
                        Finding(
                            "no-delegate", "No one gets access to the mailbox: \(user.displayName) has no manager.",
                            resolution: "Name one: --set delegate=someone@domain."))
                }
            }
            if enabled.contains(.setForwarding) {
                if let target = people.forwardingTarget {
                    let same =
                        mailbox.forwardingAddress.map { target.isNamed(by: $0) } == true && mailbox.forwardingSmtpAddress == nil
                        && mailbox.deliverToMailboxAndForward == policy.forwardingKeepCopy
                        && mailbox.deliverToMailboxAndForward == policy.forwardingKeepCopy && mailbox.forwardingSmtpAddress == nil
                    steps.append(
                        PlannedStep(
                            .setForwarding,
                            title: "Forward mail to \(target.displayName)" + (policy.forwardingKeepCopy ? " (keeping a copy)" : ""),
                            parameters: [
                                "mailbox": mailbox.primarySmtpAddress, "to": target.userPrincipalName, "toId": target.id,
                                "toName": target.displayName,
                                "keepCopy": String(policy.forwardingKeepCopy),
                            ],
                            disposition: same ? .alreadyDone("mail is already forwarded to \(target.userPrincipalName)") : .run))
                } else if mailbox.hasForwarding {
                    steps.append(
                        PlannedStep(
                            .removeForwarding,
                            title: "Remove the existing forwarding to \(mailbox.forwardingSmtpAddress ?? mailbox.forwardingAddress ?? "?")",
                            parameters: ["mailbox": mailbox.primarySmtpAddress]))
                }
            }
            if let smtp = mailbox.forwardingSmtpAddress, isExternal(smtp, user: user) {
                warnings.append(
                    Finding(
                        "external-forwarding", "The mailbox forwards externally to \(smtp.replacingOccurrences(of: "smtp:", with: ""))."))
            }
            for rule in mailbox.forwardingRules {
                warnings.append(
                    Finding(
                        "forwarding-rule",
                        "Inbox rule '\(rule.name)' forwards or redirects to \(rule.targets.joined(separator: ", "))"
                            + (rule.external ? " (external)" : "") + "."))
            }
            if enabled.contains(.setAutoReply), let internalText = policy.autoReplyInternal {
                let values = [
                    "displayName": user.displayName,
                    "delegate": people.delegate?.displayName ?? snapshot.manager?.displayName ?? "the service desk",
                    "delegateEmail": people.delegate?.userPrincipalName ?? snapshot.manager?.userPrincipalName ?? "the service desk",
                    "manager": snapshot.manager?.displayName ?? "the service desk",
                    "managerEmail": snapshot.manager?.userPrincipalName ?? "the service desk",
                    "date": ISO8601DateFormatter.string(from: now, timeZone: .gmt, formatOptions: [.withFullDate]),
                ]
                let internalMessage = Placeholders.fill(internalText, values: values)
                let same = mailbox.autoReplyEnabled && mailbox.autoReplyInternalMessage == internalMessage
                steps.append(
                    PlannedStep(
                        .setAutoReply, title: "Turn on the out-of-office reply",
                        parameters: [
                            "mailbox": mailbox.primarySmtpAddress, "internal": internalMessage,
                            "external": Placeholders.fill(policy.autoReplyExternal ?? internalText, values: values),
                        ],
                        disposition: same ? .alreadyDone("the auto-reply is already on with this text") : .run))
            }
            if enabled.contains(.hideFromGAL) {
                steps.append(
                    PlannedStep(
                        .hideFromGAL, title: "Hide from the global address list", parameters: ["mailbox": mailbox.primarySmtpAddress],
                        disposition: mailbox.hiddenFromGAL ? .alreadyDone("already hidden from the address list") : .run))
            }
        }

        // Clean-up: ownerships first, then memberships.
        var handOver: [String: StepID] = [:]
        if enabled.contains(.handOverOwnership) || enabled.contains(.leaveGroup) {
            for group in snapshot.groups where group.isOwner {
                let others = group.ownerIds.filter { $0 != user.id }
                let successor = people.successor
                if others.isEmpty, successor == nil { continue }  // blocked above
                var parameters = ["groupId": group.id, "groupName": group.displayName]
                if let successor, !others.contains(successor.id) {
                    parameters["successor"] = successor.id; parameters["successorName"] = successor.displayName
                }
                if group.managedInExchange || group.isSynced {
                    steps.append(
                        PlannedStep(
                            .reportGroup, target: "owner:\(group.id)", title: "Ownership of '\(group.displayName)'",
                            parameters: parameters,
                            disposition: .report(
                                group.isSynced
                                    ? "owners of synced groups are managed in on-premises AD"
                                    : "owners of mail-enabled groups (ManagedBy) are managed in Exchange; change them there")))
                    continue
                }
                let step = PlannedStep(
                    .handOverOwnership, target: group.id,
                    title: parameters["successorName"].map { "Hand '\(group.displayName)' over to \($0)" }
                        ?? "Remove ownership of '\(group.displayName)' (other owners remain)",
                    parameters: parameters)
                steps.append(step)
                handOver[group.id] = step.id
            }
        }
        var licensingLeaves: [StepID] = []
        if enabled.contains(.leaveGroup) {
            for group in snapshot.groups where group.isMember {
                var parameters = [
                    "groupId": group.id, "groupName": group.displayName, "via": group.managedInExchange ? "exchange" : "graph",
                ]
                if let mail = group.mail { parameters["groupMail"] = mail }
                if group.isDynamic {
                    steps.append(
                        PlannedStep(
                            .reportGroup, target: group.id, title: "Membership of '\(group.displayName)'", parameters: parameters,
                            disposition: .report(
                                "dynamic membership: the group's rule decides, so it cannot be removed; it ends when the user's attributes or the rule change"
                            )))
                    continue
                }
                if group.isSynced {
                    steps.append(
                        PlannedStep(
                            .reportGroup, target: group.id, title: "Membership of '\(group.displayName)'", parameters: parameters,
                            disposition: .report("synced from on-premises AD: remove the membership there")))
                    continue
                }
                var dependsOn: [StepID] = handOver[group.id].map { [$0] } ?? []
                if group.assignsLicences {
                    parameters["licensing"] = "true"
                    if let conversion { dependsOn.append(conversion) }
                }
                let step = PlannedStep(
                    .leaveGroup, target: group.id,
                    title: "Leave '\(group.displayName)'" + (group.managedInExchange ? " (through Exchange)" : "")
                        + (group.assignsLicences ? " (frees its licences)" : ""),
                    dependsOn: dependsOn, parameters: parameters)
                steps.append(step)
                if group.assignsLicences { licensingLeaves.append(step.id) }
            }
        }

        // Licences, last, and only once Exchange reports the mailbox as shared.
        var freed: [String] = []
        if enabled.contains(.removeLicences) {
            if !removable.isEmpty {
                steps.append(
                    PlannedStep(
                        .removeLicences, title: "Remove licences: \(removable.map(\.partNumber).joined(separator: ", "))",
                        dependsOn: conversion.map { [$0] } ?? [],
                        parameters: [
                            "skuIds": removable.map(\.skuId).joined(separator: ","),
                            "skus": removable.map(\.partNumber).joined(separator: ","),
                            "requiresShared": mailbox?.isUserMailbox == true || mailbox?.isShared == true ? "true" : "false",
                        ]))
                freed += removable.map(\.partNumber)
            }
            for licence in snapshot.licences where licence.viaGroupId != nil {
                if licensingLeaves.contains(StepID(.leaveGroup, target: licence.viaGroupId)) { freed.append(licence.partNumber) }
            }
            for licence in snapshot.licences where kept.contains(licence.partNumber.uppercased()) {
                retention.append("\(licence.partNumber) kept on the account.")
            }
        }

        // Warnings that need no step.
        if !snapshot.oauthGrants.isEmpty {
            warnings.append(
                Finding(
                    "oauth-grants", "\(snapshot.oauthGrants.count) app consent(s) granted by the user remain (not removed by this version)."
                ))
        }
        if let lastSignIn = user.lastSignIn, now.timeIntervalSince(lastSignIn) < 86_400 {
            let minutes = Int(now.timeIntervalSince(lastSignIn) / 60)
            warnings.append(
                Finding(
                    "recent-sign-in",
                    "Signed in \(minutes < 120 ? "\(minutes) minutes" : "\(minutes / 60) hours") ago: they may still be working."))
        }
        if !snapshot.directReports.isEmpty {
            warnings.append(
                Finding(
                    "direct-reports",
                    "\(snapshot.directReports.count) direct report(s) need a new manager: \(snapshot.directReports.map(\.displayName).joined(separator: ", "))."
                ))
        }
        let otherRoles = snapshot.roles.filter {
            $0.roleDefinitionId != RoleInfo.globalAdministratorId || !snapshot.otherGlobalAdmins.isEmpty
        }
        if !otherRoles.isEmpty {
            warnings.append(
                Finding(
                    "admin-roles",
                    "Holds admin role(s) \(otherRoles.map(\.name).joined(separator: ", ")) (role removal is not in this version; blocking sign-in already cuts their use)."
                ))
        }
        if !snapshot.devices.isEmpty {
            warnings.append(Finding("devices", "\(snapshot.devices.count) Intune device(s) are not wiped or retired by this version."))
        }
        if snapshot.mailbox == nil, enabled.contains(.convertToShared), !user.isGuest {
            warnings.append(Finding("no-mailbox", "No mailbox: mailbox steps are skipped."))
        }
        steps.sort { ($0.phase, $0.id) < ($1.phase, $1.id) }
        return Plan(
            tenant: tenant, user: me, policyName: policy.name, createdAt: now, steps: steps, blockers: blockers, warnings: warnings,
            licencesToFree: freed, retention: retention)
    }

    static func isExternal(_ address: String, user: UserInfo) -> Bool {
        let domain = address.split(separator: "@").last.map { $0.lowercased() } ?? ""
        let own = user.userPrincipalName.split(separator: "@").last.map { $0.lowercased() } ?? ""
        return !domain.isEmpty && domain != own && !domain.hasSuffix(".onmicrosoft.com")
    }

    /// Office and alternate phones before the mobile phone, which is usually the default.
    static func phoneRank(_ method: AuthMethodInfo) -> Int {
        let label = method.label.lowercased()
        if label.contains("alternatemobile") { return 1 }
        if label.contains("mobile") { return 2 }
        return 0
    }
}
