import Foundation

/// Disables each Entra-registered or joined device of the leaver, so it can no longer obtain tokens
/// through the device's own identity (Windows Hello, primary refresh tokens).
public enum DisableDevice: StepDefinition {
    public struct Parameters: Codable, Sendable, Equatable {
        public var deviceId: String
        public var name: String
    }
    public struct BeforeState: Codable, Sendable, Equatable { public var enabled: Bool }

    public static let kind: StepKind = "disable-device"
    public static let policyName = "disable-devices"
    public static let phase = Phase.containment
    public static let reversal = Reversal.reversible
    public static let permissions = PermissionRequirement.anyOf("Device.ReadWrite.All", "Directory.ReadWrite.All")
    public static let catalog = StepCatalogEntry(
        title: "Disable a registered device", reads: "GET /users/{id}/registeredDevices",
        changes: "PATCH /devices/{id} accountEnabled=false",
        verifies: "the device reads back disabled", undo: "PATCH accountEnabled=true")

    public static func plan(_ planning: inout PlanningContext) {
        guard planning.isEnabled(Self.self) else { return }
        for device in planning.snapshot.registeredDevices {
            planning.add(
                step(
                    target: device.id, title: "Disable the device \(device.name)",
                    parameters: Parameters(deviceId: device.id, name: device.name),
                    disposition: device.enabled ? .run : .alreadyDone("the device is already disabled")))
        }
    }

    public static func isSatisfied(_ parameters: Parameters, in context: StepContext) async throws -> String? {
        try await context.tenant.deviceEnabled(parameters.deviceId) == false ? "the device is disabled" : nil
    }

    public static func apply(_ parameters: Parameters, in context: StepContext) async throws -> StepOutcome {
        try await context.tenant.setDeviceEnabled(parameters.deviceId, false)
        return StepOutcome(before: "enabled", after: "disabled", beforeState: recording(BeforeState(enabled: true)))
    }

    public static func isUndone(_ parameters: Parameters, before: BeforeState, in context: StepContext) async throws -> String? {
        try await context.tenant.deviceEnabled(parameters.deviceId) == before.enabled ? "the device is enabled again" : nil
    }

    public static func undo(_ parameters: Parameters, before: BeforeState, in context: StepContext) async throws -> StepOutcome {
        try await context.tenant.setDeviceEnabled(parameters.deviceId, before.enabled)
        return StepOutcome(before: "disabled", after: "enabled")
    }
}
