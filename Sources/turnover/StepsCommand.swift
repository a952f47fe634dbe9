import ArgumentParser
import TurnoverCore

/// The step catalog: what each step reads, changes, how it verifies, the permissions it needs and
/// how it could be undone — what a technician or an auditor asks before trusting a tool.
struct StepsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "steps", abstract: "List the steps Turnover can take: reads, changes, verification, permissions, undo.")

    func run() throws {
        for kind in StepKind.allCases {
            let spec = kind.spec
            output("\(kind.rawValue) (\(kind.phase.rawValue))")
            output("  reads:       \(spec.reads)")
            output("  changes:     \(spec.changes)")
            output("  verifies:    \(spec.verifies)")
            output("  permissions: \(spec.permissions.isEmpty ? "none" : "one of " + spec.permissions.joined(separator: ", "))")
            output("  undo:        \(spec.undo)")
        }
    }
}
