import Crypto
public import Foundation
import HummingbirdBcrypt
import HummingbirdOTP
import Synchronization
public import TurnoverCore
public import TurnoverStore

/// Operators and their credentials: passwords (bcrypt), the TOTP second factor, sessions and API
/// tokens (stored as SHA-256 hashes), and the rate limit on failed sign-ins.
public final class OperatorAccounts: Sendable {
    public let store: any TurnoverStore
    let now: @Sendable () -> Date
    /// bcrypt's work factor: 2^cost rounds.
    let bcryptCost: UInt8
    public static let sessionLifetime: TimeInterval = 12 * 3600
    /// Five failures within fifteen minutes lock the name for fifteen minutes.
    static let failureLimit = 5
    static let failureWindow: TimeInterval = 15 * 60
    private let failures = Mutex<[String: [Date]]>([:])

    public init(store: any TurnoverStore, bcryptCost: UInt8 = 10, now: @escaping @Sendable () -> Date = { Date() }) {
        self.store = store
        self.bcryptCost = bcryptCost
        self.now = now
    }

    /// What a new operator receives once: the initial password, and the TOTP secret for the roles
    /// that need a second factor.
    public struct NewCredentials: Sendable {
        public var record: OperatorRecord
        public var initialPassword: String
        public var totpSecret: String?
        public var totpURL: String?
    }

    /// A bcrypt hash of `password` (for operators made outside the API, such as a benchmark's).
    public static func hashPassword(_ password: String, cost: UInt8) -> String { Bcrypt.hash(password, cost: cost) }

    /// Admins and approvers sign in with a second factor.
    public static func needsSecondFactor(_ roles: [Role]) -> Bool { roles.contains(.admin) || roles.contains(.approver) }

    public struct Refusal: Error, Sendable, CustomStringConvertible {
        public var problem: APIProblem
        public var description: String { problem.detail }
    }

    public func addOperator(name: OperatorName, roles: [Role], tenants: [String], email: String? = nil) async throws -> NewCredentials {
        if let email, !EmailAddress.isPlausible(email) {
            throw Refusal(problem: .badRequest("'\(email)' is not an e-mail address."))
        }
        let trimmed = name.rawValue.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty, trimmed.count <= 64, trimmed.allSatisfy({ $0.isLetter || $0.isNumber || "._@-".contains($0) }) else {
            throw Refusal(problem: .badRequest("An operator's name is letters, digits and . _ @ - (up to 64)."))
        }
        guard !roles.isEmpty else { throw Refusal(problem: .badRequest("Give the operator at least one role.")) }
        guard try await store.operatorRecord(named: name) == nil else {
            throw Refusal(problem: .conflict("There is already an operator \(name)."))
        }
        let password = Self.randomText(20)
        let totpSecret = Self.needsSecondFactor(roles) ? Self.randomText(20) : nil
        var record = OperatorRecord(
            name: name, roles: Array(Set(roles)).sorted(), tenants: Array(Set(tenants)).sorted(),
            passwordHash: Bcrypt.hash(password, cost: bcryptCost), mustChangePassword: true, totpSecret: totpSecret, createdAt: now())
        record.email = email
        try await store.saveOperator(record)
        return NewCredentials(
            record: record, initialPassword: password, totpSecret: totpSecret,
            totpURL: totpSecret.map { TOTP(secret: $0).createAuthenticatorURL(label: name.rawValue, issuer: "Turnover") })
    }

