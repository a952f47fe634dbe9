import ArgumentParser
import AsyncHTTPClient
import Foundation
import TurnoverCore
import TurnoverEngine
import TurnoverStore

struct SchedulesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schedules",
        abstract:
            "List, hold, release and cancel the offboardings of `turnover serve` that wait for their time (schedules and staged timelines).",
        subcommands: [SchedulesListCommand.self, SchedulesHoldCommand.self, SchedulesReleaseCommand.self, SchedulesCancelCommand.self])
}

struct SchedulesListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "The offboardings due later: scheduled ones and the waiting stages of staged timelines.")
    @OptionGroup var data: DataOptions
    @Option(help: "Only this tenant.") var tenant: String?
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        try await data.withWorkspace { workspace in
            let desk = OffboardingDesk(clients: TenantClients(workspace: workspace, http: .shared))
            let due = try await desk.dueLater(tenants: tenant.map { [$0] }, limit: 1000)
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
        // The desk's cancel: the same rule, record and audit entry as the API's and the console's.
        try await withScheduleDesk(data) { desk, actor in
            let request = try await desk.cancel(OffboardingID(id), by: actor, reason: reason)
            output("Cancelled \(id) (\(request.userPrincipalName)\(request.stage.map { ", stage \($0)" } ?? "")): it will not run.")
        }
    }
}

/// Runs one of the desk's decisions for the CLI's user, with the desk's refusals as plain errors.
func withScheduleDesk(
    _ data: DataOptions, _ body: (OffboardingDesk, OperatorName) async throws -> Void
) async throws {
    try await data.withWorkspace { workspace in
        let desk = OffboardingDesk(clients: TenantClients(workspace: workspace, http: .shared))
        let actor = OperatorName("cli:" + (ProcessInfo.processInfo.environment["USER"] ?? "unknown"))
        do {
            try await body(desk, actor)
        } catch let refusal as OffboardingRequest.Refusal {
            throw CLIError(refusal.description)
        } catch let missing as OffboardingDesk.NotFound {
            throw CLIError(missing.description)
        }
    }
}

struct SchedulesHoldCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hold", abstract: "Hold a waiting stage: at its time it is not planned until it is released.")
    @OptionGroup var data: DataOptions
    @Argument(help: "The stage's offboarding id (o-…).") var id: String
    @Option(help: "Why, for the record.") var reason: String

    func run() async throws {
        try await withScheduleDesk(data) { desk, actor in
            let request = try await desk.hold(OffboardingID(id), by: actor, reason: reason)
            output("Held \(id) (\(request.userPrincipalName)\(request.stage.map { ", stage \($0)" } ?? "")) until it is released.")
        }
    }
}

struct SchedulesReleaseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "release", abstract: "Release a held stage: planned at its time, or now if that has passed.")
    @OptionGroup var data: DataOptions
    @Argument(help: "The stage's offboarding id (o-…).") var id: String

    func run() async throws {
        try await withScheduleDesk(data) { desk, actor in
            let request = try await desk.release(OffboardingID(id), by: actor)
            output(
                "Released \(id): planned at \(request.runAt.map { ISO8601DateFormatter().string(from: $0) } ?? "its time"), then approved like any plan."
            )
        }
    }
}
