import ArgumentParser

@main
struct Turnover: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "turnover",
        abstract: "Offboard Microsoft 365 users safely, completely and fast.",
        version: "0.3.0",
        subcommands: [
            PlanCommand.self, OffboardCommand.self, StepsCommand.self, RunsCommand.self, RunCommand.self, ReportCommand.self,
            ResumeCommand.self, UndoCommand.self, RestoreCommand.self, TenantCommand.self,
            ServeCommand.self, OperatorCommand.self, AuditCommand.self, EvidenceCommand.self, NotifyCommand.self, SchedulesCommand.self,
            TicketCommand.self, PSACommand.self, SimulatorCommand.self,
            BenchCommand.self,
        ]
    )
}
