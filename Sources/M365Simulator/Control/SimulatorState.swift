public import Foundation

/// A tenant's raw state as the simulator holds it (in process, or from `GET /_sim/tenants/{id}/state`),
/// read through helpers that speak in UPNs and display names so a test's assertions read like an
/// administrator's checks.
public struct SimulatorState: @unchecked Sendable {
    public let raw: [String: Any]

    public struct Missing: Error, CustomStringConvertible {
        public var description: String
    }

    public init(_ simulator: Simulator, tenant: String = "Contoso") throws {
        guard let data = simulator.rawState(tenant: tenant) else { throw Missing(description: "no state for \(tenant)") }
        try self.init(data: data)
    }

    public init(data: Data) throws {
        guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw Missing(description: "the state is not a JSON object")
        }
        raw = object
    }

    public var users: [String: [String: Any]] { raw["users"] as? [String: [String: Any]] ?? [:] }
    public var groups: [String: [String: Any]] { raw["groups"] as? [String: [String: Any]] ?? [:] }
    public var mailboxes: [String: [String: Any]] { raw["mailboxes"] as? [String: [String: Any]] ?? [:] }
    public var skus: [[String: Any]] { raw["skus"] as? [[String: Any]] ?? [] }

    public func userId(_ upn: String) -> String {
        users.first { ($0.value["userPrincipalName"] as? String)?.lowercased() == upn.lowercased() }?.key ?? "missing:\(upn)"
    }

    public func upn(ofId id: String) -> String { users[id]?["userPrincipalName"] as? String ?? id }

    public func user(_ upn: String) -> [String: Any] { users[userId(upn)] ?? [:] }

    public func mailbox(_ upn: String) -> [String: Any]? { mailboxes[userId(upn)] }

    public func accountEnabled(_ upn: String) -> Bool? { user(upn)["accountEnabled"] as? Bool }

    /// Part numbers of the licences assigned directly.
    public func directLicences(_ upn: String) -> Set<String> {
        let ids = (user(upn)["directLicenses"] as? [[String: Any]] ?? []).compactMap { $0["skuId"] as? String }
        return Set(ids.map { id in skus.first { $0["skuId"] as? String == id }?["skuPartNumber"] as? String ?? id })
    }

    public func groupsWithMember(_ upn: String) -> Set<String> {
        let id = userId(upn)
        return Set(groups.values.filter { ($0["members"] as? [String] ?? []).contains(id) }.compactMap { $0["displayName"] as? String })
    }

    public func groupsOwnedBy(_ upn: String) -> Set<String> {
        let id = userId(upn)
        return Set(groups.values.filter { ($0["owners"] as? [String] ?? []).contains(id) }.compactMap { $0["displayName"] as? String })
    }

    /// The type `Get-Mailbox` reports once any pending conversion has completed.
    public func mailboxType(_ upn: String) -> String? {
        guard let mailbox = mailbox(upn) else { return nil }
        return (mailbox["pendingConversion"] as? [String: Any])?["to"] as? String ?? mailbox["type"] as? String
    }

    public func fullAccess(_ upn: String) -> Set<String> {
        Set((mailbox(upn)?["fullAccess"] as? [[String: Any]] ?? []).compactMap { $0["trusteeId"] as? String }.map(upn(ofId:)))
    }

    /// Each Full Access holder with whether Outlook maps the mailbox for them: "x@y automapping on".
    public func fullAccessGrants(_ upn: String) -> [String] {
        (mailbox(upn)?["fullAccess"] as? [[String: Any]] ?? []).compactMap { grant in
            guard let id = grant["trusteeId"] as? String else { return nil }
            return "\(self.upn(ofId: id)) automapping \((grant["autoMapping"] as? Bool ?? true) ? "on" : "off")"
        }.sorted()
    }

    public func authenticationMethodKinds(_ upn: String) -> [String] {
        (user(upn)["authenticationMethods"] as? [[String: Any]] ?? []).compactMap { $0["kind"] as? String }.sorted()
    }

    /// Sessions issued after the user's `signInSessionsValidFromDateTime`: the ones still usable.
    public func liveSessions(_ upn: String) -> Int {
        let user = user(upn)
        let validFrom = (user["signInSessionsValidFromDateTime"] as? String).flatMap { try? Date($0, strategy: .iso8601) } ?? .distantPast
        return (user["sessions"] as? [[String: Any]] ?? []).filter { session in
            guard let issued = (session["issuedAt"] as? String).flatMap({ try? Date($0, strategy: .iso8601) }) else { return false }
            return issued >= validFrom
        }.count
    }

    /// Mailboxes Exchange would delete or that are out of licence terms: must always be empty.
    public var mailboxesAtRisk: [String] {
        mailboxes.compactMap { id, mailbox in
            if let risk = mailbox["dataAtRisk"] as? [String: Any] { return "\(upn(ofId: id)): \(risk["reason"] ?? "")" }
            if let risk = mailbox["licenceRequiredSince"] as? [String: Any] { return "\(upn(ofId: id)): \(risk["reason"] ?? "")" }
            return nil
        }
    }

    /// Everything an offboarding may change, without timestamps or generated values, one line per
    /// fact: two runs that leave the tenant the same have equal projections.
    public var projection: [String] {
        var lines: [String] = []
        for (id, user) in users {
            let upn = upn(ofId: id)
            lines.append("user \(upn) enabled=\(user["accountEnabled"] ?? "")")
            lines.append("user \(upn) licences=\(directLicences(upn).sorted())")
            lines.append("user \(upn) methods=\(authenticationMethodKinds(upn))")
            lines.append("user \(upn) liveSessions=\(liveSessions(upn))")
        }
        for group in groups.values {
            let name = group["displayName"] as? String ?? "?"
            lines.append("group \(name) members=\((group["members"] as? [String] ?? []).map(upn(ofId:)).sorted())")
            lines.append("group \(name) owners=\((group["owners"] as? [String] ?? []).map(upn(ofId:)).sorted())")
        }
        for (id, mailbox) in mailboxes {
            let upn = upn(ofId: id)
            let reply = mailbox["autoReply"] as? [String: Any] ?? [:]
            lines.append("mailbox \(upn) type=\(mailboxType(upn) ?? "")")
            lines.append("mailbox \(upn) fullAccess=\(fullAccess(upn).sorted())")
            lines.append(
                "mailbox \(upn) forwarding=\(mailbox["forwardingAddress"].map { self.upn(ofId: "\($0)") } ?? "-") smtp=\(mailbox["forwardingSmtpAddress"] ?? "-") keepCopy=\(mailbox["deliverToMailboxAndForward"] ?? "")"
            )
            lines.append("mailbox \(upn) hidden=\(mailbox["hiddenFromAddressListsEnabled"] ?? "")")
            lines.append("mailbox \(upn) autoReply=\(reply["state"] ?? "") \(reply["internalMessage"] ?? "")")
            lines.append("mailbox \(upn) atRisk=\(mailbox["dataAtRisk"] != nil) licenceRequired=\(mailbox["licenceRequiredSince"] != nil)")
        }
        return lines.sorted()
    }
}
