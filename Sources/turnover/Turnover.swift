import ArgumentParser

@main
struct Turnover: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "turnover",
        abstract: "Offboard and onboard Microsoft 365 users safely, completely and fast.",
        subcommands: [SimulatorCommand.self, BenchCommand.self]
    )
}
