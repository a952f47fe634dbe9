import Foundation
import M365Simulator

/// A tenant's raw state as the simulator holds it, read through helpers that speak in UPNs and
/// display names so assertions read like an administrator's checks.
struct SimulatorState {
    let raw: [String: Any]

    init(_ simulator: Simulator, tenant: String = "Contoso") throws {
        guard let data = simulator.rawState(tenant: tenant),
            let object = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { throw CLI.Failed(message: "no state for \(tenant)") }
        raw = object
    }

    var users: [String: [String: Any]] { raw["users"] as? [String: [String: Any]] ?? [:] }
    var groups: [String: [String: Any]] { raw["groups"] as? [String: [String: Any]] ?? [:] }
    var mailboxes: [String: [String: Any]] { raw["mailboxes"] as? [String: [String: Any]] ?? [:] }
    var skus: [[String: Any]] { raw["skus"] as? [[String: Any]] ?? [] }

    func userId(_ upn: String) -> String {
        users.first { ($0.value["userPrincipalName"] as? String)?.lowercased() == upn.lowercased() }?.key ?? "missing:\(upn)"
    }

    func upn(ofId id: String) -> String { users[id]?["userPrincipalName"] as? String ?? id }

    func user(_ upn: String) -> [String: Any] { users[userId(upn)] ?? [:] }

    func mailbox(_ upn: String) -> [String: Any]? { mailboxes[userId(upn)] }

    func accountEnabled(_ upn: String) -> Bool? { user(upn)["accountEnabled"] as? Bool }

    /// Part numbers of the licences assigned directly.
    func directLicences(_ upn: String) -> Set<String> {
        let ids = (user(upn)["directLicenses"] as? [[String: Any]] ?? []).compactMap { $0["skuId"] as? String }
        return Set(ids.map { id in skus.first { $0["skuId"] as? String == id }?["skuPartNumber"] as? String ?? id })
    }

    func groupsWithMember(_ upn: String) -> Set<String> {
        let id = userId(upn)
        return Set(groups.values.filter { ($0["members"] as? [String] ?? []).contains(id) }.compactMap { $0["displayName"] as? String })
    }

    func groupsOwnedBy(_ upn: String) -> Set<String> {
        let id = userId(upn)
        return Set(groups.values.filter { ($0["owners"] as? [String] ?? []).contains(id) }.compactMap { $0["displayName"] as? String })
    }

    /// The type `Get-Mailbox` reports once any pending conversion has completed.
    func mailboxType(_ upn: String) -> String? {
        guard let mailbox = mailbox(upn) else { return nil }
        return (mailbox["pendingConversion"] as? [String: Any])?["to"] as? String ?? mailbox["type"] as? String
    }

    func fullAccess(_ upn: String) -> Set<String> {
        Set((mailbox(upn)?["fullAccess"] as? [[String: Any]] ?? []).compactMap { $0["trusteeId"] as? String }.map(upn(ofId:)))
    }

    func authenticationMethodKinds(_ upn: String) -> [String] {
        (user(upn)["authenticationMethods"] as? [[String: Any]] ?? []).compactMap { $0["kind"] as? String }.sorted()
    }

    /// Sessions issued after the user's `signInSessionsValidFromDateTime`: the ones still usable.
    func liveSessions(_ upn: String) -> Int {
        let user = user(upn)
        let validFrom = (user["signInSessionsValidFromDateTime"] as? String).flatMap { try? Date($0, strategy: .iso8601) } ?? .distantPast
        return (user["sessions"] as? [[String: Any]] ?? []).filter { session in
            guard let issued = (session["issuedAt"] as? String).flatMap({ try? Date($0, strategy: .iso8601) }) else { return false }
            return issued >= validFrom
        }.count
    }

    /// Mailboxes Exchange would delete or that are out of licence terms: must always be empty.
    var mailboxesAtRisk: [String] {
        mailboxes.compactMap { id, mailbox in
            if let risk = mailbox["dataAtRisk"] as? [String: Any] { return "\(upn(ofId: id)): \(risk["reason"] ?? "")" }
            if let risk = mailbox["licenceRequiredSince"] as? [String: Any] { return "\(upn(ofId: id)): \(risk["reason"] ?? "")" }
            return nil
        }
    }

    /// Everything an offboarding may change, without timestamps or generated values, one line per
    /// fact: two runs that leave the tenant the same have equal projections.
    var projection: [String] {
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
