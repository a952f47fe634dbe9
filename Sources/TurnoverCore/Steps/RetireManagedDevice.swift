import Foundation

/// Retires each Intune-managed device: company data, apps and management leave it, personal data
/// stays, which is right for a personal phone as for a laptop that will be reissued. A full wipe is
/// never implied.
public enum RetireManagedDevice: StepDefinition {
    public struct Parameters: Codable, Sendable, Equatable { public var device: DeviceInfo }
    public struct BeforeState: Codable, Sendable, Equatable { public var managementState: String }

    public static let kind: StepKind = "retire-managed-device"
    public static let policyName = "retire-devices"
    public static let policyAliases = ["retire-managed-devices", "intune-retire"]
    public static let phase = Phase.containment
    public static let reversal = Reversal.irreversible(
        "a retired device is enrolled again by its user; its company data does not come back")
    /// Privileged operations to retire; a read permission to verify the state Intune reports.
    public static let permissions = PermissionRequirement.allOf([
        .permission("DeviceManagementManagedDevices.PrivilegedOperations.All"),
        .anyOf("DeviceManagementManagedDevices.Read.All", "DeviceManagementManagedDevices.ReadWrite.All"),
    ])
    public static let catalog = StepCatalogEntry(
        title: "Retire an Intune device", reads: "GET /users/{id}/managedDevices",
        changes: "POST /deviceManagement/managedDevices/{id}/retire", verifies: "managementState is retirePending",
        undo: "none: the user enrols the device again")

    /// States in which the device no longer holds company data, or soon will not.
    static let retired: Set<String> = ["retirePending", "retireIssued", "wipePending", "wipeIssued"]

    public static func plan(_ planning: inout PlanningContext) {
        let devices = planning.snapshot.devices
        guard !devices.isEmpty else { return }
        guard planning.isEnabled(Self.self) else {
            planning.warn(Finding("devices", "\(devices.count) Intune device(s) are not retired: the policy does not retire devices."))
            return
        }
        // A company-owned device that the policy wipes is not retired as well.
        let wiping = planning.isEnabled(WipeManagedDevice.self)
        for device in devices where !(wiping && device.ownership != "personal") {
            planning.add(
                step(
                    target: device.id,
                    title: "Retire \(device.name)" + (device.ownership == "personal" ? " (personal: company data only)" : ""),
                    parameters: Parameters(device: device),
                    disposition: retired.contains(device.managementState ?? "")
                        ? .alreadyDone("Intune reports \(device.managementState ?? "")") : .run))
        }
    }

    public static func isSatisfied(_ parameters: Parameters, in context: StepContext) async throws -> String? {
        let state = try await context.tenant.managedDeviceState(parameters.device.id) ?? ""
        return retired.contains(state) ? "Intune reports \(state)" : nil
    }

    public static func apply(_ parameters: Parameters, in context: StepContext) async throws -> StepOutcome {
        try await context.tenant.retireManagedDevice(parameters.device.id)
        return StepOutcome(before: "managed", after: "retire requested", beforeState: recording(BeforeState(managementState: "managed")))
    }
}
