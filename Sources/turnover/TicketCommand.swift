import ArgumentParser
import AsyncHTTPClient
import Foundation
import TurnoverCore
import TurnoverEngine
import TurnoverStore

struct TicketCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ticket", abstract: "Read a PSA ticket into an offboarding draft (rules and the directory; no language model).",
        subcommands: [TicketReadCommand.self])
}

struct TicketReadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "read",
        abstract:
            "Show what a ticket says: leaver, last day, delegate, forwarding, manager, hostile exit and instructions, each with its words.",
        discussion: "Nothing is planned or submitted: the draft printed is what `offboard` or the console's wizard would take.")
    @OptionGroup var data: DataOptions
    @Option(help: "The stored tenant whose directory resolves the names.") var tenant: String
    @Option(help: "The ticket's subject.") var subject: String = ""
    @Option(name: .customLong("body-file"), help: "A file with the ticket's text (- for standard input).") var bodyFile: String
    @Option(name: .customLong("field"), help: "A PSA field, Name=Value (repeatable), e.g. \"Last day=2026-12-04\".")
    var fields: [String] = []
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        let body =
            bodyFile == "-"
            ? String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
            : try String(contentsOfFile: bodyFile, encoding: .utf8)
        var fieldValues: [String: String] = [:]
        for field in fields {
            guard let equals = field.firstIndex(of: "=") else { throw ValidationError("--field takes Name=Value, not '\(field)'.") }
            fieldValues[String(field[..<equals])] = String(field[field.index(after: equals)...])
        }
        let ticket = TicketText(subject: subject, body: body, fields: fieldValues, receivedAt: Date())
        try await data.withWorkspace { workspace in
            guard let stored = try await workspace.store.tenant(named: tenant) else { throw CLIError("No tenant '\(tenant)'.") }
            let http = HTTPClient(eventLoopGroupProvider: .singleton)
            let reading: TicketIntake.Reading
            do {
                reading = try await TicketIntake(clients: TenantClients(workspace: workspace, http: http)).read(ticket, tenant: stored)
                try await http.shutdown()
            } catch {
                try? await http.shutdown()
                throw error
            }
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                encoder.dateEncodingStrategy = .iso8601
                let document = TicketReadOutput(extraction: reading.extraction, draft: reading.draft, directorySize: reading.directorySize)
                output(String(decoding: try encoder.encode(document), as: UTF8.self))
                return
            }
            output(Self.describe(reading))
        }
    }

    static func describe(_ reading: TicketIntake.Reading) -> String {
        let extraction = reading.extraction
        func line(_ label: String, _ value: String?, _ words: String?) -> String? {
            value.map { "\(label): \($0)" + (words.map { "   ← “\($0)”" } ?? "") }
        }
        var lines = [
            line("Offboarding", extraction.isOffboarding.map { $0.value ? "yes" : "no" }, extraction.isOffboarding?.evidence.words),
            line(
                "Leaver", extraction.leaver.map { "\($0.value.displayName) <\($0.value.userPrincipalName)>" },
                extraction.leaver?.evidence.words),
            line("Last day", extraction.lastDay?.value.description, extraction.lastDay?.evidence.words),
            line("Time", extraction.lastTime?.value.description, extraction.lastTime?.evidence.words),
            line(
                "Hostile", extraction.hostile.map { $0.value ? "yes: runs as soon as approved" : "no" }, extraction.hostile?.evidence.words),
            line("Delegate", extraction.delegate?.value.userPrincipalName, extraction.delegate?.evidence.words),
            line("Forward to", extraction.forwardingTo?.value.userPrincipalName, extraction.forwardingTo?.evidence.words),
            line("Manager", extraction.manager?.value.userPrincipalName, extraction.manager?.evidence.words),
        ].compactMap { $0 }
        lines += extraction.instructions.map { "Instruction: \($0.value)" }
        lines += reading.draft.blockers.map { "✘ \($0)" }
        if reading.draft.isReady {
            var command = "turnover offboard \(reading.draft.userPrincipalName ?? "")"
            command += reading.draft.overrides.map { " --set \($0)" }.joined()
            lines.append("Ready. Draft: \(command)\(reading.draft.lastDay.map { " (last day \($0))" } ?? "")")
        }
        lines.append("(names matched against \(reading.directorySize) people in the directory)")
        return lines.joined(separator: "\n")
    }
}

/// `ticket read --json`: the extraction with its evidence, and the draft.
struct TicketReadOutput: Encodable {
    var extraction: TicketExtraction
    var draft: TicketDraft
    var directorySize: Int
}