    /// Checks name, password and second factor and opens a session. An initial password must be
    /// replaced in the same call (`newPassword`).
    public func signIn(
        name: OperatorName, password: String, totp: String?, newPassword: String?
    ) async throws -> (
        secret: String, record: CredentialRecord, operator: OperatorRecord
    ) {
        var record = try await checkPassword(name: name, password: password)
        if Self.needsSecondFactor(record.roles) {
            guard let secret = record.totpSecret else {
                throw Refusal(problem: .forbidden("\(name) has no second factor enrolled; ask an admin to re-create the operator."))
            }
            guard let totp, Self.totpMatches(totp, secret: secret, at: now()) else {
                try await fail(name, reason: "wrong or missing TOTP code")
                throw Refusal(
                    problem: APIProblem(
                        status: 401, title: "Second factor needed", detail: "Give the current code of your authenticator app (totp).",
                        type: "urn:turnover:totp-required"))
            }
        }
        if record.mustChangePassword {
            guard let newPassword else {
                throw Refusal(
                    problem: APIProblem(
                        status: 403, title: "Password change required",
                        detail: "This is an initial password: sign in again with newPassword set to a password of your own.",
                        type: "urn:turnover:password-change-required"))
            }
            try Self.checkStrength(newPassword, old: password)
            record.passwordHash = Bcrypt.hash(newPassword, cost: bcryptCost)
            record.mustChangePassword = false
            try await store.saveOperator(record)
        }
        failures.withLock { $0[name.rawValue] = nil }
        let (secret, credential) = try await issue(
            kind: .session, name: "session", operator: record, roles: record.roles, tenants: record.tenants,
            expiresAt: now().addingTimeInterval(Self.sessionLifetime))
        try await store.appendAudit(AuditEvent(actor: name.rawValue, action: "signin", subject: credential.id), at: now())
        return (secret, credential, record)
    }

    /// Where a browser sign-in stands: done, or waiting for the second factor and/or a new password.
    public enum SignInProgress: Sendable {
        case signedIn(secret: String, record: CredentialRecord, operator: OperatorRecord)
        /// `secret` names the half-done sign-in for five minutes; it opens nothing by itself.
        case pending(secret: String, needsCode: Bool, needsNewPassword: Bool)
    }

    static let pendingLifetime: TimeInterval = 5 * 60

    /// The console's first step: the password alone. What is still needed comes back as `.pending`,
    /// so the second factor is asked on a page of its own and the password is never sent twice.
    public func beginSignIn(name: OperatorName, password: String) async throws -> SignInProgress {
        let record = try await checkPassword(name: name, password: password)
        let needsCode = Self.needsSecondFactor(record.roles)
        guard needsCode || record.mustChangePassword else {
            let (secret, credential, record) = try await signIn(name: name, password: password, totp: nil, newPassword: nil)
            return .signedIn(secret: secret, record: credential, operator: record)
        }
        let (secret, _) = try await issue(
            kind: .signInPending, name: "sign-in", operator: record, roles: [], tenants: [],
            expiresAt: now().addingTimeInterval(Self.pendingLifetime))
        return .pending(secret: secret, needsCode: needsCode, needsNewPassword: record.mustChangePassword)
    }

