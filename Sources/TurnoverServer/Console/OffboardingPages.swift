import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import OpenAPIRuntime
import TurnoverCore
import TurnoverEngine
import TurnoverStore

/// Offboardings: the list, the approvals inbox, and one offboarding's page, which is where it is
/// approved (as planned, or with changes shown as a diff first), rejected or cancelled, watched
/// live while it runs, and where its report is read and its undo submitted.
enum OffboardingPages {
    static func register(_ console: Console, on router: Router<BasicRequestContext>) {
        console.add(router, .get, "/offboardings", operation: "listOffboardings", list)
        console.add(router, .get, "/approvals", operation: "approveOffboarding", approvals)
        console.add(router, .get, "/offboardings/:id", operation: "getOffboarding", show)
        console.add(router, .post, "/offboardings/:id/approve", operation: "approveOffboarding", approve)
        console.add(router, .post, "/offboardings/:id/reject", operation: "rejectOffboarding", reject)
        console.add(router, .post, "/offboardings/:id/cancel", operation: "cancelOffboarding", cancel)
        console.add(router, .post, "/offboardings/:id/hold", operation: "holdOffboarding", hold)
        console.add(router, .post, "/offboardings/:id/release", operation: "releaseOffboarding", release)
        console.add(router, .post, "/offboardings/:id/undo", operation: "submitUndo", undo)
        console.add(router, .get, "/offboardings/:id/events", operation: "streamOffboardingEvents", events)
        console.add(router, .get, "/offboardings/:id/report.md", operation: "getOffboardingReport") { console, visit in
            try await report(console, visit, format: "md")
        }
        console.add(router, .get, "/offboardings/:id/report.json", operation: "getOffboardingReport") { console, visit in
            try await report(console, visit, format: "json")
        }
        console.add(router, .get, "/offboardings/:id/report.html", operation: "getOffboardingReport") { console, visit in
            try await report(console, visit, format: "html")
        }
        console.add(router, .get, "/offboardings/:id/evidence.zip", operation: "getOffboardingEvidence", evidence)
    }

    // MARK: Lists

    struct ListView {
        var rows: [DashboardPage.Row]
        var statuses: [Choice]
        var tenant: String
        var user: String
        var nextHref: String?
        var firstHref: String?
        var inbox: Bool
    }

    struct Choice {
        var value: String
        var label: String
        var selected: Bool
    }

    static func list(_ console: Console, _ visit: Console.Visit) async throws -> Console.Answer {
        let status = visit.query["status"].flatMap(OffboardingRequest.Status.init(rawValue:))
        let tenant = visit.query["tenant"]
        let user = visit.query["user"]
        let principal = visit.principal
        var found: [OffboardingRequest] = []
        if tenant.map(principal.sees) ?? true {
            found = try await console.store.offboardings(
                OffboardingFilter(
                    tenants: principal.tenants.isEmpty ? nil : Array(principal.tenants), tenant: tenant, status: status,
                    userPrincipalName: user), limit: 26, after: visit.query["cursor"].map { OffboardingID($0) })
        }
        let page = Array(found.prefix(25))
        let base =
            "/offboardings?status=\(status?.rawValue ?? "")&tenant=\(FormFields.escape(tenant ?? ""))&user=\(FormFields.escape(user ?? ""))"
        let choices =
            [Choice(value: "", label: "any status", selected: status == nil)]
            + OffboardingRequest.Status.allCases.map {
                Choice(value: $0.rawValue, label: ConsoleFormat.status($0).label, selected: $0 == status)
            }
        return .page(
            "offboardings", title: "Offboardings",
            ListView(
                rows: page.map(DashboardPage.row), statuses: choices, tenant: tenant ?? "", user: user ?? "",
                nextHref: found.count > 25 ? page.last.map { base + "&cursor=" + $0.id.rawValue } : nil,
                firstHref: visit.query.has("cursor") ? base : nil, inbox: false))
    }

    static func approvals(_ console: Console, _ visit: Console.Visit) async throws -> Console.Answer {
        let principal = visit.principal
        let waiting = try await console.store.offboardings(
            OffboardingFilter(tenants: principal.tenants.isEmpty ? nil : Array(principal.tenants), status: .awaitingApproval), limit: 100,
            after: nil)
        return .page(
            "approvals", title: "Approvals",
            ApprovalsView(
                mine: waiting.filter { $0.submittedBy == principal.name }.map(DashboardPage.row),
                others: waiting.filter { $0.submittedBy != principal.name && !$0.approvals.contains { $0.operator_ == principal.name } }
                    .map(DashboardPage.row)))
    }

