public import Foundation
import Yams

/// A tenant's offboarding template: which steps, and the defaults a technician would otherwise type.
///
/// ```yaml
/// name: standard
/// steps: [block-sign-in, reset-password, revoke-sessions, remove-auth-methods, convert-to-shared,
///         grant-mailbox-access, forwarding, auto-reply, hide-from-gal, hand-over-ownership, leave-groups, remove-licences]
/// delegate: manager            # manager | none | someone@contoso.com
/// forwarding: {to: none, keepCopy: true}
/// autoReply: {internal: "{displayName} has left. Please contact {delegate}.", external: "..."}
/// successor: nina.ortiz@contoso.com   # new owner of groups the leaver owns
/// keepLicences: []                     # SKU part numbers to keep (for example a large shared mailbox)
/// breakGlass: [breakglass01@contoso.onmicrosoft.com]
/// retainMailboxDays: 90                # when the shared mailbox is reviewed (none: no date)
/// ```
public struct Policy: Codable, Sendable, Equatable {
    public var name: String = "default"
    /// Policy step names (see ``StepRegistry/policyNames``), each switching on one or more kinds.
    public var steps: [String] = StepRegistry.defaultPolicyNames
    /// Who the leaver's direct reports report to next: their manager (the default), or a named person.
    public var directReportsTo: Recipient = .manager
    /// How long a litigation hold lasts when the `litigation-hold` step is on; nil holds without end.
    public var litigationHoldDays: Int?
    /// How far ahead the leaver's organised meetings are cancelled (Exchange allows 1 to 1825 days).
    public var cancelMeetingsDays: Int = 180
    /// What `mark-as-leaver` puts before the display name.
    public var leaverDisplayNamePrefix: String = "(Left) "
    /// The group a Conditional Access policy blocks from everything (a kill switch that survives an
    /// accidental re-enable); nil when the tenant has none.
    public var blockGroup: String?
    /// What `remove-mobile-devices` does to the leaver's phones.
    public var mobileDeviceAction: MobileDeviceAction = .remove
    public enum MobileDeviceAction: String, Codable, Sendable, Equatable {
        /// Remove the ActiveSync partnership.
        case remove
        /// Wipe only the account's data from the phone (`Clear-MobileDevice -AccountOnly`).
        case wipeAccount = "wipe-account"
    }
    /// Whether the delegate's Full Access maps the mailbox into their Outlook automatically.
    public var delegateAutoMapping: Bool = true
    /// Further people given Full Access to the kept mailbox, each with automapping or without.
    ///
    /// ```yaml
    /// fullAccess: [ops@contoso.com, {user: legal@contoso.com, autoMapping: false}]
    /// ```
    public var fullAccess: [FullAccessGrant] = []

    public struct FullAccessGrant: Codable, Sendable, Equatable {
        public var user: String
        public var autoMapping: Bool
        public init(user: String, autoMapping: Bool = true) {
            self.user = user
            self.autoMapping = autoMapping
        }

