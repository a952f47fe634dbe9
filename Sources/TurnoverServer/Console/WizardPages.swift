import Foundation
import Hummingbird
import TurnoverCore
import TurnoverEngine
import TurnoverStore

/// The offboarding wizard, CIPP's four steps: a tenant, a user, the options (every step on or off,
/// the delegate, forwarding, successor and out-of-office), and the plan computed from the user's
/// live state, with its blockers and their resolution, before anything is submitted.
enum WizardPages {
    static func register(_ console: Console, on router: Router<BasicRequestContext>) {
        console.add(router, .get, "/offboard", operation: "createPlan", chooseTenant)
        console.add(router, .get, "/offboard/:tenant", operation: "createPlan", chooseUser)
        console.add(router, .get, "/offboard/:tenant/plan", operation: "createPlan", options)
        console.add(router, .post, "/offboard/:tenant/plan", operation: "createPlan", preview)
    }

    struct Progress {
        var number: Int
        var label: String
        var state: String
    }

    static func progress(_ at: Int) -> [Progress] {
        ["Tenant", "User", "Options and plan", "Submit"].enumerated().map { index, label in
            Progress(number: index + 1, label: label, state: index + 1 < at ? "done" : index + 1 == at ? "current" : "todo")
        }
    }

    struct TenantChoice {
        var name: String
        var href: String
    }

    struct TenantStep {
        var progress: [Progress]
        var tenants: [TenantChoice]
    }

    static func chooseTenant(_ console: Console, _ visit: Console.Visit) async throws -> Console.Answer {
        let tenants = try await console.store.tenants().filter { visit.principal.sees($0.name) }
        if tenants.count == 1 { return .redirect("/offboard/\(tenants[0].name)") }
        return .page(
            "wizard-tenant", title: "Offboard: choose the tenant",
            TenantStep(progress: progress(1), tenants: tenants.map { TenantChoice(name: $0.name, href: "/offboard/\($0.name)") }))
    }

    struct UserStep {
        var progress: [Progress]
        var tenant: String
        var search: String
        var users: [TenantPages.UserRow]
        var searched: Bool
        var nextHref: String?
    }

    static func chooseUser(_ console: Console, _ visit: Console.Visit) async throws -> Console.Answer {
        let tenant = try await console.api.visibleTenant(visit.parameter("tenant"))
        let search = visit.query["search"] ?? ""
        var users: [TenantPages.UserRow] = []
        var next: String?
        if !search.isEmpty || visit.query.has("cursor") {
            let page = try await console.api.searchUsers(
                .init(path: .init(tenant: tenant.name), query: .init(search: search, limit: 25, cursor: visit.query["cursor"]))
            ).ok.body.json
            users = page.items.map {
                TenantPages.UserRow(
                    upn: $0.userPrincipalName, displayName: $0.displayName, enabled: $0.accountEnabled == false ? "blocked" : "can sign in",
                    offboardHref: "/offboard/\(tenant.name)/plan?user=\(FormFields.escape($0.userPrincipalName))")
            }
            next = page.nextCursor.map { "/offboard/\(tenant.name)?search=\(FormFields.escape(search))&cursor=\(FormFields.escape($0))" }
        }
        return .page(
            "wizard-user", title: "Offboard: choose the user",
            UserStep(progress: progress(2), tenant: tenant.name, search: search, users: users, searched: !search.isEmpty, nextHref: next))
    }

    // MARK: Options and the plan

    /// What the technician chose, as the form carries it; it becomes `--set` overrides.
    struct Choices {
        var steps: Set<String>
        var delegate: String
        var autoMapping: Bool
        /// Further Full Access delegates: `someone@domain` or `someone@domain:noautomap`, comma-separated.
        var fullAccess: String
        var forwarding: String
        var keepCopy: Bool
        var successor: String
        var autoReplyInternal: String
        var autoReplyExternal: String
        var confirmWipe: Bool
        /// Run at the end of the last day (`lastDay`, yyyy-MM-dd) in the leaver's zone, not at once.
        var atEndOfLastDay = false
        var lastDay = ""

