import ArgumentParser
import Foundation
import MicrosoftGraph
import NIOHTTP1
import Synchronization
import TurnoverCore
import TurnoverEngine
import TurnoverStore

struct PlanOptions: ParsableArguments {
    @Option(help: "The tenant's name (see `turnover tenant list`).") var tenant: String?
    @Option(help: "A YAML policy template to use instead of the tenant's.") var template: String?
    @Option(
        name: .customLong("set"),
        help:
            "Override a policy setting, key=value (delegate, forwarding, successor, keepLicences, steps, autoReply.internal, …). Repeatable."
    )
    var overrides: [String] = []
    @Flag(help: "Use the built-in sandbox tenant (Contoso) on an in-process simulator: no Microsoft tenant needed.") var sandbox = false

    func validate() throws {
        if sandbox == (tenant != nil) { throw ValidationError("Give --tenant NAME or --sandbox.") }
    }
}

extension ExitCode {
    /// The exit status of `offboard` for an offboarding's status as the server reports it.
    static func forOffboarding(_ status: String) -> ExitCode {
        switch status {
        case "succeeded": .success
        case "blocked", "rejected", "cancelled", "expired": ExitCode(3)
        default: ExitCode(2)
        }
    }
}

struct PlanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Read the user's live state and show what an offboarding would do, with blockers and warnings. Changes nothing.")
    @OptionGroup var data: DataOptions
    @Argument(help: "The leaver's user principal name.") var upn: String
    @OptionGroup var planOptions: PlanOptions
    @Flag(help: "Print the plan as JSON.") var json = false
    @OptionGroup var remote: RemoteOptions

    func run() async throws {
        if let url = remote.url {
            guard let tenant = planOptions.tenant else { throw CLIError("Give --tenant NAME: the server's tenant.") }
            let plan = try await RemoteService(url).plan(upn, tenant: tenant, overrides: planOptions.overrides)
            output(json ? try JSONText.encode(plan) : Report.planText(plan))
            if plan.isBlocked { throw ExitCode(3) }
            return
        }
        try await data.withWorkspace { workspace in
            let upn = self.upn, json = self.json, planOptions = self.planOptions
            let plan = try await withTenantClient(workspace: workspace, tenantName: planOptions.tenant, sandbox: planOptions.sandbox) {
                client, tenant in
                let policy = try resolvePolicy(
                    workspace: workspace, tenant: tenant, template: planOptions.template, overrides: planOptions.overrides)
                let service = OffboardingService(store: workspace.store, client: client, tenantName: tenant?.name ?? "sandbox")
                return try await service.plan(upn, policy: policy).plan
            }
            if json {
                output(try JSONText.encode(plan))
            } else {
                output(Report.planText(plan))
            }
            if plan.isBlocked { throw ExitCode(3) }
        }
    }
}

struct OffboardCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "offboard", abstract: "Plan, confirm and run an offboarding durably, then print the report.",
        discussion: "Exit status: 0 completed, 2 partially completed or failed (see the report), 3 blocked (nothing changed).")
    @OptionGroup var data: DataOptions
    @Argument(help: "The leaver's user principal name.") var upn: String
    @OptionGroup var planOptions: PlanOptions
    @Flag(help: "Do not ask for confirmation.") var yes = false
    @Flag(help: "Allow the plan to wipe company-owned devices (the policy's wipe-devices step); without it such a plan is refused.")
    var confirmWipe = false
    @Option(help: "Report format printed at the end: md or json.") var format = "md"
    @OptionGroup var remote: RemoteOptions

    func run() async throws {
        if let url = remote.url {
            guard let tenant = planOptions.tenant else { throw CLIError("Give --tenant NAME: the server's tenant.") }
            let service = try RemoteService(url)
            let (status, id) = try await service.offboard(
                upn, tenant: tenant, overrides: planOptions.overrides, confirmWipe: confirmWipe)
            if ["succeeded", "partially-succeeded", "failed"].contains(status) {
                output(
                    String(
                        decoding: try await service.call(
                            .GET, "/offboardings/\(id)/report?format=\(format)",
                            accept: format == "json" ? "application/json" : "text/markdown"), as: UTF8.self))
            }
            throw ExitCode.forOffboarding(status)
        }
        try await data.withWorkspace { workspace in
            let upn = self.upn, yes = self.yes, planOptions = self.planOptions, format = self.format, confirmWipe = self.confirmWipe
            let operatorName = ProcessInfo.processInfo.environment["USER"]
            let run = try await withTenantClient(workspace: workspace, tenantName: planOptions.tenant, sandbox: planOptions.sandbox) {
                client, tenant in
                let policy = try resolvePolicy(
                    workspace: workspace, tenant: tenant, template: planOptions.template, overrides: planOptions.overrides)
                var service = OffboardingService(store: workspace.store, client: client, tenantName: tenant?.name ?? "sandbox")
                service.leaseOwner = cliLeaseOwner
                // The tenant's own policy decides, whatever template or overrides this command was given.
                if try policy.approval.required || (tenant.map { try workspace.policy(for: $0).approval.required } ?? false) {
                    note(
                        "Refused: the policy of \(tenant?.name ?? "this tenant") requires four-eyes approval. Submit it through `turnover serve` (POST /api/v1/offboardings) for an approver to approve. Nothing was changed."
                    )
                    throw ExitCode(3)
                }
                let proposal = try await service.plan(upn, policy: policy)
                let plan = proposal.plan
                note(Report.planText(plan))
                if plan.isBlocked {
                    // Recorded, so the refusal is part of the audit trail.
                    let record = try await service.record(proposal, operator: operatorName)
                    note("\nBlocked: nothing was changed (run \(record.id)).")
                    return record
                }
                do { try service.requireConfirmations(plan, confirmedWipe: confirmWipe) } catch let refusal as OffboardingService.Refusal {
                    note("\n\(refusal.description)")
                    throw ExitCode(3)
                }
                if !yes { try confirmOrStop("Proceed with \(plan.runnableSteps.count) steps on \(plan.tenant)?") }
                // Saved only once approved: `turnover resume` finishes approved runs, never unapproved plans.
                let record = try await service.record(proposal, operator: operatorName, confirmedWipe: confirmWipe)
                note("\nRun \(record.id) started.")
                return try await service.execute(record.id, onEvent: Progress.display())
            }
            output(format == "json" ? String(decoding: try Report.json(run), as: UTF8.self) : Report.markdown(run))
            throw ExitCode(run.status.exitCode)
        }
    }
}

