public import Foundation
import Yams

/// A policy's staged timeline: each stage its own run, some time after the first. For example
/// containment and preservation at T, licences at T + 7 days, deletion at T + 30 days.
///
/// Only the first stage is planned at submission. A later stage waits (listed, cancellable) and is
/// planned from live state when its time comes, then approved like any plan: what the first stage
/// changed (a shared mailbox, a blocked account) is what the later stage plans from.
public struct Stage: Codable, Sendable, Equatable {
    public var name: String
    /// How long after the first stage's time this one is due.
    public var after: TimeInterval
    /// The policy step names this stage runs (the policy's `steps` for this stage alone).
    public var steps: [String]

    public init(name: String, after: TimeInterval, steps: [String]) {
        self.name = name
        self.after = after
        self.steps = steps
    }

    /// The override that narrows the tenant's policy to this stage's steps when it is planned.
    public var stepsOverride: String { "steps=" + steps.joined(separator: ",") }

    /// "7d", "36h", "90m", "30s" or a bare number of days.
    static func duration(_ text: String) -> TimeInterval? {
        let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
        let units: [Character: TimeInterval] = ["d": 86_400, "h": 3_600, "m": 60, "s": 1]
        if let unit = trimmed.last, let scale = units[unit], let value = Double(trimmed.dropLast()), value >= 0 { return value * scale }
        return Double(trimmed).flatMap { $0 >= 0 ? $0 * 86_400 : nil }
    }

    /// "T", "T + 7 days", "T + 36 hours".
    public var label: String {
        if after == 0 { return "T" }
        if after.truncatingRemainder(dividingBy: 86_400) == 0 { return "T + \(Int(after / 86_400)) days" }
        if after.truncatingRemainder(dividingBy: 3_600) == 0 { return "T + \(Int(after / 3_600)) hours" }
        return "T + \(Int(after)) seconds"
    }

    static func parse(_ node: Node, problems: inout [Policy.Problem]) -> [Stage] {
        func line(_ node: Node) -> Int? { node.mark.map { $0.line } }
        guard let items = node.sequence else {
            problems.append(Policy.Problem(line: line(node), message: "'stages' is a list of {name, after, steps}"))
            return []
        }
        var stages: [Stage] = []
        for item in items {
            guard let mapping = item.mapping else {
                problems.append(Policy.Problem(line: line(item), message: "a stage is a mapping: name, after, steps"))
                continue
            }
            var stage = Stage(name: "", after: 0, steps: [])
            for (keyNode, value) in mapping {
                switch keyNode.scalar?.string ?? "" {
                case "name": stage.name = value.scalar?.string ?? ""
                case "after":
                    let text = value.scalar?.string ?? ""
                    if let after = duration(text) {
                        stage.after = after
                    } else {
                        problems.append(Policy.Problem(line: line(value), message: "after is a time such as 7d, 36h or 0, not '\(text)'"))
                    }
                case "steps":
                    let names = value.scalar.map { [$0.string] } ?? value.sequence?.compactMap { $0.scalar?.string } ?? []
                    for name in names {
                        if let known = StepRegistry.policyName(for: name) {
                            stage.steps.append(known)
                        } else {
                            problems.append(Policy.Problem(line: line(value), message: "unknown step '\(name)' in a stage"))
                        }
                    }
                default:
                    problems.append(
                        Policy.Problem(
                            line: line(keyNode),
                            message: "unknown stage setting '\(keyNode.scalar?.string ?? "")'; known: name, after, steps"))
                }
            }
            if stage.name.isEmpty { problems.append(Policy.Problem(line: line(item), message: "a stage needs a name")) }
            if stage.steps.isEmpty { problems.append(Policy.Problem(line: line(item), message: "stage '\(stage.name)' has no steps")) }
            stages.append(stage)
        }
        if let first = stages.first, first.after != 0 {
            problems.append(Policy.Problem(line: line(node), message: "the first stage is at T: its after is 0"))
        }
        for (earlier, later) in zip(stages, stages.dropFirst()) where later.after <= earlier.after {
            problems.append(
                Policy.Problem(line: line(node), message: "stage '\(later.name)' must come after stage '\(earlier.name)'"))
        }
        if Set(stages.map(\.name)).count != stages.count {
            problems.append(Policy.Problem(line: line(node), message: "two stages have the same name"))
        }
        return stages
    }
}