    /// The console's second step: the code and/or new password for a sign-in `beginSignIn` left pending.
    public func continueSignIn(pending secret: String, totp: String?, newPassword: String?) async throws -> SignInProgress {
        guard var pending = try await store.credential(secretHash: Self.hash(secret)), pending.kind == .signInPending,
            !pending.revoked, pending.expiresAt > now(),
            var record = try await store.operatorRecord(named: pending.operator_), !record.disabled
        else {
            throw Refusal(
                problem: APIProblem(status: 401, title: "Sign-in expired", detail: "This sign-in took too long; start again."))
        }
        let name = record.name
        if isLocked(name.rawValue) {
            throw Refusal(
                problem: APIProblem(
                    status: 429, title: "Too many failed sign-ins",
                    detail: "Too many failed sign-ins for \(name); wait fifteen minutes, or ask an admin."))
        }
        if Self.needsSecondFactor(record.roles) {
            guard let totpSecret = record.totpSecret, let totp, Self.totpMatches(totp, secret: totpSecret, at: now()) else {
                try await fail(name, reason: "wrong or missing TOTP code")
                throw Refusal(
                    problem: APIProblem(
                        status: 401, title: "Wrong code",
                        detail: "That code is not the current one; type the six digits your authenticator app shows now.",
                        type: "urn:turnover:totp-required"))
            }
        }
        if record.mustChangePassword {
            guard let newPassword, !newPassword.isEmpty else {
                throw Refusal(problem: .badRequest("Choose a new password of at least 12 characters."))
            }
            guard newPassword.count >= 12, !Bcrypt.verify(newPassword, hash: record.passwordHash) else {
                throw Refusal(problem: .badRequest("A new password has at least 12 characters and is not the old one."))
            }
            record.passwordHash = Bcrypt.hash(newPassword, cost: bcryptCost)
            record.mustChangePassword = false
            try await store.saveOperator(record)
        }
        pending.revoked = true
        try await store.updateCredential(pending)
        failures.withLock { $0[name.rawValue] = nil }
        let (session, credential) = try await issue(
            kind: .session, name: "browser session", operator: record, roles: record.roles, tenants: record.tenants,
            expiresAt: now().addingTimeInterval(Self.sessionLifetime))
        try await store.appendAudit(AuditEvent(actor: name.rawValue, action: "signin", subject: credential.id), at: now())
        return .signedIn(secret: session, record: credential, operator: record)
    }

    /// The operator whose password this is; a wrong one counts towards the lock.
    private func checkPassword(name: OperatorName, password: String) async throws -> OperatorRecord {
        if isLocked(name.rawValue) {
            throw Refusal(
                problem: APIProblem(
                    status: 429, title: "Too many failed sign-ins",
                    detail: "Too many failed sign-ins for \(name); wait fifteen minutes, or ask an admin."))
        }
        guard let record = try await store.operatorRecord(named: name), !record.disabled,
            Bcrypt.verify(password, hash: record.passwordHash)
        else {
            try await fail(name, reason: "wrong name or password")
            throw Refusal(problem: APIProblem(status: 401, title: "Not signed in", detail: "The name or password is wrong."))
        }
        return record
    }

    public func changePassword(_ principal: Principal, current: String, new: String) async throws {
        guard var record = try await store.operatorRecord(named: principal.name), Bcrypt.verify(current, hash: record.passwordHash) else {
            throw Refusal(problem: .forbidden("The current password is wrong."))
        }
        try Self.checkStrength(new, old: current)
        record.passwordHash = Bcrypt.hash(new, cost: bcryptCost)
        record.mustChangePassword = false
        try await store.saveOperator(record)
        try await store.appendAudit(AuditEvent(actor: principal.name.rawValue, action: "password.changed"), at: now())
    }

    static func checkStrength(_ password: String, old: String) throws {
        guard password.count >= 12, password != old else {
            throw Refusal(problem: .badRequest("A new password has at least 12 characters and is not the old one."))
        }
    }

    /// The principal a bearer secret stands for, or nil (unknown, revoked, expired, or its operator disabled).
    public func authenticate(bearer secret: String) async throws -> Principal? {
        guard let credential = try await store.credential(secretHash: Self.hash(secret)), !credential.revoked,
            credential.kind != .signInPending, credential.expiresAt > now(),
            let record = try await store.operatorRecord(named: credential.operator_), !record.disabled
        else { return nil }
        // The credential never carries more than its operator holds now.
        let roles = Set(credential.roles).intersection(record.roles)
        var tenants = Set(credential.tenants)
        if !record.tenants.isEmpty { tenants = tenants.isEmpty ? Set(record.tenants) : tenants.intersection(record.tenants) }
        if !record.tenants.isEmpty && tenants.isEmpty { return nil }
        return Principal(name: record.name, roles: roles, tenants: tenants, credentialId: credential.id)
    }