        init(policy: Policy) {
            steps = Set(policy.steps)
            delegate = policy.delegate.description
            autoMapping = policy.delegateAutoMapping
            fullAccess = policy.fullAccess.map { $0.autoMapping ? $0.user : "\($0.user):noautomap" }.joined(separator: ", ")
            forwarding = policy.forwardingTo.description
            keepCopy = policy.forwardingKeepCopy
            successor = policy.successor ?? ""
            autoReplyInternal = policy.autoReplyInternal ?? ""
            autoReplyExternal = policy.autoReplyExternal ?? ""
            confirmWipe = false
        }

        init(form: FormFields) {
            steps = Set(form.all("step"))
            delegate = form["delegate"] ?? "none"
            autoMapping = form.has("autoMapping")
            fullAccess = form["fullAccess"] ?? ""
            forwarding = form["forwarding"] ?? "none"
            keepCopy = form.has("keepCopy")
            successor = form["successor"] ?? ""
            autoReplyInternal = form.raw("autoReplyInternal").replacingOccurrences(of: "\r\n", with: "\n")
            autoReplyExternal = form.raw("autoReplyExternal").replacingOccurrences(of: "\r\n", with: "\n")
            confirmWipe = form.has("confirmWipe")
            atEndOfLastDay = form["when"] == "lastDay"
            lastDay = form["lastDay"] ?? ""
        }

        var overrides: [String] {
            var overrides = [
                "steps=" + StepRegistry.policyNames.filter(steps.contains).joined(separator: ","),
                "delegate=\(delegate)", "delegateAutoMapping=\(autoMapping)", "fullAccess=\(fullAccess)", "forwarding.to=\(forwarding)",
                "forwarding.keepCopy=\(keepCopy)",
                "successor=\(successor)",
            ]
            let internalText = autoReplyInternal.trimmingCharacters(in: .whitespacesAndNewlines)
            let externalText = autoReplyExternal.trimmingCharacters(in: .whitespacesAndNewlines)
            if internalText.isEmpty && externalText.isEmpty {
                overrides.append("autoReply=none")
            } else {
                overrides += ["autoReply.internal=\(internalText)", "autoReply.external=\(externalText)"]
            }
            return overrides
        }
    }

    struct StepToggle {
        var name: String
        var id: String
        var title: String
        var on: Bool
        var destructive: Bool
    }

    struct PlanStepRow {
        var title: String
        var kind: String
        var note: String?
        var runs: Bool
    }

    struct PhaseGroup {
        var name: String
        var steps: [PlanStepRow]
    }

    struct FindingView {
        var message: String
        var resolution: String?
        /// The sole-owner blocker carries the successor picker, so choosing one clears it in place.
        var needsSuccessor: Bool
    }

    struct OptionsStep {
        var progress: [Progress]
        var tenant: String
        var upn: String
        var displayName: String
        var toggles: [StepToggle]
        var delegate: String
        var autoMapping: Bool
        var fullAccess: String
        var forwarding: String
        var keepCopy: Bool
        var successor: String
        var successorInBlocker: Bool
        var autoReplyInternal: String
        var autoReplyExternal: String
        var placeholders: [String]
        var confirmWipe: Bool
        var atEndOfLastDay: Bool
        var lastDay: String
        var wipes: Bool
        var phases: [PhaseGroup]
        var blockers: [FindingView]
        var warnings: [FindingView]
        var retention: [String]
        /// Nil when none: Mustache shows an empty string's section.
        var licences: String?
        var runnable: Int
        var blocked: Bool
        var error: String?
    }

    static func options(_ console: Console, _ visit: Console.Visit) async throws -> Console.Answer {
        let tenant = try await console.api.visibleTenant(visit.parameter("tenant"))
        guard let upn = visit.query["user"] else { return .redirect("/offboard/\(tenant.name)") }
        let policy = try console.desk.clients.policy(for: tenant, overrides: [])
        var choices = Choices(policy: policy)
        // Filled in from a ticket ("From a ticket" links here with what it read).
        if let delegate = visit.query["delegate"] { choices.delegate = delegate }
        if let forwarding = visit.query["forwarding"] { choices.forwarding = forwarding }
        if let day = visit.query["lastDay"] {
            choices.atEndOfLastDay = true
            choices.lastDay = day
        }
        return try await page(console, tenant: tenant, upn: upn, choices: choices, error: nil)
    }

