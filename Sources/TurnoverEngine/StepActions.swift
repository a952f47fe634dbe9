import Foundation
import MicrosoftGraph
import Synchronization
import TurnoverCore

/// Set once Exchange has been seen to report the mailbox as shared in this execution, so licence
/// removal does not poll again for what was confirmed a moment before.
final class SharedConfirmation: Sendable {
    private let confirmed = Mutex(false)
    var isConfirmed: Bool { confirmed.withLock { $0 } }
    func confirm() { confirmed.withLock { $0 = true } }
}

/// How each step kind checks, applies and verifies itself against a tenant.
struct StepActions: Sendable {
    let client: MicrosoftClient
    let upn: String
    let userId: String
    let runStarted: Date
    let options: RunnerOptions
    let now: @Sendable () -> Date
    let sleep: @Sendable (Duration) async throws -> Void
    let shared = SharedConfirmation()

    struct Outcome {
        var before: String?
        var after: String?
        var note: String?
    }

    struct StepFailure: Error, CustomStringConvertible {
        var description: String
    }

    /// Returns why nothing needs doing, or nil when the step must still be applied.
    func alreadyDone(_ step: PlannedStep) async throws -> String? {
        let p = step.parameters
        switch step.kind {
        case .blockSignIn:
            return try await client.user(userId, select: ["accountEnabled"]).accountEnabled == false ? "sign-in is already blocked" : nil
        case .resetPassword:
            return try await passwordChangedSinceStart() ? "the password was already reset in this run" : nil
        case .revokeSessions:
            return try await sessionsRevokedSinceStart() ? "sessions were already revoked in this run" : nil
        case .removeAuthMethod:
            let methods = try await client.authenticationMethods(userId)
            return methods.contains { $0.id == p["methodId"] } ? nil : "the method is already gone"
        case .convertToShared:
            guard try await client.mailbox(upn)?.isShared == true else { return nil }
            shared.confirm()
            return "the mailbox is already shared"
        case .grantMailboxAccess:
            return try await hasFullAccess(p["delegate"] ?? "") ? "\(p["delegate"] ?? "") already has Full Access" : nil
        case .setForwarding:
            let mailbox = try await client.mailbox(upn)
            let matches =
                mailbox?.ForwardingAddress.map { forwardingTarget(step).isNamed(by: $0) } == true
                && mailbox?.DeliverToMailboxAndForward == (p["keepCopy"] == "true") && mailbox?.ForwardingSmtpAddress == nil
            return matches ? "mail is already forwarded to \(p["to"] ?? "")" : nil
        case .removeForwarding:
            let mailbox = try await client.mailbox(upn)
            return mailbox?.ForwardingAddress == nil && mailbox?.ForwardingSmtpAddress == nil ? "no forwarding is set" : nil
        case .setAutoReply:
            let reply = try await client.autoReplyConfiguration(upn)
            return reply?.AutoReplyState == "Enabled" && reply?.InternalMessage == p["internal"] ? "the auto-reply is already on" : nil
        case .hideFromGAL:
            return try await client.mailbox(upn)?.HiddenFromAddressListsEnabled == true ? "already hidden from the address list" : nil
        case .handOverOwnership:
            let owners = try await client.groupOwners(p["groupId"] ?? "").map(\.id)
            let successorDone = p["successor"].map { owners.contains($0) } ?? true
            return successorDone && !owners.contains(userId) ? "ownership was already handed over" : nil
        case .leaveGroup:
            return try await isMember(p["groupId"] ?? "") ? nil : "no longer a member"
        case .reportGroup:
            return "reported only"
        case .removeLicences:
            let assigned = Set((try await client.user(userId, select: ["assignedLicenses"]).assignedLicenses ?? []).map(\.skuId))
            return skuIds(step).allSatisfy { !assigned.contains($0) } ? "the licences are already removed" : nil
        }
    }