    struct ApprovalsView {
        var mine: [DashboardPage.Row]
        var others: [DashboardPage.Row]
    }

    // MARK: One offboarding

    struct StepRow {
        var id: String
        var title: String
        var kind: String
        var phase: String
        var status: String
        var tone: String
        var detail: String?
        var runs: Bool
    }

    struct DecisionRow {
        var who: String
        var when: String
        var comment: String?
    }

    struct DetailView {
        var id: String
        var tenant: String
        var user: String
        var displayName: String
        var status: String
        var tone: String
        var live: Bool
        var submittedBy: String
        var submittedAt: String
        var expiresAt: String
        var timing: String?
        var quorum: Int
        var approvals: [DecisionRow]
        var rejection: DecisionRow?
        var cancellation: DecisionRow?
        var notes: [String]
        var undoes: String?
        var steps: [StepRow]
        var blockers: [String]
        var warnings: [String]
        var retention: [String]
        var canDecide: Bool
        var ownSubmission: Bool
        var canCancel: Bool
        var canUndo: Bool
        var hasReport: Bool
        var error: String?
        var reason: String
        /// Set when the page was opened from an approval request's link.
        var linkNote: String?
        var linkValid: Bool = false
        var notifications: [NotificationRow] = []
        /// Stored, not computed: templates see stored properties only.
        var hasNotifications = false
        var stage: String? = nil
        /// A later stage not yet due: it has no plan until then.
        var waitingStage = false
        var canHold = false
        var canRelease = false
        var holdNote: String? = nil
        /// Every stage of the timeline this offboarding belongs to (empty without one).
        var stages: [StageRow] = []
    }

    struct StageRow {
        var id: String
        var name: String
        var when: String
        var status: String
        var tone: String
        var isThis: Bool
    }

    struct NotificationRow {
        var event: String
        var channel: String
        var target: String
        var status: String
        var tone: String
        var attempts: String
    }

    static func notificationRows(_ deliveries: [NotificationDelivery]) -> [NotificationRow] {
        deliveries.map { delivery in
            let tone =
                switch delivery.status {
                case .delivered: "good"
                case .failed: "bad"
                case .pending: "wait"
                }
            let attempts = delivery.attempts.map { "\(ConsoleFormat.when($0.at)): \($0.detail)" }.joined(separator: "; ")
            return NotificationRow(
                event: delivery.event.rawValue, channel: delivery.channel.rawValue, target: delivery.target,
                status: delivery.status.rawValue,
                tone: tone, attempts: attempts.isEmpty ? "not tried yet" : attempts)
        }
    }