    /// "Update the plan" re-plans with the choices; "Submit" records the plan for approval.
    static func preview(_ console: Console, _ visit: Console.Visit) async throws -> Console.Answer {
        let tenant = try await console.api.visibleTenant(visit.parameter("tenant"))
        guard let upn = visit.form["user"] else { return .redirect("/offboard/\(tenant.name)") }
        let choices = Choices(form: visit.form)
        guard visit.form["action"] == "submit" else {
            return try await page(console, tenant: tenant, upn: upn, choices: choices, error: nil)
        }
        do {
            try AccessRules.check(visit.principal, operation: "submitOffboarding")
            if choices.atEndOfLastDay, choices.lastDay.isEmpty {
                throw APIProblem.badRequest("Choose the leaver's last day, or run it at once.")
            }
            let request = try await console.desk.submit(
                tenant: tenant, userPrincipalName: upn, overrides: choices.overrides, confirmWipe: choices.confirmWipe,
                by: visit.principal.name, timing: choices.atEndOfLastDay ? .endOfLastDay(choices.lastDay) : .now)
            return .redirect("/offboardings/\(request.id.rawValue)")
        } catch {
            return try await page(console, tenant: tenant, upn: upn, choices: choices, error: APIMiddleware.problem(for: error).detail)
        }
    }

    static func page(_ console: Console, tenant: StoredTenant, upn: String, choices: Choices, error: String?) async throws -> Console.Answer
    {
        var message = error
        var plan: Plan?
        do {
            let policy = try console.desk.clients.policy(for: tenant, overrides: choices.overrides)
            plan = try await console.desk.clients.service(for: tenant).plan(upn, policy: policy).plan
        } catch {
            // A choice the policy refuses (or a user who is not there) is said on the page, which keeps what was typed.
            let problem = APIMiddleware.problem(for: error)
            if problem.status >= 500 && !(problem.title.hasPrefix("Microsoft")) { throw error }
            message = problem.detail
        }
        let toggles = StepRegistry.policyNames.map { name in
            let kinds = StepRegistry.kinds(switchedOnBy: name)
            let title = StepRegistry.all.first { $0.policyName == name }?.catalog.title ?? name
            return StepToggle(
                name: name, id: "step-\(name)", title: title, on: choices.steps.contains(name),
                destructive: kinds.contains { $0.isDestructive })
        }
        let blockers = (plan?.blockers ?? []).map {
            FindingView(message: $0.message, resolution: $0.resolution, needsSuccessor: $0.code == "sole-owner")
        }
        let phases = Phase.allCases.compactMap { phase -> PhaseGroup? in
            let steps = (plan?.steps ?? []).filter { $0.phase == phase }
            guard !steps.isEmpty else { return nil }
            return PhaseGroup(
                name: phase.rawValue.capitalized,
                steps: steps.map { step in
                    let note = ConsoleFormat.note(step.disposition)
                    return PlanStepRow(title: step.title, kind: step.kind.rawValue, note: note, runs: step.willRun)
                })
        }
        return .page(
            "wizard-options", title: "Offboard \(upn)",
            OptionsStep(
                progress: progress(plan?.isBlocked == false ? 4 : 3), tenant: tenant.name, upn: upn,
                displayName: plan?.user.displayName ?? upn, toggles: toggles, delegate: choices.delegate, autoMapping: choices.autoMapping,
                fullAccess: choices.fullAccess,
                forwarding: choices.forwarding, keepCopy: choices.keepCopy, successor: choices.successor,
                successorInBlocker: blockers.contains(where: \.needsSuccessor), autoReplyInternal: choices.autoReplyInternal,
                autoReplyExternal: choices.autoReplyExternal, placeholders: Placeholders.known.sorted().map { "{\($0)}" },
                confirmWipe: choices.confirmWipe, atEndOfLastDay: choices.atEndOfLastDay, lastDay: choices.lastDay,
                wipes: plan?.runnableSteps.contains { $0.kind == WipeManagedDevice.kind } ?? false,
                phases: phases, blockers: blockers,
                warnings: (plan?.warnings ?? []).map { FindingView(message: $0.message, resolution: $0.resolution, needsSuccessor: false) },
                retention: plan?.retention ?? [],
                licences: (plan?.licencesToFree ?? []).isEmpty ? nil : (plan?.licencesToFree ?? []).joined(separator: ", "),
                runnable: plan?.runnableSteps.count ?? 0, blocked: plan?.isBlocked ?? true, error: message),
            status: message == nil ? .ok : .unprocessableContent)
    }
}
