import Foundation

/// Wipes a company-owned Intune device back to factory settings: only as an explicit policy choice
/// (`wipe-devices`), flagged in the plan, and `offboard` refuses to run it without `--confirm-wipe`.
/// A personal device is never wiped; it is retired instead (its owner's data stays).
public enum WipeManagedDevice: StepDefinition {
    public struct Parameters: Codable, Sendable, Equatable { public var device: DeviceInfo }
    public struct BeforeState: Codable, Sendable, Equatable { public var managementState: String }

    public static let kind: StepKind = "wipe-managed-device"
    public static let policyName = "wipe-devices"
    public static let phase = Phase.containment
    public static let isOnByDefault = false
    public static let isDestructive = true
    public static let reversal = Reversal.irreversible("a wiped device's data is gone; the device is set up again")
    public static let permissions = RetireManagedDevice.permissions
    public static let catalog = StepCatalogEntry(
        title: "Wipe a company-owned Intune device", reads: "GET /users/{id}/managedDevices (ownership, managementState)",
        changes: "POST /deviceManagement/managedDevices/{id}/wipe", verifies: "managementState is wipePending",
        undo: "none: the data is gone")

    static let wiped: Set<String> = ["wipePending", "wipeIssued"]

    public static func plan(_ planning: inout PlanningContext) {
        guard planning.isEnabled(Self.self) else { return }
        let company = planning.snapshot.devices.filter { $0.ownership != "personal" }
        for device in company {
            planning.add(
                step(
                    target: device.id, title: "Wipe \(device.name) (factory reset)", parameters: Parameters(device: device),
                    disposition: wiped.contains(device.managementState ?? "")
                        ? .alreadyDone("Intune reports \(device.managementState ?? "")") : .run))
        }
        if !company.isEmpty {
            planning.warn(
                Finding(
                    "destructive-wipe", "\(company.count) company-owned device(s) will be wiped to factory settings.",
                    resolution: "Run offboard with --confirm-wipe, or drop wipe-devices to retire them instead."))
        }
    }

    public static func isSatisfied(_ parameters: Parameters, in context: StepContext) async throws -> String? {
        let state = try await context.tenant.managedDeviceState(parameters.device.id) ?? ""
        return wiped.contains(state) ? "Intune reports \(state)" : nil
    }

    public static func apply(_ parameters: Parameters, in context: StepContext) async throws -> StepOutcome {
        try await context.tenant.wipeManagedDevice(parameters.device.id)
        return StepOutcome(before: "managed", after: "wipe requested", beforeState: recording(BeforeState(managementState: "managed")))
    }
}