        /// `someone@domain`, or `someone@domain:noautomap` to keep the mailbox out of their Outlook.
        public init?(text: String) {
            let parts = text.trimmingCharacters(in: .whitespaces).split(separator: ":", maxSplits: 1).map {
                $0.trimmingCharacters(in: .whitespaces)
            }
            guard let user = parts.first, !user.isEmpty, user.contains("@") else { return nil }
            switch parts.count > 1 ? parts[1].lowercased() : "automap" {
            case "automap": self.init(user: user, autoMapping: true)
            case "noautomap": self.init(user: user, autoMapping: false)
            default: return nil
            }
        }
    }
    public var delegate: Recipient = .manager
    public var forwardingTo: Recipient = .none
    public var forwardingKeepCopy: Bool = true
    public var autoReplyInternal: String? = "{displayName} is no longer with the organisation. Please contact {delegate} instead."
    public var autoReplyExternal: String? = "{displayName} is no longer with the organisation. Please contact {delegateEmail} instead."
    public var successor: String?
    public var keepLicences: [String] = []
    public var breakGlass: [String] = []
    /// How long the shared mailbox (and the delegate's access) is kept before someone reviews it.
    public var retainMailboxDays: Int? = 90
    /// Four-eyes approval: who must approve before a run starts, and for how long a plan waits.
    public var approval = Approval()
    /// "The end of the last day", in the leaver's own zone (HH:mm).
    public var endOfDay = "17:30"
    /// The tenant's zone (IANA), for leavers whose own zone cannot be read.
    public var timeZone = "UTC"
    /// Who is told what, by e-mail, webhook or Teams (`notifications:`).
    public var notifications = NotificationSettings()
    /// A staged timeline (`stages:`); empty runs everything in one run.
    public var stages: [Stage] = []
    /// The PSA this tenant's tickets come from and go back to (`psa:`).
    public var psa: PSASettings?

    public struct Approval: Sendable, Equatable, Codable {
        /// When true, the CLI's own `offboard` refuses to run without an approval recorded by `turnover serve`.
        public var required: Bool = false
        /// How many approvers, none of them the submitter (1 or 2).
        public var quorum: Int = 1
        /// How long a submitted plan waits for its approvals before it expires.
        public var expiresHours: Int = 24
        public init() {}
    }

    public init() {}

    /// Whether this policy switches a step kind on.
    public func enables<Step: StepDefinition>(_ step: Step.Type) -> Bool { step.switchedOnBy.contains(where: steps.contains) }

    public enum Recipient: Codable, Sendable, Equatable, CustomStringConvertible {
        case none
        case manager
        case user(String)

        public init(_ text: String) {
            switch text.lowercased() {
            case "", "none", "no": self = .none
            case "manager": self = .manager
            default: self = .user(text)
            }
        }

        public var description: String {
            switch self {
            case .none: "none"
            case .manager: "manager"
            case .user(let upn): upn
            }
        }
    }

    /// A policy problem, naming the line (1-based) and what is wrong.
    public struct Problem: Error, Sendable, Equatable, CustomStringConvertible {
        public var line: Int?
        public var message: String
        public var description: String { line.map { "line \($0): \(message)" } ?? message }
    }

    static let knownKeys: Set<String> = [
        "name", "steps", "delegate", "forwarding", "autoReply", "successor", "keepLicences", "breakGlass", "retainMailboxDays",
        "directReportsTo", "litigationHoldDays", "cancelMeetingsDays", "leaverDisplayNamePrefix", "blockGroup", "delegateAutoMapping",
        "mobileDeviceAction", "approval", "fullAccess", "endOfDay", "timeZone", "notifications", "stages", "psa",
    ]

    /// `steps: all` (and `--set steps=all`): every step that destroys nothing; wipe and delete are
    /// never implied.
    static func expandAll(_ names: [String]) -> [String] {
        guard names.contains(where: { $0.lowercased() == "all" }) else { return names }
        var seen: Set<String> = []
        return (StepRegistry.nonDestructivePolicyNames + names.filter { $0.lowercased() != "all" }).filter { seen.insert($0).inserted }
    }

