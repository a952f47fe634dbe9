import Foundation
import TurnoverCore
import TurnoverEngine
import TurnoverStore

/// The first page after signing in: what needs approval, what runs now, what needs attention, and
/// the licences freed this month per tenant.
enum DashboardPage {
    struct Row {
        var id: String
        var href: String
        var tenant: String
        var user: String
        var status: String
        var tone: String
        var submittedBy: String
        var submittedAt: String
        var steps: Int
        /// When a scheduled offboarding runs ("" when it runs once approved).
        var runAt: String
    }

    struct Freed {
        var tenant: String
        var count: Int
        var skus: String
    }

    struct View {
        var awaiting: [Row]
        var awaitingCount: Int
        var hasFreed: Bool
        var running: [Row]
        var scheduled: [Row]
        var attention: [Row]
        var freed: [Freed]
        var month: String
        var canOffboard: Bool
        var canApprove: Bool
    }

    static func row(_ request: OffboardingRequest) -> Row {
        let (label, tone) = ConsoleFormat.status(request.status)
        return Row(
            id: request.id.rawValue, href: "/offboardings/\(request.id.rawValue)", tenant: request.tenant, user: request.userPrincipalName,
            status: label, tone: tone, submittedBy: request.submittedBy.rawValue, submittedAt: ConsoleFormat.when(request.submittedAt),
            steps: request.plan.runnableSteps.count, runAt: request.runAt.map(ConsoleFormat.when) ?? "")
    }

    static func show(_ console: Console, _ visit: Console.Visit) async throws -> Console.Answer {
        let principal = visit.principal
        let scope = principal.tenants.isEmpty ? nil : Array(principal.tenants)
        func list(_ status: OffboardingRequest.Status, limit: Int = 20) async throws -> [OffboardingRequest] {
            try await console.store.offboardings(OffboardingFilter(tenants: scope, status: status), limit: limit, after: nil)
        }
        let awaiting = try await list(.awaitingApproval)
        let now = console.desk.now()
        let approved = try await list(.approved, limit: 100)
        let running = try await list(.running) + approved.filter { ($0.runAt ?? now) <= now }
        let scheduled = try await console.desk.dueLater(tenants: scope, limit: 100)
        var attention: [OffboardingRequest] = []
        for status in [OffboardingRequest.Status.failed, .partiallySucceeded, .blocked] { attention += try await list(status) }
        attention.sort { $0.submittedAt > $1.submittedAt }

        // Licences freed this month: what the runs' licence steps verifiably removed.
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = .gmt
        let monthStart = calendar.date(from: calendar.dateComponents([.year, .month], from: now)) ?? now
        var freed: [String: [String]] = [:]
        for status in [OffboardingRequest.Status.succeeded, .partiallySucceeded] {
            for request in try await list(status, limit: 500) where request.submittedAt >= monthStart.addingTimeInterval(-31 * 86400) {
                guard let runId = request.runId, let run = try await console.store.run(runId) else { continue }
                for step in run.steps where step.status == .succeeded && (step.finishedAt ?? .distantPast) >= monthStart {
                    freed[request.tenant, default: []] += step.licencesFreed ?? []
                }
            }
        }
        let month = monthStart.formatted(
            Date.FormatStyle(date: .omitted, time: .omitted).month(.wide).year().locale(Locale(identifier: "en_GB")))
        return .page(
            "dashboard", title: "Dashboard",
            View(
                awaiting: awaiting.map(row), awaitingCount: awaiting.count, hasFreed: !freed.isEmpty, running: running.map(row),
                scheduled: scheduled.map(row),
                attention: Array(attention.prefix(20)).map(row),
                freed: freed.keys.sorted().map { tenant in
                    let skus = freed[tenant] ?? []
                    let counted = Dictionary(grouping: skus, by: { $0 }).map { "\($0.key) × \($0.value.count)" }.sorted()
                    return Freed(tenant: tenant, count: skus.count, skus: counted.joined(separator: ", "))
                }, month: month, canOffboard: visit.may("createPlan"), canApprove: visit.may("approveOffboarding")))
    }
}
