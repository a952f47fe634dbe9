import Foundation

/// Removes the mailbox's ActiveSync partnerships, so phones stop syncing mail the moment access is
/// cut, even where a token would otherwise linger. By policy (`mobileDeviceAction: wipe-account`) it
/// wipes the account from each phone instead (`Clear-MobileDevice -AccountOnly`): the mail, contacts
/// and calendar leave the phone, the owner's own data stays.
public enum RemoveMobileDevices: StepDefinition {
    public struct Parameters: Codable, Sendable, Equatable {
        public var mailbox: String
        public var devices: [MobileDeviceInfo]
        /// Account-only wipe instead of removing the partnership (nil in runs planned before it existed).
        public var wipeAccount: Bool?
    }
    public struct BeforeState: Codable, Sendable, Equatable { public var devices: [MobileDeviceInfo] }

    public static let kind: StepKind = "remove-mobile-devices"
    public static let policyName = "remove-mobile-devices"
    public static let policyAliases = ["remove-eas-devices"]
    public static let phase = Phase.containment
    public static let reversal = Reversal.irreversible(
        "an ActiveSync partnership or an account wipe cannot be taken back: the phone sets the account up again")
    public static let permissions = PermissionRequirement.exchange
    public static let catalog = StepCatalogEntry(
        title: "Remove the mobile device partnerships", reads: "Get-MobileDevice -Mailbox (and Get-MobileDeviceStatistics for a wipe)",
        changes: "Remove-MobileDevice for each, or Clear-MobileDevice -AccountOnly by policy",
        verifies: "Get-MobileDevice lists none of them, or each reports an account-only wipe",
        undo: "none: the phone adds the account again")

    public static func plan(_ planning: inout PlanningContext) {
        guard planning.isEnabled(Self.self), let mailbox = planning.mailbox, !mailbox.mobileDevices.isEmpty else { return }
        let wipe = planning.policy.mobileDeviceAction == .wipeAccount
        let names = mailbox.mobileDevices.map(\.name).joined(separator: ", ")
        planning.add(
            step(
                title: wipe
                    ? "Wipe the account from \(mailbox.mobileDevices.count) phone(s) (account only): \(names)"
                    : "Remove \(mailbox.mobileDevices.count) mobile device partnership(s): \(names)",
                parameters: Parameters(mailbox: mailbox.primarySmtpAddress, devices: mailbox.mobileDevices, wipeAccount: wipe),
                disposition: wipe && mailbox.mobileDevices.allSatisfy { $0.accountWiped == true }
                    ? .alreadyDone("each phone reports an account-only wipe") : .run))
    }

    public static func isSatisfied(_ parameters: Parameters, in context: StepContext) async throws -> String? {
        if parameters.wipeAccount == true {
            let wiping = Set(try await context.tenant.accountWipedMobileDevices(context.userPrincipalName))
            return parameters.devices.allSatisfy { wiping.contains($0.identity) } ? "each phone reports an account-only wipe" : nil
        }
        let live = Set(try await context.tenant.mobileDeviceIdentities(context.userPrincipalName))
        return parameters.devices.contains { live.contains($0.identity) } ? nil : "no partnership remains"
    }

    public static func apply(_ parameters: Parameters, in context: StepContext) async throws -> StepOutcome {
        let tenant = context.tenant
        let wipe = parameters.wipeAccount == true
        try await withThrowingTaskGroup(of: Void.self) { group in
            for device in parameters.devices {
                group.addTask {
                    if wipe {
                        try await tenant.wipeMobileDeviceAccount(device.identity)
                    } else {
                        _ = try await tenant.removeMobileDevice(device.identity)
                    }
                }
            }
            try await group.waitForAll()
        }
        return StepOutcome(
            before: parameters.devices.map(\.name).joined(separator: ", "), after: wipe ? "account wiped from each" : "no partnerships",
            beforeState: recording(BeforeState(devices: parameters.devices)))
    }
}
