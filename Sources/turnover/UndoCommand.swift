import ArgumentParser
import Foundation
import NIOHTTP1
import TurnoverCore
import TurnoverEngine
import TurnoverStore

struct UndoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "undo",
        abstract: "Take back a finished run's reversible changes from its recorded before-state, as a durable run of its own.",
        discussion: """
            Shows the reversal like any plan, with what cannot come back (a password, MFA registrations, revoked sessions), \
            asks for confirmation, then runs it. Each step checks live state first, so what was already restored by hand \
            is skipped. Exit status: 0 completed, 1 not confirmed, 2 partially completed or failed, 3 refused.
            """)
    @OptionGroup var data: DataOptions
    @Argument(help: "The run to undo (see `turnover runs`).") var id: String
    @Option(
        name: .customLong("steps"), parsing: .upToNextOption,
        help: "Only these steps: step ids, kinds or policy step names (comma- or space-separated).")
    var steps: [String] = []
    @Flag(help: "Do not ask for confirmation.") var yes = false
    @Flag(help: "Only show the reversal plan; change nothing.") var dryRun = false
    @Option(help: "Report format printed at the end: md or json.") var format = "md"
    @OptionGroup var remote: RemoteOptions

    func run() async throws {
        if let url = remote.url {
            // Through the server an undo is an offboarding of its own, approved like any other.
            guard !dryRun else { throw CLIError("--dry-run works on a local store; through a server, submit and read the plan it shows.") }
            let service = try RemoteService(url)
            var body: [String: Any] = [:]
            if !steps.isEmpty { body["steps"] = steps.flatMap { $0.split(separator: ",").map(String.init) } }
            let undo = try await service.object(.POST, "/offboardings/\(RemoteService.escaped(id))/undo", body)
            output("Undo of \(id) submitted as \(undo["id"] ?? "?") (\(undo["status"] ?? "?")); an approver other than you approves it.")
            return
        }
        try await data.withWorkspace { workspace in
            let runId = RunID(id), yes = self.yes, dryRun = self.dryRun, format = self.format
            let only = steps.flatMap { $0.split(separator: ",").map(String.init) }
            guard let original = try await workspace.store.run(runId) else { throw CLIError("No run \(runId) (see `turnover runs`).") }
            guard original.tenant != "sandbox" else {
                throw CLIError(
                    "\(runId) ran on the sandbox, whose simulator ended with its process: there is nothing left to undo. Register a tenant with `turnover tenant add` to keep its state."
                )
            }
            let operatorName = ProcessInfo.processInfo.environment["USER"]
            let finished = try await withTenantClient(workspace: workspace, tenantName: original.tenant, sandbox: false) { client, _ in
                var service = OffboardingService(store: workspace.store, client: client, tenantName: original.tenant)
                service.leaseOwner = cliLeaseOwner
                if let tenant = try await workspace.store.tenant(named: original.tenant),
                    try workspace.policy(for: tenant).approval.required
                {
                    note(
                        "Refused: the policy of \(original.tenant) requires four-eyes approval; submit the undo through `turnover serve` (POST /api/v1/offboardings/{id}/undo). Nothing was changed."
                    )
                    throw ExitCode(3)
                }
                let proposal: OffboardingService.Proposal
                do { proposal = try await service.planUndo(runId, only: only.isEmpty ? nil : only) } catch let refusal
                    as OffboardingService.Refusal
                {
                    note(refusal.description)
                    throw ExitCode(3)
                }
                note(Report.planText(proposal.plan))
                if dryRun { return RunRecord?.none }
                guard !proposal.plan.steps.isEmpty else {
                    note("\nNothing to undo; nothing was changed.")
                    return RunRecord?.none
                }
                if !yes { try confirmOrStop("Undo \(proposal.plan.steps.count) steps of \(runId) on \(original.tenant)?") }
                let record = try await service.record(proposal, operator: operatorName)
                note("\nUndo run \(record.id) started.")
                return try await service.execute(record.id, onEvent: Progress.display())
            }
            guard let finished else { return }
            output(format == "json" ? String(decoding: try Report.json(finished), as: UTF8.self) : Report.markdown(finished))
            throw ExitCode(finished.status.exitCode)
        }
    }
}
