import Foundation

/// Removes the mailbox's ActiveSync partnerships, so phones stop syncing mail the moment access is
/// cut, even where a token would otherwise linger.
public enum RemoveMobileDevices: StepDefinition {
    public struct Parameters: Codable, Sendable, Equatable {
        public var mailbox: String
        public var devices: [MobileDeviceInfo]
    }
    public struct BeforeState: Codable, Sendable, Equatable { public var devices: [MobileDeviceInfo] }

    public static let kind: StepKind = "remove-mobile-devices"
    public static let policyName = "remove-mobile-devices"
    public static let policyAliases = ["remove-eas-devices"]
    public static let phase = Phase.containment
    public static let reversal = Reversal.irreversible(
        "an ActiveSync partnership cannot be recreated: the phone sets the account up again")
    public static let permissions = PermissionRequirement.exchange
    public static let catalog = StepCatalogEntry(
        title: "Remove the mobile device partnerships", reads: "Get-MobileDevice -Mailbox", changes: "Remove-MobileDevice for each",
        verifies: "Get-MobileDevice lists none of them", undo: "none: the phone adds the account again")

    public static func plan(_ planning: inout PlanningContext) {
        guard planning.isEnabled(Self.self), let mailbox = planning.mailbox, !mailbox.mobileDevices.isEmpty else { return }
        planning.add(
            step(
                title:
                    "Remove \(mailbox.mobileDevices.count) mobile device partnership(s): \(mailbox.mobileDevices.map(\.name).joined(separator: ", "))",
                parameters: Parameters(mailbox: mailbox.primarySmtpAddress, devices: mailbox.mobileDevices)))
    }

    public static func isSatisfied(_ parameters: Parameters, in context: StepContext) async throws -> String? {
        let live = Set(try await context.tenant.mobileDeviceIdentities(context.userPrincipalName))
        return parameters.devices.contains { live.contains($0.identity) } ? nil : "no partnership remains"
    }

    public static func apply(_ parameters: Parameters, in context: StepContext) async throws -> StepOutcome {
        let tenant = context.tenant
        try await withThrowingTaskGroup(of: Void.self) { group in
            for device in parameters.devices { group.addTask { _ = try await tenant.removeMobileDevice(device.identity) } }
            try await group.waitForAll()
        }
        return StepOutcome(
            before: parameters.devices.map(\.name).joined(separator: ", "), after: "no partnerships",
            beforeState: recording(BeforeState(devices: parameters.devices)))
    }
}