enum Progress {
    /// A live table of steps redrawn in place on a terminal; one plain line per change otherwise
    /// (pipes, CI logs, tickets).
    static func display() -> @Sendable (RunEvent) -> Void {
        let environment = ProcessInfo.processInfo.environment
        guard isatty(STDERR_FILENO) == 1, environment["TERM"] != "dumb", environment["NO_COLOR"] == nil else { return line }
        let table = LiveTable()
        return { event in table.update(event) }
    }

    static func symbol(_ status: StepStatus) -> String {
        switch status {
        case .running: "…"
        case .succeeded: "✔"
        case .skipped: "–"
        case .failed: "✘"
        case .blocked: "⛔"
        case .pending: " "
        }
    }

    static func describe(_ step: StepRecord) -> String {
        var text = "\(symbol(step.status)) \(step.title)"
        if step.status == .skipped, let reason = step.reason { text += " (\(reason))" }
        if let error = step.error { text += " — \(error)" }
        if step.status == .blocked, let reason = step.reason { text += " — \(reason)" }
        return text
    }

    /// One plain line per step change: readable in a terminal and in a log.
    static let line: @Sendable (RunEvent) -> Void = { event in
        note(String(format: "[%6.2fs] ", event.elapsed) + describe(event.step))
    }

    /// Steps in the order they first appeared, each on its own terminal line, rewritten as they change.
    final class LiveTable: Sendable {
        private struct State {
            var order: [StepID] = []
            var lines: [StepID: String] = [:]
            var drawn = 0
        }
        private let state = Mutex(State())

        func update(_ event: RunEvent) {
            state.withLock { state in
                if state.lines[event.step.id] == nil { state.order.append(event.step.id) }
                state.lines[event.step.id] = Progress.describe(event.step)
                var output = state.drawn > 0 ? "\u{1B}[\(state.drawn)A" : ""
                for id in state.order { output += "\r\u{1B}[2K" + (state.lines[id] ?? "") + "\n" }
                state.drawn = state.order.count
                FileHandle.standardError.write(Data(output.utf8))
            }
        }
    }
}

struct RunsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "runs", abstract: "List recent runs.")
    @OptionGroup var data: DataOptions
    @Option(help: "How many.") var limit = 20
    @Flag(help: "Print the runs as JSON.") var json = false
    @OptionGroup var remote: RemoteOptions

    func run() async throws {
        if let url = remote.url {
            let page = try await RemoteService(url).object(.GET, "/offboardings?limit=\(min(max(limit, 1), 200))")
            let items = page["items"] as? [[String: Any]] ?? []
            if json {
                output(
                    String(
                        decoding: try JSONSerialization.data(withJSONObject: items, options: [.prettyPrinted, .sortedKeys]), as: UTF8.self))
                return
            }
            for item in items {
                output(
                    [item["id"], item["submittedAt"], item["tenant"], item["userPrincipalName"], item["status"]].map { "\($0 ?? "")" }
                        .joined(separator: "\t"))
            }
            return
        }
        try await data.withWorkspace { workspace in
            let formatter = ISO8601DateFormatter()
            let runs = try await workspace.store.runs(limit: limit)
            if json {
                output(try JSONText.encode(runs.map(RunSummaryJSON.init)))
                return
            }
            for run in runs {
                output(
                    "\(run.id)\t\(formatter.string(from: run.createdAt))\t\(run.tenant)\t\(run.userPrincipalName)\t\(run.status.rawValue)")
            }
        }
    }
}

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "run", abstract: "Inspect a run.", subcommands: [RunShow.self])
}

