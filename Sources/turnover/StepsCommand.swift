import ArgumentParser
import TurnoverCore

/// The step catalog: what each step reads, changes, how it verifies, the permissions it needs and
/// how it could be undone — what a technician or an auditor asks before trusting a tool.
struct StepsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "steps", abstract: "List the steps Turnover can take: reads, changes, verification, permissions, undo.")
    @Flag(help: "Print the catalog as JSON.") var json = false

    struct Entry: Encodable {
        var kind: String
        var policyName: String
        var phase: Phase
        var catalog: StepCatalogEntry
        var permissions: PermissionRequirement
        var permissionsText: String
        var cutsAccess: Bool
        /// Whether `turnover undo` takes this step back.
        var reversible: Bool
        var cannotUndoBecause: String?
    }

    func run() throws {
        let entries = StepRegistry.all.map { definition in
            Entry(
                kind: definition.kind.rawValue, policyName: definition.policyName, phase: definition.phase, catalog: definition.catalog,
                permissions: definition.permissions, permissionsText: definition.permissions.description,
                cutsAccess: definition.cutsAccess, reversible: definition.reversal == .reversible,
                cannotUndoBecause: {
                    if case .irreversible(let reason) = definition.reversal { return reason }
                    return nil
                }())
        }
        if json {
            output(try JSONText.encode(entries))
            return
        }
        for entry in entries {
            output("\(entry.kind) (\(entry.phase.rawValue); policy step \(entry.policyName))")
            output("  \(entry.catalog.title)")
            output("  reads:       \(entry.catalog.reads)")
            output("  changes:     \(entry.catalog.changes)")
            output("  verifies:    \(entry.catalog.verifies)")
            output("  permissions: \(entry.permissionsText)")
            output("  undo:        " + (entry.reversible ? entry.catalog.undo : "none: \(entry.cannotUndoBecause ?? "")"))
        }
    }
}