    static func detail(
        _ console: Console, _ visit: Console.Visit, _ request: OffboardingRequest, error: String? = nil
    ) async throws
        -> DetailView
    {
        let principal = visit.principal
        let run = try await request.runId.asyncMap { try await console.store.run($0) } ?? nil
        let steps: [StepRow]
        if let run {
            steps = run.steps.map { step in
                let (label, tone) = ConsoleFormat.step(step.status)
                var detail = step.error?.description ?? step.reason
                if detail == nil, let before = step.before, let after = step.after { detail = "\(before) → \(after)" }
                return StepRow(
                    id: step.id.rawValue, title: step.title, kind: step.kind.rawValue, phase: step.phase.rawValue, status: label,
                    tone: tone,
                    detail: detail, runs: true)
            }
        } else {
            steps = request.plan.steps.map { step in
                let note = ConsoleFormat.note(step.disposition)
                return StepRow(
                    id: step.id.rawValue, title: step.title, kind: step.kind.rawValue, phase: step.phase.rawValue,
                    status: step.willRun ? "planned" : "not changed", tone: "wait", detail: note, runs: step.willRun)
            }
        }
        let (label, tone) = ConsoleFormat.status(request.status)
        func row(_ decision: OffboardingRequest.Decision) -> DecisionRow {
            DecisionRow(who: decision.operator_.rawValue, when: ConsoleFormat.when(decision.at), comment: decision.comment)
        }
        let awaiting = request.status == .awaitingApproval
        let notifications = notificationRows(try await console.store.deliveries(offboarding: request.id, limit: 200))
        return DetailView(
            id: request.id.rawValue, tenant: request.tenant, user: request.userPrincipalName, displayName: request.plan.user.displayName,
            status: label, tone: tone, live: !request.status.isFinal, submittedBy: request.submittedBy.rawValue,
            submittedAt: ConsoleFormat.when(request.submittedAt), expiresAt: ConsoleFormat.when(request.expiresAt), timing: request.timing,
            quorum: request.quorum,
            approvals: request.approvals.map(row), rejection: request.rejection.map(row), cancellation: request.cancellation.map(row),
            notes: request.notes, undoes: request.undoes?.rawValue, steps: steps, blockers: request.plan.blockers.map(\.description),
            warnings: request.plan.warnings.map(\.description), retention: request.plan.retention,
            canDecide: awaiting && visit.may("approveOffboarding") && request.submittedBy != principal.name
                && !request.approvals.contains { $0.operator_ == principal.name },
            ownSubmission: awaiting && request.submittedBy == principal.name,
            canCancel: !request.status.isFinal && request.status != .running && visit.may("cancelOffboarding")
                && (principal.has(.admin) || principal.has(.approver) || request.submittedBy == principal.name),
            canUndo: request.status.isFinal && run != nil && request.undoes == nil && visit.may("submitUndo"), hasReport: run != nil,
            error: error, reason: "",
            notifications: notifications, hasNotifications: !notifications.isEmpty, stage: request.stage,
            waitingStage: request.status == .waiting || request.status == .held,
            canHold: request.status == .waiting && visit.may("holdOffboarding"),
            canRelease: request.status == .held && visit.may("releaseOffboarding"),
            holdNote: request.holding.map { "Held by \($0.operator_) — \($0.comment ?? ""). It is not planned until it is released." },
            stages: request.timeline == nil
                ? []
                : try await console.api.desk.timeline(of: request).map { stage in
                    let (label, tone) = ConsoleFormat.status(stage.status)
                    return StageRow(
                        id: stage.id.rawValue, name: stage.stage ?? "", when: stage.runAt.map(ConsoleFormat.when) ?? "once approved",
                        status: label, tone: tone, isThis: stage.id == request.id)
                })
    }

    static func show(_ console: Console, _ visit: Console.Visit) async throws -> Console.Answer {
        let (request, _) = try await console.api.visibleOffboarding(visit.parameter("id"))
        var view = try await detail(console, visit, request)
        if let token = visit.query["link"] {
            // The link proves only that Turnover sent it and when; the operator signed in to get here,
            // and approving still takes the form below.
            if console.secrets.approvalLinkIsValid(token, for: request.id, now: Date()) {
                view.linkValid = true
                view.linkNote =
                    "You opened this from an approval request. Review the plan below; nothing is approved until you approve it here."
            } else {
                view.linkNote =
                    "This approval link has expired or was altered. The offboarding is shown as it stands; opening a link approves nothing."
            }
        }
        return .page("offboarding", title: "Offboarding of \(request.userPrincipalName)", view)
    }

    /// Re-shows the page with a sentence saying why the action was refused.
    static func refused(_ console: Console, _ visit: Console.Visit, _ error: any Error) async throws -> Console.Answer {
        let problem = APIMiddleware.problem(for: error)
        let (request, _) = try await console.api.visibleOffboarding(visit.parameter("id"))
        var view = try await detail(console, visit, request, error: problem.detail)
        view.reason = visit.form["reason"] ?? ""
        return .page("offboarding", title: "Offboarding of \(request.userPrincipalName)", view, status: .init(code: problem.status))
    }

    struct ChangesView {
        var id: String
        var user: String
        var kept: [String]
        var comment: String
        var rows: [Change]
        /// "1 step" or "3 steps".
        var dropped: String

        struct Change {
            var title: String
            var mark: String
            var tone: String
            var why: String?
        }
    }

