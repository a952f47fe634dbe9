import Foundation

/// The kinds of step Turnover can take, each with what it reads, changes, how it verifies, the
/// permissions it needs and how it could be undone.
public enum StepKind: String, Codable, Sendable, CaseIterable {
    case blockSignIn = "block-sign-in"
    case resetPassword = "reset-password"
    case revokeSessions = "revoke-sessions"
    case removeAuthMethod = "remove-auth-method"
    case convertToShared = "convert-to-shared"
    case grantMailboxAccess = "grant-mailbox-access"
    case setForwarding = "set-forwarding"
    case removeForwarding = "remove-forwarding"
    case setAutoReply = "set-auto-reply"
    case hideFromGAL = "hide-from-gal"
    case handOverOwnership = "hand-over-ownership"
    case leaveGroup = "leave-group"
    case reportGroup = "report-group"
    case removeLicences = "remove-licences"

    /// Step names a policy may list (groups of kinds).
    public static let policySteps: [StepKind] = [
        .blockSignIn, .resetPassword, .revokeSessions, .removeAuthMethod, .convertToShared, .grantMailboxAccess, .setForwarding,
        .setAutoReply,
        .hideFromGAL, .handOverOwnership, .leaveGroup, .removeLicences,
    ]

    public init?(policyName: String) {
        switch policyName.trimmingCharacters(in: .whitespaces) {
        case "remove-auth-methods": self = .removeAuthMethod
        case "forwarding": self = .setForwarding
        case "auto-reply", "out-of-office": self = .setAutoReply
        case "leave-groups", "groups": self = .leaveGroup
        case "grant-mailbox-access", "delegate-mailbox": self = .grantMailboxAccess
        default:
            guard let kind = StepKind(rawValue: policyName.trimmingCharacters(in: .whitespaces)), kind != .reportGroup,
                kind != .removeForwarding
            else { return nil }
            self = kind
        }
    }

    public var phase: Phase {
        switch self {
        case .blockSignIn, .resetPassword, .revokeSessions, .removeAuthMethod: .containment
        case .convertToShared, .grantMailboxAccess, .setForwarding, .removeForwarding, .setAutoReply, .hideFromGAL: .preservation
        case .handOverOwnership, .leaveGroup, .reportGroup: .cleanup
        case .removeLicences: .licences
        }
    }

