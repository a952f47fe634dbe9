public import Foundation

/// The ticket note a technician pastes: who, when, which tenant, each step before → after, licences
/// freed, what was kept and for whom, exceptions and request-ids.
public enum Report {
    public static func markdown(_ run: RunRecord) -> String {
        var lines: [String] = []
        let date = ISO8601DateFormatter()
        func time(_ value: Date?) -> String { value.map { date.string(from: $0) } ?? "—" }
        lines.append(
            (run.plan.undoes == nil ? "# Offboarding of " : "# Undo for ") + "\(run.user.displayName) (\(run.user.userPrincipalName))")
        lines.append("")
        lines.append("- **Result:** \(headline(run))")
        lines.append("- **Tenant:** \(run.tenant)")
        lines.append(
            "- **Run:** \(run.id) · "
                + (run.plan.undoes.map { "takes back run \($0)" } ?? "policy \(run.plan.policyName)")
                + (run.operator_.map { " · by \($0)" } ?? ""))
        lines.append("- **Started:** \(time(run.startedAt)) · **finished:** \(time(run.finishedAt))")
        for line in run.schedule ?? [] { lines.append("- **Schedule:** \(line)") }
        if let contained = run.containedAt, let started = run.startedAt {
            lines.append(
                String(format: "- **Access cut:** %@ (%.1f s after the start)", time(contained), contained.timeIntervalSince(started)))
        }
        if !run.licencesFreed.isEmpty { lines.append("- **Licences freed:** \(run.licencesFreed.joined(separator: ", "))") }
        if !run.plan.blockers.isEmpty {
            lines.append("")
            lines.append("## Blocked")
            for blocker in run.plan.blockers { lines.append("- \(blocker)") }
        }
        lines.append("")
        lines.append("## Steps")
        lines.append("")
        lines.append("| Step | Result | Before → after | Details |")
        lines.append("|---|---|---|---|")
        for step in run.steps {
            let change = [step.before, step.after].compactMap { $0 }.joined(separator: " → ")
            var details = step.reason ?? ""
            if let error = step.error { details = (details.isEmpty ? "" : details + "; ") + error.description }
            if let requests = step.requests, !requests.isEmpty {
                var seen: Set<String> = []
                let ids = requests.map(\.requestId).filter { seen.insert($0).inserted }
                details = (details.isEmpty ? "" : details + "; ") + "request-id " + ids.joined(separator: ", ")
            }
            lines.append(
                "| \(escape(step.title)) | \(symbol(step.status)) \(step.status.rawValue) | \(escape(change)) | \(escape(details)) |")
        }
        if !run.plan.retention.isEmpty {
            lines.append("")
            lines.append("## Retention")
            for item in run.plan.retention { lines.append("- \(item)") }
        }
        let exceptions = run.steps.filter { $0.status == .failed || $0.status == .blocked }
        if !exceptions.isEmpty || !run.plan.warnings.isEmpty {
            lines.append("")
            lines.append("## Exceptions and warnings")
            for step in exceptions {
                lines.append(
                    "- **\(step.title)**: \(step.status.rawValue)" + (step.error.map { " — \($0)" } ?? step.reason.map { " — \($0)" } ?? "")
                )
            }
            for warning in run.plan.warnings { lines.append("- \(warning)") }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The report in short, for a PSA ticket note: the result, when access was cut, the licences
    /// freed, each step on one line with its before → after, and the exceptions. Who keeps what is in
    /// the note already; the request-ids are in the evidence pack attached beside it.
    public static func summary(_ run: RunRecord) -> String {
        var lines = ["Result: \(headline(run))"]
        if let contained = run.containedAt, let started = run.startedAt {
            lines.append(String(format: "Access cut %.1f s after the start", contained.timeIntervalSince(started)))
        }
        if !run.licencesFreed.isEmpty { lines.append("Licences freed: \(run.licencesFreed.joined(separator: ", "))") }
        lines.append("")
        for step in run.steps {
            let change = [step.before, step.after].compactMap { $0 }.joined(separator: " → ")
            let why = step.error?.description ?? (step.status == .succeeded ? nil : step.reason)
            lines.append(
                "\(symbol(step.status)) \(step.title)" + (change.isEmpty ? "" : ": \(change)") + (why.map { " (\($0))" } ?? ""))
        }
        if !run.plan.warnings.isEmpty {
            lines.append("")
            lines += run.plan.warnings.map { "Warning: \($0)" }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    public static func json(_ run: RunRecord) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        return try encoder.encode(run)
    }

    public static func headline(_ run: RunRecord) -> String {
        let counts = Dictionary(grouping: run.steps, by: \.status).mapValues(\.count)
        let summary = [StepStatus.succeeded, .skipped, .failed, .blocked, .pending, .running].compactMap { status in
            counts[status].map { "\($0) \(status.rawValue)" }
        }.joined(separator: ", ")
        switch run.status {
        case .succeeded: return "completed — \(summary)"
        case .partiallySucceeded: return "PARTIALLY completed — \(summary); see exceptions"
        case .failed: return "FAILED — \(summary)"
        case .blocked: return "BLOCKED — nothing was changed"
        case .running: return "in progress — \(summary)"
        case .planned: return "planned, not started"
        }
    }

    static func symbol(_ status: StepStatus) -> String {
        switch status {
        case .succeeded: "✔"
        case .skipped: "–"
        case .failed: "✘"
        case .blocked: "⛔"
        case .pending, .running: "…"
        }
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ")
    }

    /// The plan as readable text, for `turnover plan` and before the confirmation prompt.
    public static func planText(_ plan: Plan) -> String {
        let heading =
            plan.undoes.map { "Undo of run \($0) for \(plan.user.displayName) <\(plan.user.userPrincipalName)> in \(plan.tenant)" }
            ?? "Plan for \(plan.user.displayName) <\(plan.user.userPrincipalName)> in \(plan.tenant) (policy \(plan.policyName))"
        var lines = [heading, ""]
        if !plan.blockers.isEmpty {
            lines.append("BLOCKERS (nothing will be changed):")
            for blocker in plan.blockers { lines.append("  ⛔ \(blocker)") }
            lines.append("")
        }
        let undoing = plan.undoes != nil
        if plan.undoes != nil {
            lines.append("Taken back from the before-state the run recorded, the last phase first:")
            if plan.steps.isEmpty { lines.append("  nothing that run changed can be taken back") }
        }
        for phase in undoing ? Phase.allCases.reversed() : Phase.allCases {
            let steps = plan.steps.filter { $0.phase == phase }
            guard !steps.isEmpty else { continue }
            lines.append("\(phase.rawValue.capitalized):")
            for step in steps {
                switch step.disposition {
                case .run:
                    lines.append(
                        "  • \(step.title)"
                            + (undoing || (step.dependsOn.isEmpty && step.runsAfter == nil)
                                ? "" : "  (after \((step.dependsOn + (step.runsAfter ?? [])).map(\.rawValue).joined(separator: ", ")))"))
                case .alreadyDone(let why): lines.append("  – \(step.title): skip, \(why)")
                case .report(let why): lines.append("  – \(step.title): not changed, \(why)")
                }
            }
        }
        if !plan.licencesToFree.isEmpty { lines += ["", "Licences freed: \(plan.licencesToFree.joined(separator: ", "))"] }
        if !plan.retention.isEmpty { lines += ["", "Kept:"] + plan.retention.map { "  • \($0)" } }
        let lost = plan.warnings.filter { $0.code == "cannot-undo" }
        if !lost.isEmpty { lines += ["", "Cannot come back:"] + lost.map { "  ✘ \($0.message)" } }
        let warnings = plan.warnings.filter { $0.code != "cannot-undo" }
        if !warnings.isEmpty { lines += ["", "Warnings:"] + warnings.map { "  ⚠ \($0)" } }
        return lines.joined(separator: "\n")
    }
}