    /// Parses and validates a YAML template; every problem found is reported, each with its line.
    public static func parse(yaml: String) throws(PolicyErrors) -> Policy {
        var policy = Policy()
        var problems: [Problem] = []
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch let error as YamlError {
            throw PolicyErrors(problems: [Problem(line: Self.line(of: error), message: "not valid YAML: \(error)")])
        } catch {
            throw PolicyErrors(problems: [Problem(line: nil, message: "not valid YAML: \(error)")])
        }
        guard let root, let mapping = root.mapping else {
            throw PolicyErrors(problems: [Problem(line: root?.mark.map { $0.line }, message: "a policy is a mapping of settings")])
        }
        func line(_ node: Node) -> Int? { node.mark.map { $0.line } }
        func strings(_ node: Node, key: String) -> [String]? {
            if let scalar = node.scalar { return [scalar.string] }
            guard let sequence = node.sequence else {
                problems.append(Problem(line: line(node), message: "'\(key)' must be a list"))
                return nil
            }
            return sequence.compactMap { item in
                guard let scalar = item.scalar else {
                    problems.append(Problem(line: line(item), message: "'\(key)' entries must be text"))
                    return nil
                }
                return scalar.string
            }
        }
        for (keyNode, value) in mapping {
            let key = keyNode.scalar?.string ?? ""
            switch key {
            case "name":
                policy.name = value.scalar?.string ?? policy.name
            case "steps":
                guard let sequence = value.sequence else {
                    problems.append(Problem(line: line(value), message: "'steps' must be a list of step names"))
                    continue
                }
                var steps: [String] = []
                for item in sequence {
                    let name = item.scalar?.string ?? ""
                    if name.lowercased() == "all" {
                        steps.append("all")
                    } else if let known = StepRegistry.policyName(for: name) {
                        steps.append(known)
                    } else {
                        let known = StepRegistry.policyNames.joined(separator: ", ")
                        problems.append(Problem(line: line(item), message: "unknown step '\(name)'; known steps: \(known)"))
                    }
                }
                policy.steps = expandAll(steps)
            case "directReportsTo":
                policy.directReportsTo = Recipient(value.scalar?.string ?? "")
                if case .user(let upn) = policy.directReportsTo, !upn.contains("@") {
                    problems.append(
                        Problem(
                            line: line(value), message: "directReportsTo must be 'manager', 'none' or a user principal name, not '\(upn)'"))
                }
            case "mobileDeviceAction":
                guard let action = MobileDeviceAction(rawValue: value.scalar?.string ?? "") else {
                    problems.append(Problem(line: line(value), message: "mobileDeviceAction must be remove or wipe-account"))
                    continue
                }
                policy.mobileDeviceAction = action
            case "delegateAutoMapping":
                guard let flag = value.bool else {
                    problems.append(Problem(line: line(value), message: "'delegateAutoMapping' must be true or false"))
                    continue
                }
                policy.delegateAutoMapping = flag
            case "blockGroup":
                let name = value.scalar?.string ?? ""
                policy.blockGroup = name.isEmpty ? nil : name
            case "leaverDisplayNamePrefix":
                policy.leaverDisplayNamePrefix = value.scalar?.string ?? policy.leaverDisplayNamePrefix
            case "cancelMeetingsDays":
                if let days = Int(value.scalar?.string ?? ""), (1...1_825).contains(days) {
                    policy.cancelMeetingsDays = days
                } else {
                    problems.append(
                        Problem(line: line(value), message: "cancelMeetingsDays must be a number of days from 1 to 1825"))
                }
            case "litigationHoldDays":
                let text = value.scalar?.string ?? ""
                if ["unlimited", "none", "null", "~", ""].contains(text.lowercased()) {
                    policy.litigationHoldDays = nil
                } else if let days = Int(text), days > 0 {
                    policy.litigationHoldDays = days
                } else {
                    problems.append(
                        Problem(line: line(value), message: "litigationHoldDays must be a number of days or unlimited, not '\(text)'"))
                }
            case "approval":
                guard let settings = value.mapping else {
                    problems.append(
                        Problem(line: line(value), message: "'approval' must be a mapping with 'required', 'quorum' and 'expiresHours'"))
                    continue
                }
                for (innerKey, innerValue) in settings {
                    switch innerKey.scalar?.string ?? "" {
                    case "required":
                        guard let flag = innerValue.bool else {
                            problems.append(Problem(line: line(innerValue), message: "'required' must be true or false"))
                            continue
                        }
                        policy.approval.required = flag
                    case "quorum":
                        guard let number = innerValue.int, (1...2).contains(number) else {
                            problems.append(Problem(line: line(innerValue), message: "'quorum' is 1 or 2 approvers"))
                            continue
                        }
                        policy.approval.quorum = number
                    case "expiresHours":
                        guard let number = innerValue.int, (1...720).contains(number) else {
                            problems.append(Problem(line: line(innerValue), message: "'expiresHours' is a number of hours from 1 to 720"))
                            continue
                        }
                        policy.approval.expiresHours = number
                    default:
                        problems.append(
                            Problem(
                                line: line(innerKey),
                                message:
                                    "unknown approval setting '\(innerKey.scalar?.string ?? "")'; use 'required', 'quorum' and 'expiresHours'"
                            ))
                    }
                }
            case "delegate":
                policy.delegate = Recipient(value.scalar?.string ?? "")
                if case .user(let upn) = policy.delegate, !upn.contains("@") {
                    problems.append(
                        Problem(line: line(value), message: "delegate must be 'manager', 'none' or a user principal name, not '\(upn)'"))
                }
            case "forwarding":
                guard let settings = value.mapping else {
                    problems.append(Problem(line: line(value), message: "'forwarding' must be a mapping with 'to' and 'keepCopy'"))
                    continue
                }
                for (innerKey, innerValue) in settings {
                    switch innerKey.scalar?.string ?? "" {
                    case "to": policy.forwardingTo = Recipient(innerValue.scalar?.string ?? "")
                    case "keepCopy":
                        guard let flag = innerValue.bool else {
                            problems.append(Problem(line: line(innerValue), message: "'keepCopy' must be true or false"))
                            continue
                        }
                        policy.forwardingKeepCopy = flag
                    default:
                        problems.append(
                            Problem(
                                line: line(innerKey),
                                message: "unknown forwarding setting '\(innerKey.scalar?.string ?? "")'; use 'to' and 'keepCopy'"))
                    }
                }
            case "autoReply":
                if value.scalar?.string == "none" || value.bool == false {
                    policy.autoReplyInternal = nil
                    policy.autoReplyExternal = nil
                    continue
                }
                guard let settings = value.mapping else {
                    problems.append(
                        Problem(line: line(value), message: "'autoReply' must be a mapping with 'internal' and 'external', or 'none'"))
                    continue
                }
                for (innerKey, innerValue) in settings {
                    switch innerKey.scalar?.string ?? "" {
                    case "internal": policy.autoReplyInternal = innerValue.scalar?.string
                    case "external": policy.autoReplyExternal = innerValue.scalar?.string
                    default:
                        problems.append(
                            Problem(
                                line: line(innerKey),
                                message: "unknown autoReply setting '\(innerKey.scalar?.string ?? "")'; use 'internal' and 'external'"))
                    }
                }
                for text in [policy.autoReplyInternal, policy.autoReplyExternal].compactMap({ $0 }) {
                    for placeholder in Placeholders.unknown(in: text) {
                        problems.append(
                            Problem(
                                line: line(value),
                                message:
                                    "unknown placeholder {\(placeholder)}; known: \(Placeholders.known.sorted().joined(separator: ", "))"))
                    }
                }
            case "successor":
                policy.successor = value.scalar?.string
                if let successor = policy.successor, !successor.contains("@") {
                    problems.append(Problem(line: line(value), message: "successor must be a user principal name"))
                }
            case "endOfDay":
                let text = value.scalar?.string ?? ""
                let parts = text.split(separator: ":").compactMap { Int($0) }
                if parts.count == 2, (0...23).contains(parts[0]), (0...59).contains(parts[1]) {
                    policy.endOfDay = text
                } else {
                    problems.append(Problem(line: line(value), message: "endOfDay is a time of day such as 17:30, not '\(text)'"))
                }
            case "timeZone":
                let text = value.scalar?.string ?? ""
                if TimeZone(identifier: text) != nil {
                    policy.timeZone = text
                } else {
                    problems.append(Problem(line: line(value), message: "timeZone is an IANA zone such as Europe/London, not '\(text)'"))
                }
            case "notifications":
                policy.notifications = NotificationSettings.parse(value, problems: &problems)
            case "stages":
                policy.stages = Stage.parse(value, problems: &problems)
            case "psa":
                policy.psa = PSASettings.parse(value, problems: &problems)
            case "fullAccess":
                guard let items = value.sequence else {
                    problems.append(Problem(line: line(value), message: "'fullAccess' must be a list of addresses or {user, autoMapping}"))
                    continue
                }
                policy.fullAccess = []
                for item in items {
                    if let mapping = item.mapping {
                        let user = mapping.first { $0.key.scalar?.string == "user" }?.value.scalar?.string ?? ""
                        let autoMapping = mapping.first { $0.key.scalar?.string == "autoMapping" }?.value.bool ?? true
                        guard user.contains("@") else {
                            problems.append(Problem(line: line(item), message: "a fullAccess entry needs 'user: someone@domain'"))
                            continue
                        }
                        policy.fullAccess.append(FullAccessGrant(user: user, autoMapping: autoMapping))
                    } else if let grant = FullAccessGrant(text: item.scalar?.string ?? "") {
                        policy.fullAccess.append(grant)
                    } else {
                        problems.append(
                            Problem(
                                line: line(item),
                                message: "'\(item.scalar?.string ?? "")' is not an address (add :noautomap to skip automapping)"))
                    }
                }
            case "keepLicences":
                policy.keepLicences = strings(value, key: key) ?? []
            case "breakGlass":
                policy.breakGlass = strings(value, key: key) ?? []
            case "retainMailboxDays":
                let text = value.scalar?.string ?? ""
                if ["none", "null", "~", ""].contains(text.lowercased()) {
                    policy.retainMailboxDays = nil
                } else if let days = Int(text), days > 0 {
                    policy.retainMailboxDays = days
                } else {
                    problems.append(
                        Problem(line: line(value), message: "retainMailboxDays must be a number of days or none, not '\(text)'"))
                }
            default:
                problems.append(
                    Problem(
                        line: line(keyNode),
                        message: "unknown setting '\(key)'; known settings: \(knownKeys.sorted().joined(separator: ", "))"))
            }
        }
        if !problems.isEmpty { throw PolicyErrors(problems: problems) }
        return policy
    }