    /// Applies a step and verifies it. `live` is set when the run was interrupted before, so the
    /// plan's snapshot may be stale and current state is read first.
    func apply(_ step: PlannedStep, live: Bool = false) async throws -> Outcome {
        let p = step.parameters
        switch step.kind {
        case .blockSignIn:
            try await client.setAccountEnabled(userId, false)
            guard try await client.user(userId, select: ["accountEnabled"]).accountEnabled == false else {
                throw StepFailure(description: "accountEnabled is still true after the change")
            }
            return Outcome(before: "sign-in allowed", after: "sign-in blocked")
        case .resetPassword:
            try await client.resetPassword(userId, to: PasswordGenerator.make())
            guard try await passwordChangedSinceStart() else { throw StepFailure(description: "lastPasswordChangeDateTime did not move") }
            return Outcome(before: "old password", after: "random password, not stored")
        case .revokeSessions:
            try await client.revokeSignInSessions(userId)
            guard try await sessionsRevokedSinceStart() else {
                throw StepFailure(description: "signInSessionsValidFromDateTime did not move")
            }
            return Outcome(before: "sessions valid", after: "all sessions revoked")
        case .removeAuthMethod:
            // The plan names the method and its kind, so it is deleted straight away; Graph answers
            // 204 only once it is gone, and 404 when it already was.
            let method = AuthenticationMethod(odataType: p["methodType"] ?? "", id: p["methodId"] ?? "")
            guard method.collection != nil else {
                throw StepFailure(description: "\(p["label"] ?? "this method") cannot be deleted through Graph")
            }
            do {
                try await client.deleteAuthenticationMethod(userId: userId, method)
            } catch let error as MicrosoftAPIError where error.isNotFound {
                return Outcome(before: p["label"], after: "already removed")
            }
            return Outcome(before: p["label"], after: "removed")
        case .convertToShared:
            try await client.setMailbox(upn, ["Type": "Shared"])
            try await waitUntilShared(timeout: options.conversionTimeout)
            return Outcome(before: "UserMailbox", after: "SharedMailbox")
        case .grantMailboxAccess:
            let delegate = p["delegate"] ?? ""
            try await client.addFullAccess(mailbox: upn, delegate: delegate, autoMapping: true)
            guard try await hasFullAccess(delegate) else {
                throw StepFailure(description: "\(delegate) does not hold Full Access after the change")
            }
            return Outcome(before: "no access for \(delegate)", after: "\(delegate): Full Access")
        case .setForwarding:
            let before = try await client.mailbox(upn)
            try await client.setMailbox(
                upn,
                [
                    "ForwardingAddress": .string(p["to"] ?? ""), "ForwardingSmtpAddress": .null,
                    "DeliverToMailboxAndForward": .bool(p["keepCopy"] == "true"),
                ])
            let after = try await client.mailbox(upn)
            guard after?.ForwardingAddress.map({ forwardingTarget(step).isNamed(by: $0) }) == true,
                after?.DeliverToMailboxAndForward == (p["keepCopy"] == "true")
            else {
                throw StepFailure(description: "Get-Mailbox does not show the forwarding")
            }
            return Outcome(
                before: before?.ForwardingAddress ?? before?.ForwardingSmtpAddress ?? "no forwarding",
                after: "forwarding to \(p["to"] ?? "")" + (p["keepCopy"] == "true" ? ", copy kept" : ""))
        case .removeForwarding:
            let before = try await client.mailbox(upn)
            try await client.setMailbox(upn, ["ForwardingAddress": .null, "ForwardingSmtpAddress": .null])
            let after = try await client.mailbox(upn)
            guard after?.ForwardingAddress == nil, after?.ForwardingSmtpAddress == nil else {
                throw StepFailure(description: "forwarding is still set")
            }
            return Outcome(before: before?.ForwardingSmtpAddress ?? before?.ForwardingAddress, after: "no forwarding")
        case .setAutoReply:
            try await client.setAutoReply(upn, internalMessage: p["internal"] ?? "", externalMessage: p["external"] ?? "")
            guard try await client.autoReplyConfiguration(upn)?.AutoReplyState == "Enabled" else {
                throw StepFailure(description: "the auto-reply is not enabled")
            }
            return Outcome(before: nil, after: "auto-reply on: “\(p["internal"] ?? "")”")
        case .hideFromGAL:
            try await client.setMailbox(upn, ["HiddenFromAddressListsEnabled": true])
            guard try await client.mailbox(upn)?.HiddenFromAddressListsEnabled == true else {
                throw StepFailure(description: "still visible")
            }
            return Outcome(before: "listed", after: "hidden")
        case .handOverOwnership:
            let groupId = p["groupId"] ?? ""
            if let successor = p["successor"] { try await client.addGroupOwner(groupId: groupId, userId: successor) }
            do {
                try await client.removeGroupOwner(groupId: groupId, userId: userId)
            } catch let error as MicrosoftAPIError where error.isNotFound {
                // Not an owner any more: the desired state holds.
            }
            let owners = try await client.groupOwners(groupId).map(\.id)
            guard !owners.contains(userId), p["successor"].map({ owners.contains($0) }) ?? true else {
                throw StepFailure(description: "the owners are not as intended after the change")
            }
            return Outcome(before: "owner: \(upn)", after: "owner: \(p["successorName"] ?? "the remaining owners")")
        case .leaveGroup:
            let groupId = p["groupId"] ?? ""
            if p["via"] == "exchange" {
                do {
                    try await client.removeDistributionGroupMember(group: p["groupMail"] ?? groupId, member: upn)
                } catch let error as MicrosoftAPIError where error.message.contains("isn't a member") {
                    // Already out: the desired state holds.
                }
            } else {
                do {
                    try await client.removeGroupMember(groupId: groupId, userId: userId)
                } catch let error as MicrosoftAPIError where error.isNotFound {
                    // Already out.
                }
            }
            guard try await !isMember(groupId) else { throw StepFailure(description: "still a member after the change") }
            return Outcome(before: "member", after: "removed")
        case .reportGroup:
            return Outcome(before: nil, after: nil)
        case .removeLicences:
            if p["requiresShared"] == "true", !shared.isConfirmed {
                // Never remove a licence before Exchange confirms the mailbox is shared.
                try await waitUntilShared(timeout: options.conversionTimeout)
            }
            var toRemove = skuIds(step)
            if live {
                let assigned = Set((try await client.user(userId, select: ["assignedLicenses"]).assignedLicenses ?? []).map(\.skuId))
                toRemove = toRemove.filter { assigned.contains($0) }
            }
            var remaining: Set<String>
            do {
                // Graph answers with the user as it now is: that answer is the verification.
                let user = try await client.assignLicense(userId: userId, remove: toRemove)
                remaining = Set((user.assignedLicenses ?? []).map(\.skuId))
            } catch let error as MicrosoftAPIError
                where error.status == 400 && error.message.contains("does not have a corresponding license")
            {
                // Removed already (an earlier attempt whose answer was lost): read what is left.
                remaining = Set((try await client.user(userId, select: ["assignedLicenses"]).assignedLicenses ?? []).map(\.skuId))
            }
            guard skuIds(step).allSatisfy({ !remaining.contains($0) }) else {
                throw StepFailure(description: "licences are still assigned after the change")
            }
            return Outcome(before: p["skus"], after: "removed")
        }
    }