    public var spec: StepSpec {
        switch self {
        case .blockSignIn:
            StepSpec(
                reads: "user.accountEnabled", changes: "PATCH /users/{id} accountEnabled=false",
                verifies: "accountEnabled is false on re-read",
                permissions: ["User.EnableDisableAccount.All", "User.ReadWrite.All"], undo: "PATCH accountEnabled=true")
        case .resetPassword:
            StepSpec(
                reads: "user.lastPasswordChangeDateTime", changes: "PATCH /users/{id} passwordProfile (random, never stored or logged)",
                verifies: "lastPasswordChangeDateTime moves past the run start",
                permissions: ["User-PasswordProfile.ReadWrite.All", "User.ReadWrite.All"],
                undo: "none: an administrator sets a new password")
        case .revokeSessions:
            StepSpec(
                reads: "user.signInSessionsValidFromDateTime", changes: "POST /users/{id}/revokeSignInSessions",
                verifies: "signInSessionsValidFromDateTime moves past the run start",
                permissions: ["User.RevokeSessions.All", "User.ReadWrite.All"],
                undo: "none: the user signs in again once re-enabled")
        case .removeAuthMethod:
            StepSpec(
                reads: "GET /users/{id}/authentication/methods (when planning)",
                changes: "DELETE /users/{id}/authentication/{kind}/{method}",
                verifies: "Graph answers 204 (deleted) or 404 (already gone)", permissions: ["UserAuthenticationMethod.ReadWrite.All"],
                undo: "the user registers the method again")
        case .convertToShared:
            StepSpec(
                reads: "Get-Mailbox RecipientTypeDetails", changes: "Set-Mailbox -Type Shared",
                verifies: "Get-Mailbox reports SharedMailbox (polled)", permissions: ["Exchange.ManageAsApp"],
                undo: "Set-Mailbox -Type Regular (needs a licence)")
        case .grantMailboxAccess:
            StepSpec(
                reads: "Get-MailboxPermission", changes: "Add-MailboxPermission -AccessRights FullAccess",
                verifies: "the delegate holds FullAccess", permissions: ["Exchange.ManageAsApp"], undo: "Remove-MailboxPermission")
        case .setForwarding:
            StepSpec(
                reads: "Get-Mailbox forwarding", changes: "Set-Mailbox -ForwardingAddress -DeliverToMailboxAndForward",
                verifies: "Get-Mailbox shows the forwarding", permissions: ["Exchange.ManageAsApp"],
                undo: "restore the previous forwarding from the snapshot")
        case .removeForwarding:
            StepSpec(
                reads: "Get-Mailbox forwarding", changes: "Set-Mailbox -ForwardingSmtpAddress $null -ForwardingAddress $null",
                verifies: "Get-Mailbox shows no forwarding", permissions: ["Exchange.ManageAsApp"],
                undo: "restore the previous forwarding from the snapshot")
        case .setAutoReply:
            StepSpec(
                reads: "Get-MailboxAutoReplyConfiguration", changes: "Set-MailboxAutoReplyConfiguration -AutoReplyState Enabled",
                verifies: "the auto-reply is enabled with the text", permissions: ["Exchange.ManageAsApp"], undo: "-AutoReplyState Disabled"
            )
        case .hideFromGAL:
            StepSpec(
                reads: "Get-Mailbox HiddenFromAddressListsEnabled", changes: "Set-Mailbox -HiddenFromAddressListsEnabled $true",
                verifies: "HiddenFromAddressListsEnabled is true", permissions: ["Exchange.ManageAsApp"],
                undo: "-HiddenFromAddressListsEnabled $false")
        case .handOverOwnership:
            StepSpec(
                reads: "GET /groups/{id}/owners", changes: "POST owners/$ref (successor), then DELETE owners/{leaver}/$ref",
                verifies: "the successor owns the group and the leaver does not", permissions: ["Group.ReadWrite.All"],
                undo: "add the leaver back as owner")
        case .leaveGroup:
            StepSpec(
                reads: "GET /users/{id}/memberOf",
                changes: "DELETE /groups/{id}/members/{leaver}/$ref, or Remove-DistributionGroupMember for mail-enabled groups",
                verifies: "the group is no longer in memberOf", permissions: ["GroupMember.ReadWrite.All", "Exchange.ManageAsApp"],
                undo: "add the member back")
        case .reportGroup:
            StepSpec(
                reads: "GET /users/{id}/memberOf", changes: "nothing: dynamic and synced memberships are mastered elsewhere",
                verifies: "n/a",
                permissions: [], undo: "n/a")
        case .removeLicences:
            StepSpec(
                reads: "assignedLicenses, licenseAssignmentStates; Get-Mailbox",
                changes: "POST /users/{id}/assignLicense removeLicenses (direct only)",
                verifies: "the SKUs are gone from the user assignLicense returns",
                permissions: ["LicenseAssignment.ReadWrite.All", "User.ReadWrite.All"],
                undo: "assignLicense addLicenses from the snapshot")
        }
    }
}

public struct StepSpec: Sendable, Equatable {
    public var reads: String
    public var changes: String
    public var verifies: String
    /// Any one of these application permissions is enough.
    public var permissions: [String]
    public var undo: String
}

/// The order an offboarding runs in: access is cut first, data is made safe before anything that
/// could lose it, and licences go last.
public enum Phase: String, Codable, Sendable, CaseIterable, Comparable {
    case containment, preservation, cleanup, licences

    var rank: Int { Phase.allCases.firstIndex(of: self)! }
    public static func < (lhs: Phase, rhs: Phase) -> Bool { lhs.rank < rhs.rank }
}