    /// Applies `--set key=value` overrides from the command line.
    public mutating func apply(overrides: [String]) throws(PolicyErrors) {
        var problems: [Problem] = []
        for override in overrides {
            guard let equals = override.firstIndex(of: "=") else {
                problems.append(Problem(line: nil, message: "--set \(override): expected key=value"))
                continue
            }
            let key = String(override[..<equals])
            let value = String(override[override.index(after: equals)...])
            switch key {
            case "delegate": delegate = Recipient(value)
            case "directReportsTo": directReportsTo = Recipient(value)
            case "leaverDisplayNamePrefix": leaverDisplayNamePrefix = value
            case "blockGroup": blockGroup = value.isEmpty ? nil : value
            case "mobileDeviceAction":
                if let action = MobileDeviceAction(rawValue: value) {
                    mobileDeviceAction = action
                } else {
                    problems.append(Problem(line: nil, message: "--set mobileDeviceAction: remove or wipe-account, not '\(value)'"))
                }
            case "delegateAutoMapping": delegateAutoMapping = ["true", "yes", "1"].contains(value.lowercased())
            case "cancelMeetingsDays":
                if let days = Int(value), (1...1_825).contains(days) {
                    cancelMeetingsDays = days
                } else {
                    problems.append(
                        Problem(line: nil, message: "--set cancelMeetingsDays: a number of days from 1 to 1825, not '\(value)'"))
                }
            case "litigationHoldDays":
                if ["unlimited", "none"].contains(value.lowercased()) {
                    litigationHoldDays = nil
                } else if let days = Int(value), days > 0 {
                    litigationHoldDays = days
                } else {
                    problems.append(Problem(line: nil, message: "--set litigationHoldDays: a number of days or unlimited, not '\(value)'"))
                }
            case "forwarding", "forwarding.to": forwardingTo = Recipient(value)
            case "forwarding.keepCopy": forwardingKeepCopy = ["true", "yes", "1"].contains(value.lowercased())
            case "autoReply.internal": autoReplyInternal = value
            case "autoReply.external": autoReplyExternal = value
            case "autoReply": if value == "none" { autoReplyInternal = nil; autoReplyExternal = nil }
            case "successor": successor = value.isEmpty ? nil : value
            case "endOfDay":
                let parts = value.split(separator: ":").compactMap { Int($0) }
                if parts.count == 2, (0...23).contains(parts[0]), (0...59).contains(parts[1]) {
                    endOfDay = value
                } else {
                    problems.append(Problem(line: nil, message: "--set endOfDay: a time of day such as 17:30, not '\(value)'"))
                }
            case "fullAccess":
                var grants: [FullAccessGrant] = []
                for text in value.split(separator: ",") where !text.trimmingCharacters(in: .whitespaces).isEmpty {
                    if let grant = FullAccessGrant(text: String(text)) {
                        grants.append(grant)
                    } else {
                        problems.append(
                            Problem(
                                line: nil,
                                message: "--set fullAccess: '\(text)' is not an address (someone@domain or someone@domain:noautomap)"))
                    }
                }
                fullAccess = grants
            case "keepLicences", "keepLicence":
                keepLicences = value.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }
            case "breakGlass": breakGlass = value.split(separator: ",").map(String.init)
            case "retainMailboxDays":
                if value.lowercased() == "none" {
                    retainMailboxDays = nil
                } else if let days = Int(value), days > 0 {
                    retainMailboxDays = days
                } else {
                    problems.append(Problem(line: nil, message: "--set retainMailboxDays: a number of days or none, not '\(value)'"))
                }
            case "steps":
                var kinds: [String] = []
                for name in value.split(separator: ",") {
                    if name.lowercased() == "all" {
                        kinds.append("all")
                    } else if let known = StepRegistry.policyName(for: String(name)) {
                        kinds.append(known)
                    } else {
                        problems.append(Problem(line: nil, message: "--set steps: unknown step '\(name)'"))
                    }
                }
                steps = Self.expandAll(kinds)
            default:
                problems.append(Problem(line: nil, message: "--set \(key): unknown setting"))
            }
        }
        if !problems.isEmpty { throw PolicyErrors(problems: problems) }
    }

    private static func line(of error: YamlError) -> Int? {
        switch error {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _): mark.line
        default: nil
        }
    }
}

public struct PolicyErrors: Error, Sendable, CustomStringConvertible {
    public var problems: [Policy.Problem]
    public var description: String { problems.map(\.description).joined(separator: "\n") }
}

/// Placeholders in out-of-office texts.
public enum Placeholders {
    public static let known: Set<String> = ["displayName", "delegate", "delegateEmail", "manager", "managerEmail", "date"]

    static func unknown(in text: String) -> [String] {
        names(in: text).filter { !known.contains($0) }
    }

    static func names(in text: String) -> [String] {
        var result: [String] = []
        var rest = Substring(text)
        while let open = rest.firstIndex(of: "{"), let close = rest[open...].firstIndex(of: "}") {
            result.append(String(rest[rest.index(after: open)..<close]))
            rest = rest[rest.index(after: close)...]
        }
        return result
    }

    public static func fill(_ text: String, values: [String: String]) -> String {
        var result = text
        for (name, value) in values { result = result.replacingOccurrences(of: "{\(name)}", with: value) }
        return result
    }
}
