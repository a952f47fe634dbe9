import ArgumentParser
import AsyncHTTPClient
import Foundation
import TurnoverCore
import TurnoverEngine
import TurnoverStore

struct SchedulesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schedules",
        abstract: "List and cancel the offboardings of `turnover serve` that wait for their time (schedules and staged timelines).",
        subcommands: [SchedulesListCommand.self, SchedulesCancelCommand.self])
}

struct SchedulesListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "The offboardings due later: scheduled ones and the waiting stages of staged timelines.")
    @OptionGroup var data: DataOptions
    @Option(help: "Only this tenant.") var tenant: String?
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        try await data.withWorkspace { workspace in
            let now = Date()
            var due: [OffboardingRequest] = []
            for status in [OffboardingRequest.Status.awaitingApproval, .approved, .waiting] {
                due += try await workspace.store.offboardings(OffboardingFilter(tenant: tenant, status: status), limit: 1000, after: nil)
                    .filter { ($0.runAt ?? now) > now || $0.status == .waiting }
            }
            due.sort { ($0.runAt ?? now, $0.id.rawValue) < ($1.runAt ?? now, $1.id.rawValue) }
            if json {
                let rows = due.map { request in
                    [
                        "id": request.id.rawValue, "tenant": request.tenant, "user": request.userPrincipalName,
                        "status": request.status.rawValue,
                        "runAt": request.runAt.map { ISO8601DateFormatter().string(from: $0) } ?? "", "stage": request.stage ?? "",
                        "timeline": request.timeline?.rawValue ?? "", "timing": request.timing ?? "",
                    ]
                }
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                output(String(decoding: try encoder.encode(rows), as: UTF8.self))
                return
            }
            if due.isEmpty { output("Nothing is scheduled.") }
            for request in due {
                let when = request.runAt.map { ISO8601DateFormatter().string(from: $0) } ?? "once approved"
                let stage = request.stage.map { "  stage \($0)" } ?? ""
                output("\(request.id)  \(when)  \(request.tenant)  \(request.userPrincipalName)  \(request.status.rawValue)\(stage)")
            }
        }
    }
}

struct SchedulesCancelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cancel", abstract: "Cancel a scheduled offboarding or a waiting stage before it starts; it never runs.")
    @OptionGroup var data: DataOptions
    @Argument(help: "The offboarding's id (o-…).") var id: String
    @Option(help: "Why, for the record.") var reason: String

    func run() async throws {
        try await data.withWorkspace { workspace in
            // The desk's cancel: the same rule, record and audit entry as the API's and the console's.
            let desk = OffboardingDesk(clients: TenantClients(workspace: workspace, http: .shared))
            let actor = OperatorName("cli:" + (ProcessInfo.processInfo.environment["USER"] ?? "unknown"))
            let request: OffboardingRequest
            do {
                request = try await desk.cancel(OffboardingID(id), by: actor, reason: reason)
            } catch let refusal as OffboardingRequest.Refusal {
                throw CLIError(refusal.description)
            } catch let missing as OffboardingDesk.NotFound {
                throw CLIError(missing.description)
            }
            output("Cancelled \(id) (\(request.userPrincipalName)\(request.stage.map { ", stage \($0)" } ?? "")): it will not run.")
        }
    }
}