    // MARK: Reads

    func forwardingTarget(_ step: PlannedStep) -> PersonRef {
        let p = step.parameters
        return PersonRef(id: p["toId"] ?? "", userPrincipalName: p["to"] ?? "", displayName: p["toName"] ?? "")
    }

    func skuIds(_ step: PlannedStep) -> [String] { (step.parameters["skuIds"] ?? "").split(separator: ",").map(String.init) }

    func passwordChangedSinceStart() async throws -> Bool {
        try await client.user(userId, select: ["lastPasswordChangeDateTime"]).lastPasswordChangeDateTime.map(changedSinceStart) ?? false
    }

    func sessionsRevokedSinceStart() async throws -> Bool {
        try await client.user(userId, select: ["signInSessionsValidFromDateTime"]).signInSessionsValidFromDateTime.map(changedSinceStart)
            ?? false
    }

    /// Directory timestamps have whole seconds: a change in the run's first second still counts.
    func changedSinceStart(_ date: Date) -> Bool { date >= runStarted.addingTimeInterval(-1) }

    func hasFullAccess(_ delegate: String) async throws -> Bool {
        try await client.mailboxPermissions(upn).contains { entry in
            entry["User"]?.string.map { Self.sameAddress($0, delegate) } == true
                && entry["AccessRights"]?.array?.contains(.string("FullAccess")) == true
        }
    }

    func isMember(_ groupId: String) async throws -> Bool {
        try await client.memberOf(userId).contains { $0.id == groupId }
    }

    /// Polls Get-Mailbox with growing intervals until Exchange reports a shared mailbox.
    func waitUntilShared(timeout: Duration) async throws {
        let deadline = now().addingTimeInterval(Double(timeout.components.seconds))
        var interval = options.pollInitial
        while true {
            if try await client.mailbox(upn)?.isShared == true {
                shared.confirm()
                return
            }
            if now() >= deadline {
                throw StepFailure(
                    description:
                        "Exchange still reports a user mailbox after \(timeout.components.seconds) s; licences are kept until it is shared")
            }
            try await sleep(interval)
            interval = min(interval * 2, options.pollMaximum)
        }
    }

    static func sameAddress(_ a: String, _ b: String) -> Bool {
        a.replacingOccurrences(of: "smtp:", with: "", options: .caseInsensitive).caseInsensitiveCompare(b) == .orderedSame
    }
}

/// Random passwords that meet Entra's complexity rules; never logged or stored.
enum PasswordGenerator {
    static func make() -> String {
        let lower = Array("abcdefghijkmnopqrstuvwxyz"), upper = Array("ABCDEFGHJKLMNPQRSTUVWXYZ"), digits = Array("23456789"),
            symbols = Array("!#%*+-=?@^_")
        var generator = SystemRandomNumberGenerator()
        var characters = [lower, upper, digits, symbols].map { $0.randomElement(using: &generator)! }
        let all = lower + upper + digits + symbols
        for _ in 0..<20 { characters.append(all.randomElement(using: &generator)!) }
        return String(characters.shuffled(using: &generator))
    }
}