    /// The approve form lists the steps with a "keep" box each. Unticking any is an approval with
    /// changes: first the diff (what will not run, including what needed it), then the approval.
    static func approve(_ console: Console, _ visit: Console.Visit) async throws -> Console.Answer {
        let id = visit.parameter("id")
        do {
            let (request, _) = try await console.api.visibleOffboarding(id)
            let kept = Set(visit.form.all("keep"))
            let dropped = request.plan.steps.filter { $0.willRun && !kept.contains($0.id.rawValue) }.map(\.id)
            if !dropped.isEmpty, visit.form["confirm"] != "yes" {
                let (_, allDropped) = request.plan.dropping(Set(dropped))
                let chosen = Set(dropped)
                return .page(
                    "approve-changes", title: "Approve with changes",
                    ChangesView(
                        id: id, user: request.userPrincipalName, kept: Array(kept).sorted(), comment: visit.form["comment"] ?? "",
                        rows: request.plan.steps.filter(\.willRun).map { step in
                            guard allDropped.contains(step.id) else { return .init(title: step.title, mark: " ", tone: "same", why: nil) }
                            return .init(
                                title: step.title, mark: "−", tone: "removed",
                                why: chosen.contains(step.id) ? "left out by you" : "left out: it needs a step you left out")
                        }, dropped: allDropped.count == 1 ? "1 step" : "\(allDropped.count) steps"))
            }
            _ = try await console.api.approveOffboarding(
                .init(
                    path: .init(id: id),
                    body: .json(.init(comment: visit.form["comment"], dropSteps: dropped.isEmpty ? nil : dropped.map(\.rawValue))))
            ).ok
            return .redirect("/offboardings/\(id)")
        } catch {
            return try await refused(console, visit, error)
        }
    }

    static func reject(_ console: Console, _ visit: Console.Visit) async throws -> Console.Answer {
        let id = visit.parameter("id")
        do {
            guard let reason = visit.form["reason"] else {
                throw APIProblem.badRequest("Say why you reject it: the submitter reads the reason.")
            }
            _ = try await console.api.rejectOffboarding(.init(path: .init(id: id), body: .json(.init(reason: reason)))).ok
            return .redirect("/offboardings/\(id)")
        } catch {
            return try await refused(console, visit, error)
        }
    }

    static func cancel(_ console: Console, _ visit: Console.Visit) async throws -> Console.Answer {
        let id = visit.parameter("id")
        do {
            let reason = visit.form["reason"] ?? "cancelled from the console"
            _ = try await console.api.cancelOffboarding(.init(path: .init(id: id), body: .json(.init(reason: reason)))).ok
            return .redirect("/offboardings/\(id)")
        } catch {
            return try await refused(console, visit, error)
        }
    }

    static func hold(_ console: Console, _ visit: Console.Visit) async throws -> Console.Answer {
        let id = visit.parameter("id")
        do {
            let reason = visit.form["reason"] ?? "held from the console"
            _ = try await console.api.holdOffboarding(.init(path: .init(id: id), body: .json(.init(reason: reason)))).ok
            return .redirect("/offboardings/\(id)")
        } catch {
            return try await refused(console, visit, error)
        }
    }

    static func release(_ console: Console, _ visit: Console.Visit) async throws -> Console.Answer {
        let id = visit.parameter("id")
        do {
            _ = try await console.api.releaseOffboarding(.init(path: .init(id: id))).ok
            return .redirect("/offboardings/\(id)")
        } catch {
            return try await refused(console, visit, error)
        }
    }

    static func undo(_ console: Console, _ visit: Console.Visit) async throws -> Console.Answer {
        let id = visit.parameter("id")
        do {
            let undo = try await console.api.submitUndo(.init(path: .init(id: id), body: .json(.init()))).created.body.json
            return .redirect("/offboardings/\(undo.id)")
        } catch {
            return try await refused(console, visit, error)
        }
    }

    /// The API's own event stream, read with the browser's session cookie.
    static func events(_ console: Console, _ visit: Console.Visit) async throws -> Console.Answer {
        let output = try await console.api.streamOffboardingEvents(.init(path: .init(id: visit.parameter("id"))))
        guard case .textEventStream(let body) = try output.ok.body else { throw APIProblem.notFound("No events.") }
        return .response(
            Response(
                status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-store"],
                body: ResponseBody { writer in
                    for try await chunk in body { try await writer.write(ByteBuffer(bytes: chunk)) }
                    try await writer.finish(nil)
                }))
    }

    // MARK: The report

