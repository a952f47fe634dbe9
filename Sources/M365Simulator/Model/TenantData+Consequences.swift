import Foundation

/// Microsoft's side effects, so that a client's mistakes show in the tenant's state.
extension TenantData {
    /// Entra Connect: synced attributes written in the cloud are put back from on-premises.
    mutating func runDirectorySyncIfDue(now: Date, interval: Duration) throws {
        guard interval > .zero, now.timeIntervalSince(lastDirectorySync) >= interval.seconds else { return }
        runDirectorySync(now: now)
    }

    mutating func runDirectorySync(now: Date) {
        for id in userOrder {
            guard let source = users[id]?.onPremises, users[id]?.isSynced == true else { continue }
            users[id]?.accountEnabled = source.accountEnabled
            users[id]?.displayName = source.displayName
            users[id]?.department = source.department
            users[id]?.jobTitle = source.jobTitle
            users[id]?.onPremisesLastSyncDateTime = now
            if var mailbox = mailboxes[id], let onPremises = mailbox.onPremisesType {
                mailbox.settle(at: now)
                mailbox.type = onPremises
                mailbox.pendingConversion = nil
                mailbox.onPremisesType = nil
                mailboxes[id] = mailbox
                licencesChanged(for: [id], now: now)
            }
        }
        lastDirectorySync = now
    }

    /// A member who leaves a group that assigns licences keeps them for a while: Entra processes
    /// group-based licensing in the background.
    mutating func leaveLicensingGroup(_ groupId: String, member userId: String, now: Date, delay: Duration) {
        guard let group = groups[groupId], !group.assignedLicenses.isEmpty, delay > .zero else { return }
        let until = now.addingTimeInterval(delay.seconds)
        for license in group.assignedLicenses {
            lingeringGroupLicences.append(LingeringGroupLicence(userId: userId, groupId: groupId, license: license, until: until))
        }
    }

    /// Call after anything that can change which licences users hold.
    ///
    /// A user mailbox that loses its last Exchange licence before Exchange reports it as shared is
    /// on the path to deletion: flagged `dataAtRisk`. A shared mailbox that needs a licence
    /// (over 50 GB, on hold, or with an archive) and has none is flagged `licenceRequiredSince`.
    mutating func licencesChanged(for userIds: [String], now: Date) {
        for userId in userIds {
            guard var mailbox = mailboxes[userId] else { continue }
            let licensed = hasExchangeLicense(userId)
            let reported = mailbox.reportedType(at: now)
            if !licensed {
                if reported == .user, mailbox.dataAtRisk == nil {
                    let pending = mailbox.pendingConversion != nil ? " (a conversion to shared was requested but had not completed)" : ""
                    mailbox.dataAtRisk = DataAtRisk(
                        since: now,
                        reason:
                            "The last Exchange Online licence was removed while the mailbox was still a user mailbox\(pending); Exchange deletes it after 30 days."
                    )
                }
                if mailbox.unlicensedSince == nil { mailbox.unlicensedSince = now }
                if reported != .user, mailbox.licenceRequiredSince == nil {
                    var reasons: [String] = []
                    if mailbox.totalItemSizeBytes > Mailbox.sharedMailboxFreeQuotaBytes { reasons.append("it is over 50 GB") }
                    if mailbox.litigationHoldEnabled || !mailbox.inPlaceHolds.isEmpty { reasons.append("it is on hold") }
                    if mailbox.archiveEnabled { reasons.append("it has an archive") }
                    if !reasons.isEmpty {
                        mailbox.licenceRequiredSince = DataAtRisk(
                            since: now,
                            reason: "A shared mailbox needs a licence because \(reasons.joined(separator: " and ")), and it has none.")
                    }
                }
            } else {
                mailbox.unlicensedSince = nil
            }
            mailboxes[userId] = mailbox
        }
    }

    /// Deleting a user soft-deletes the mailbox and the OneDrive with it.
    mutating func deleteUser(_ userId: String, now: Date) {
        guard let user = users[userId] else { return }
        let memberships = groupsWithMember(userId).map(\.id)
        let ownerships = groupsOwnedBy(userId).map(\.id)
        for groupId in memberships { groups[groupId]?.members.removeAll { $0 == userId } }
        for groupId in ownerships { groups[groupId]?.owners.removeAll { $0 == userId } }
        deletedUsers[userId] = DeletedUser(user: user, deletedDateTime: now, memberships: memberships, ownerships: ownerships)
        removeUser(userId)
        if var mailbox = mailboxes[userId], mailbox.dataAtRisk == nil {
            if mailbox.litigationHoldEnabled || !mailbox.inPlaceHolds.isEmpty {
                mailbox.isInactive = true
                mailbox.licenceRequiredSince = nil
            } else {
                mailbox.dataAtRisk = DataAtRisk(
                    since: now, reason: "The owning user was deleted; the mailbox is soft-deleted and purged after 30 days.")
            }
            mailboxes[userId] = mailbox
        }
        roleAssignments.removeAll { $0.principalId == userId }
    }

    /// Restores a deleted user with its group memberships, as Entra does.
    mutating func restoreUser(_ userId: String, now: Date) -> DirectoryUser? {
        guard let deleted = deletedUsers.removeValue(forKey: userId) else { return nil }
        insert(deleted.user)
        for groupId in deleted.memberships where groups[groupId] != nil { groups[groupId]?.members.append(userId) }
        for groupId in deleted.ownerships where groups[groupId] != nil { groups[groupId]?.owners.append(userId) }
        if var mailbox = mailboxes[userId], mailbox.dataAtRisk?.reason.contains("was deleted") == true || mailbox.isInactive {
            mailbox.dataAtRisk = nil
            mailbox.isInactive = false
            mailboxes[userId] = mailbox
        }
        return users[userId]
    }

    /// Deleted users older than 30 days are gone for good.
    mutating func purgeExpiredDeletions(now: Date) {
        for (id, deleted) in deletedUsers where now.timeIntervalSince(deleted.deletedDateTime) >= 30 * 86_400 {
            deletedUsers[id] = nil
            // An inactive mailbox outlives its owner for as long as its hold.
            if mailboxes[id]?.isInactive != true { mailboxes[id] = nil }
            oneDrives[id] = nil
        }
    }
}
