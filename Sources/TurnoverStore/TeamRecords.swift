public import Foundation
public import TurnoverCore

/// An operator of `turnover serve` as stored: the bcrypt hash of their password, never the password.
public struct OperatorRecord: Codable, Sendable, Equatable {
    public var name: OperatorName
    public var roles: [Role]
    /// The tenants in scope; empty means every tenant.
    public var tenants: [String]
    public var passwordHash: String
    /// An initial or reset password must be changed at the next sign-in.
    public var mustChangePassword: Bool
    /// The TOTP secret, for the roles that need a second factor (admin, approver).
    public var totpSecret: String?
    public var disabled: Bool
    public var createdAt: Date
    /// Where notifications to this operator go (approval requests, their submissions' outcomes).
    public var email: String?

    public init(
        name: OperatorName, roles: [Role], tenants: [String], passwordHash: String, mustChangePassword: Bool, totpSecret: String?,
        createdAt: Date
    ) {
        self.name = name
        self.roles = roles
        self.tenants = tenants
        self.passwordHash = passwordHash
        self.mustChangePassword = mustChangePassword
        self.totpSecret = totpSecret
        disabled = false
        self.createdAt = createdAt
    }
}

/// A bearer credential: a browser or CLI session, or an API token for scripts. Only a hash of its
/// secret is stored, so a copy of the database signs nobody in.
public struct CredentialRecord: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable {
        case session
        case apiToken = "api-token"
        /// A browser sign-in half done: the password checked, a second factor or a new password
        /// still to come. It signs nobody in.
        case signInPending = "sign-in-pending"
    }
    public var id: String
    public var kind: Kind
    public var name: String
    public var operator_: OperatorName
    /// What the credential may do: a subset of its operator's roles and tenants.
    public var roles: [Role]
    public var tenants: [String]
    public var createdAt: Date
    public var expiresAt: Date
    public var revoked: Bool

    enum CodingKeys: String, CodingKey {
        case id, kind, name, roles, tenants, createdAt, expiresAt, revoked
        case operator_ = "operator"
    }

    public init(
        id: String, kind: Kind, name: String, operator_: OperatorName, roles: [Role], tenants: [String], createdAt: Date,
        expiresAt: Date
    ) {
        self.id = id
        self.kind = kind
        self.name = name
        self.operator_ = operator_
        self.roles = roles
        self.tenants = tenants
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        revoked = false
    }
}

/// Work that one process at a time holds under a lease: an approved offboarding being started, or a
/// run being executed. A lease that is not renewed expires, and another process takes the work over.
public enum LeasedWork: String, Sendable, CaseIterable {
    case offboardings
    case runs
    /// Notifications waiting to be sent (or sent again).
    case deliveries
}

/// A filter for listing offboardings; nil fields do not narrow.
public struct OffboardingFilter: Sendable, Equatable {
    /// Only these tenants (the caller's scope); nil means every tenant.
    public var tenants: [String]?
    public var tenant: String?
    public var status: OffboardingRequest.Status?
    public var userPrincipalName: String?
    public init(
        tenants: [String]? = nil, tenant: String? = nil, status: OffboardingRequest.Status? = nil, userPrincipalName: String? = nil
    ) {
        self.tenants = tenants
        self.tenant = tenant
        self.status = status
        self.userPrincipalName = userPrincipalName
    }
}