struct RunShow: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Show a run's steps and their outcomes.")
    @OptionGroup var data: DataOptions
    @Argument var id: String
    @Flag(help: "Print the run, with its plan, snapshot and steps, as JSON.") var json = false
    @OptionGroup var remote: RemoteOptions

    func run() async throws {
        if let url = remote.url {
            let offboarding = try await RemoteService(url).object(.GET, "/offboardings/\(RemoteService.escaped(id))")
            if json {
                output(
                    String(
                        decoding: try JSONSerialization.data(withJSONObject: offboarding, options: [.prettyPrinted, .sortedKeys]),
                        as: UTF8.self))
                return
            }
            output("\(id): \(offboarding["userPrincipalName"] ?? "") in \(offboarding["tenant"] ?? "") — \(offboarding["status"] ?? "")")
            for step in offboarding["steps"] as? [[String: Any]] ?? [] {
                var line =
                    "  \((step["status"] as? String ?? "").padding(toLength: 10, withPad: " ", startingAt: 0)) \(step["title"] ?? "")"
                if let reason = step["reason"] as? String { line += " (\(reason))" }
                if let error = step["error"] as? String { line += " — \(error)" }
                output(line)
            }
            return
        }
        try await data.withWorkspace { workspace in
            guard let run = try await workspace.store.run(RunID(id)) else { throw CLIError("No run \(id).") }
            if json {
                output(String(decoding: try Report.json(run), as: UTF8.self))
                return
            }
            output("\(run.id): \(run.user.userPrincipalName) in \(run.tenant) — \(Report.headline(run))")
            for step in run.steps {
                var line = "  \(step.status.rawValue.padding(toLength: 10, withPad: " ", startingAt: 0)) \(step.title)"
                if let reason = step.reason { line += " (\(reason))" }
                if let error = step.error { line += " — \(error)" }
                output(line)
            }
        }
    }
}

struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "report", abstract: "Print a run's report (the ticket note).")
    @OptionGroup var data: DataOptions
    @Argument var id: String
    @Option(help: "md or json.") var format = "md"
    @OptionGroup var remote: RemoteOptions

    func validate() throws {
        guard ["md", "json"].contains(format) else { throw ValidationError("--format is md or json") }
    }

    func run() async throws {
        if let url = remote.url {
            let text = try await RemoteService(url).call(
                .GET, "/offboardings/\(RemoteService.escaped(id))/report?format=\(format)",
                accept: format == "json" ? "application/json" : "text/markdown")
            output(String(decoding: text, as: UTF8.self))
            return
        }
        try await data.withWorkspace { workspace in
            guard let run = try await workspace.store.run(RunID(id)) else { throw CLIError("No run \(id).") }
            output(format == "json" ? String(decoding: try Report.json(run), as: UTF8.self) : Report.markdown(run))
        }
    }
}

struct ResumeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resume",
        abstract: "Finish runs that were interrupted (a crash, a kill, a reboot): nothing is lost and nothing applied twice.")
    @OptionGroup var data: DataOptions
    @Argument(help: "A run id; all unfinished runs when omitted.") var id: String?

    func run() async throws {
        try await data.withWorkspace { workspace in
            let ids: [RunID]
            if let id { ids = [RunID(id)] } else { ids = try await workspace.store.unfinishedRuns() }
            var worst: Int32 = 0
            for runId in ids {
                guard let stored = try await workspace.store.run(runId) else { throw CLIError("No run \(runId).") }
                if stored.tenant == "sandbox" {
                    note("\(runId): a sandbox run cannot be resumed once its process has ended (its simulator is gone).")
                    continue
                }
                note("Resuming \(runId) (\(stored.user.userPrincipalName) in \(stored.tenant)).")
                let finished: RunRecord
                do {
                    finished = try await withTenantClient(workspace: workspace, tenantName: stored.tenant, sandbox: false) { client, _ in
                        var service = OffboardingService(store: workspace.store, client: client, tenantName: stored.tenant)
                        service.leaseOwner = cliLeaseOwner
                        return try await service.execute(runId, onEvent: Progress.display())
                    }
                } catch let refusal as OffboardingService.Refusal {
                    note("\(runId): \(refusal.description)")
                    continue
                }
                output("\(runId): \(Report.headline(finished))")
                worst = max(worst, finished.status.exitCode)
            }
            if ids.isEmpty { note("Nothing to resume.") }
            if worst != 0 { throw ExitCode(worst) }
        }
    }
}

/// This process's identity when it holds a run's lease, so a `turnover serve` on the same data
/// directory never executes a run the CLI is executing (and the CLI never resumes one it holds).
let cliLeaseOwner = LeaseOwner.make("cli")

/// JSON as every `--json` prints it: sorted keys, ISO 8601 dates.
enum JSONText {
    static func encode<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}

/// One line of `turnover runs --json`.
struct RunSummaryJSON: Encodable {
    var id: String
    var createdAt: Date
    var tenant: String
    var userPrincipalName: String
    var status: String
    init(_ summary: RunSummary) {
        id = summary.id.rawValue
        createdAt = summary.createdAt
        tenant = summary.tenant
        userPrincipalName = summary.userPrincipalName
        status = summary.status.rawValue
    }
}