    /// An API token for scripts: at most the caller's roles and tenants.
    public func createToken(
        for principal: Principal, name: String, roles: [Role]?, tenants: [String]?, days: Int
    ) async throws -> (secret: String, record: CredentialRecord) {
        guard let record = try await store.operatorRecord(named: principal.name) else {
            throw Refusal(problem: .forbidden("Unknown operator."))
        }
        let wanted = Set(roles ?? Array(principal.roles))
        guard wanted.isSubset(of: principal.roles) else {
            throw Refusal(
                problem: .forbidden(
                    "A token cannot hold a role its operator does not: \(wanted.subtracting(principal.roles).map(\.rawValue).sorted().joined(separator: ", "))."
                ))
        }
        let scope = Set(tenants ?? Array(principal.tenants))
        if !principal.tenants.isEmpty {
            guard !scope.isEmpty, scope.isSubset(of: principal.tenants) else {
                throw Refusal(problem: .forbidden("A token's tenants must be among its operator's."))
            }
        }
        guard (1...366).contains(days) else { throw Refusal(problem: .badRequest("expiresInDays is 1 to 366.")) }
        let issued: (secret: String, record: CredentialRecord) = try await issue(
            kind: .apiToken, name: name, operator: record, roles: wanted.sorted(), tenants: scope.sorted(),
            expiresAt: now().addingTimeInterval(TimeInterval(days) * 86400))
        try await store.appendAudit(
            AuditEvent(actor: principal.name.rawValue, action: "token.created", subject: issued.record.id, detail: name), at: now())
        return issued
    }

    private func issue(
        kind: CredentialRecord.Kind, name: String, operator record: OperatorRecord, roles: [Role], tenants: [String], expiresAt: Date
    ) async throws -> (String, CredentialRecord) {
        let prefix = kind == .session ? "tos_" : "tot_"
        let secret = prefix + Self.randomText(40)
        let credential = CredentialRecord(
            id: (kind == .session ? "s-" : "t-") + Self.randomText(12).lowercased(), kind: kind, name: name, operator_: record.name,
            roles: roles, tenants: tenants, createdAt: now(), expiresAt: expiresAt)
        try await store.saveCredential(credential, secretHash: Self.hash(secret))
        return (secret, credential)
    }

    public func revoke(_ id: String, by principal: Principal) async throws {
        guard var credential = try await store.credential(id: id),
            credential.operator_ == principal.name || principal.has(.admin)
        else { throw Refusal(problem: .notFound("No token \(id).")) }
        credential.revoked = true
        try await store.updateCredential(credential)
        try await store.appendAudit(
            AuditEvent(actor: principal.name.rawValue, action: credential.kind == .session ? "signout" : "token.revoked", subject: id),
            at: now())
    }

    private func fail(_ name: OperatorName, reason: String) async throws {
        let at = now()
        failures.withLock { all in
            all[name.rawValue, default: []] =
                all[name.rawValue, default: []].filter { at.timeIntervalSince($0) < Self.failureWindow } + [at]
        }
        try await store.appendAudit(AuditEvent(actor: name.rawValue, action: "signin.failed", detail: reason), at: at)
    }

    private func isLocked(_ name: String) -> Bool {
        let at = now()
        return failures.withLock { all in
            (all[name] ?? []).filter { at.timeIntervalSince($0) < Self.failureWindow }.count >= Self.failureLimit
        }
    }

    static func totpMatches(_ code: String, secret: String, at date: Date) -> Bool {
        guard let number = Int(code.trimmingCharacters(in: .whitespaces)) else { return false }
        let totp = TOTP(secret: secret)
        // One step either side: the clocks of a phone and a server are rarely in step.
        return [-30.0, 0, 30].contains { totp.compute(date: date.addingTimeInterval($0)) == number }
    }

    static func hash(_ secret: String) -> String {
        SHA256.hash(data: Data(secret.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    static func randomText(_ count: Int) -> String {
        let alphabet = Array("ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789")
        var generator = SystemRandomNumberGenerator()
        return String((0..<count).map { _ in alphabet[Int(generator.next(upperBound: UInt(alphabet.count)))] })
    }
}