    struct ReportView {
        var id: String
        var tenant: String
        var user: String
        var displayName: String
        var headline: String
        var status: String
        var tone: String
        var started: String
        var finished: String
        var approvals: [DecisionRow]
        var submittedBy: String
        var steps: [ReportStep]
        /// Nil when none was freed.
        var licences: String?
        var retention: [String]
        /// The stylesheet, embedded in the downloaded file so it reads without the console.
        var css = ""
    }

    struct ReportStep {
        var title: String
        var status: String
        var tone: String
        var before: String?
        var after: String?
        var reason: String?
        var error: String?
        var finished: String
    }

    static func report(_ console: Console, _ visit: Console.Visit, format: String) async throws -> Console.Answer {
        let (request, _) = try await console.api.visibleOffboarding(visit.parameter("id"))
        guard let runId = request.runId, let run = try await console.store.run(runId) else {
            throw APIProblem.conflict(
                "This offboarding is \(ConsoleFormat.status(request.status).label) and has not run, so it has no report yet.")
        }
        let name = "turnover-\(request.id.rawValue)"
        switch format {
        case "md":
            return .response(download(Report.markdown(run).utf8, type: "text/markdown; charset=utf-8", file: "\(name).md"))
        case "json":
            return .response(download(try Report.json(run), type: "application/json", file: "\(name).json"))
        default:
            let view = reportView(run: run, request: request)
            guard visit.query.has("download") else { return .page("report", title: "Report: \(run.user.userPrincipalName)", view) }
            var file = view
            file.css = String(decoding: console.templates.assets["console.css"]?.bytes ?? [], as: UTF8.self)
            let html = console.templates.render(
                "report-file", title: "Report: \(run.user.userPrincipalName)", page: file, shell: Shell(assetVersion: ""))
            return .response(download(html.utf8, type: "text/html; charset=utf-8", file: "\(name).html"))
        }
    }

    static func reportView(run: RunRecord, request: OffboardingRequest) -> ReportView {
        let (label, tone) = ConsoleFormat.status(request.status)
        return ReportView(
            id: request.id.rawValue, tenant: run.tenant, user: run.user.userPrincipalName, displayName: run.user.displayName,
            headline: Report.headline(run), status: label, tone: tone, started: ConsoleFormat.when(run.startedAt),
            finished: ConsoleFormat.when(run.finishedAt),
            approvals: request.approvals.map {
                DecisionRow(who: $0.operator_.rawValue, when: ConsoleFormat.when($0.at), comment: $0.comment)
            },
            submittedBy: request.submittedBy.rawValue,
            steps: run.steps.map { step in
                let (label, tone) = ConsoleFormat.step(step.status)
                return ReportStep(
                    title: step.title, status: label, tone: tone, before: step.before, after: step.after, reason: step.reason,
                    error: step.error?.description, finished: ConsoleFormat.when(step.finishedAt))
            }, licences: run.licencesFreed.isEmpty ? nil : run.licencesFreed.joined(separator: ", "), retention: run.plan.retention)
    }

    /// The report as one HTML file with its stylesheet inside, readable without the console.
    static func standaloneReport(run: RunRecord, request: OffboardingRequest, templates: ConsoleTemplates) -> String {
        var file = reportView(run: run, request: request)
        file.css = String(decoding: templates.assets["console.css"]?.bytes ?? [], as: UTF8.self)
        return templates.render("report-file", title: "Report: \(run.user.userPrincipalName)", page: file, shell: Shell(assetVersion: ""))
    }

    static func evidence(_ console: Console, _ visit: Console.Visit) async throws -> Console.Answer {
        let (request, _) = try await console.api.visibleOffboarding(visit.parameter("id"))
        let pack = try await EvidenceExport.pack(
            for: request, store: console.store, secrets: console.desk.clients.workspace.secrets, at: console.desk.now())
        return .response(download(pack, type: "application/zip", file: "turnover-evidence-\(request.id.rawValue).zip"))
    }

    static func download(_ bytes: some Sequence<UInt8>, type: String, file: String) -> Response {
        Response(
            status: .ok, headers: [.contentType: type, .contentDisposition: "attachment; filename=\"\(file)\""],
            body: .init(byteBuffer: ByteBuffer(bytes: Array(bytes))))
    }
}
