import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import TurnoverCore

/// How long a PSA ticket takes to come back with Turnover's record, against the HaloPSA of
/// `turnover serve --sandbox`: N leavers' tickets opened at once, polled in, approved and run. The
/// times are what a technician watching the ticket would see (read from the PSA simulator's state
/// every 50 ms), not Turnover's own records.
struct PSABench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "psa",
        abstract:
            "Ticket opened → plan note on the ticket, and run finished → report note and evidence pack on it, for N tickets at once (p50/p95/max)."
    )

    @Option(help: "Leavers' tickets opened at once.") var tickets = 10
    @Option(name: .customLong("poll-interval"), help: "serve's psaPollInterval, in seconds.") var pollInterval = 1.0
    @Option(name: .customLong("notify-interval"), help: "serve's notifyInterval, in seconds.") var notifyInterval = 0.5

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    func run() async throws {
        let server = try await BenchServer.start(
            operators: [("bench-admin", .admin), ("bench-approver", .approver)], arguments: ["--sandbox"],
            environment: ["TURNOVER_PSA_POLL_INTERVAL": "\(pollInterval)", "TURNOVER_NOTIFY_INTERVAL": "\(notifyInterval)"])
        defer { server.stop() }
        guard let haloLine = server.printed.split(separator: "\n").first(where: { $0.hasPrefix("Sandbox HaloPSA on ") }),
            let halo = haloLine.split(separator: " ").dropFirst(3).first.map(String.init)
        else { throw Failure(description: "serve --sandbox printed no HaloPSA") }
        let admin = server.token("bench-admin"), approver = server.token("bench-approver")

        // The sandbox's mapping, with polling on.
        let policy = try await server.call(.GET, "/tenants/contoso", token: admin).1["policyYAML"] as? String ?? ""
        let polling = policy.replacingOccurrences(of: "poll: false", with: "poll: true")
        let (saved, savedBody) = try await server.call(.PUT, "/tenants/contoso/policy", token: admin, ["yaml": polling])
        guard saved == 200 else { throw Failure(description: "policy: \(saved) \(savedBody)") }

        func haloTicket(_ id: String) async throws -> [String: Any] {
            let response = try await server.http.execute(HTTPClientRequest(url: "\(halo)/_sim/tickets/\(id)"), timeout: .seconds(30))
            let data = Data(buffer: try await response.body.collect(upTo: 64 << 20))
            return (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
        }
        func notes(_ ticket: [String: Any]) -> [String] {
            (ticket["notes"] as? [[String: Any]] ?? []).compactMap { $0["text"] as? String }
        }

        // Leavers: directory members with a first and a last name, skipping the break-glass account.
        let users = try await server.call(.GET, "/tenants/contoso/users?limit=100", token: admin).1["items"] as? [[String: Any]] ?? []
        let leavers = users.compactMap { user -> (name: String, upn: String)? in
            guard let name = user["displayName"] as? String, let upn = user["userPrincipalName"] as? String,
                name.split(separator: " ").count == 2, !upn.contains("breakglass"), !upn.contains("admin")
            else { return nil }
            return (name, upn)
        }.prefix(tickets)
        let clock = ContinuousClock()
        var opened: [String: ContinuousClock.Instant] = [:]
        for leaver in leavers {
            var request = HTTPClientRequest(url: "\(halo)/_sim/tickets")
            request.method = .POST
            request.body = .bytes(
                ByteBuffer(
                    data: try JSONSerialization.data(withJSONObject: [
                        "summary": "Termination: \(leaver.name)",
                        "details": "\(leaver.name) was terminated, effective immediately. Please offboard today.",
                    ])))
            let response = try await server.http.execute(request, timeout: .seconds(30))
            let body =
                (try? JSONSerialization.jsonObject(with: Data(buffer: try await response.body.collect(upTo: 1 << 20)))) as? [String: Any]
            guard let id = body?["id"] as? String else { throw Failure(description: "the HaloPSA simulator opened no ticket") }
            opened[id] = clock.now
        }

        note("\(opened.count) tickets opened on \(halo); waiting for Turnover's notes")
        // Ticket opened → Turnover's first note on it (the plan, or what a person must settle).
        var noted: [String: ContinuousClock.Instant] = [:]
        let deadline = clock.now + .seconds(300)
        while noted.count < opened.count, clock.now < deadline {
            for id in opened.keys where noted[id] == nil {
                if notes(try await haloTicket(id)).contains(where: { $0.contains("Turnover") || $0.contains("submitted") }) {
                    noted[id] = clock.now
                }
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        let imports =
            try await server.call(.GET, "/tenants/contoso/psa/imports?limit=200", token: admin).1["items"] as? [[String: Any]] ?? []
        var offboardings: [String: String] = [:]
        // Only the bench's own tickets (the sandbox's demo ticket is imported too, and runs on Friday).
        for item in imports {
            if let ticket = item["ticket"] as? String, opened[ticket] != nil, let id = item["offboarding"] as? String {
                offboardings[ticket] = id
            }
        }
        var awaiting: [String: String] = [:]
        for (ticket, id) in offboardings
        where try await server.call(.GET, "/offboardings/\(id)", token: admin).1["status"] as? String == "awaiting-approval" {
            awaiting[ticket] = id
        }
        for id in awaiting.values { _ = try await server.call(.POST, "/offboardings/\(id)/approve", token: approver, [:]) }
        note("\(noted.count) noted, \(offboardings.count) submitted, \(awaiting.count) approved; waiting for the runs and their records")

        // Run finished (as the API shows it) → the report note, then the evidence pack, on the ticket.
        var finished: [String: ContinuousClock.Instant] = [:]
        var reported: [String: ContinuousClock.Instant] = [:]
        var packed: [String: ContinuousClock.Instant] = [:]
        let runDeadline = clock.now + .seconds(600)
        while packed.count < awaiting.count, clock.now < runDeadline {
            for (ticket, id) in awaiting where packed[ticket] == nil {
                if finished[ticket] == nil {
                    let status = try await server.call(.GET, "/offboardings/\(id)", token: admin).1["status"] as? String ?? ""
                    if ["succeeded", "partially-succeeded", "failed"].contains(status) { finished[ticket] = clock.now }
                }
                guard finished[ticket] != nil else { continue }
                let state = try await haloTicket(ticket)
                if reported[ticket] == nil, notes(state).contains(where: { $0.contains("completed") || $0.contains("failed") }) {
                    reported[ticket] = clock.now
                }
                if !(state["attachments"] as? [Any] ?? []).isEmpty { packed[ticket] = clock.now }
            }
            try await Task.sleep(for: .milliseconds(50))
        }

        func summary(_ values: [Duration]) -> String {
            let seconds = values.map { Double($0.components.seconds) + Double($0.components.attoseconds) / 1e18 }.sorted()
            guard !seconds.isEmpty else { return "none" }
            let p50 = seconds[seconds.count / 2], p95 = seconds[min(seconds.count - 1, Int(Double(seconds.count) * 0.95))]
            return String(format: "p50 %.2f s, p95 %.2f s, max %.2f s (%d)", p50, p95, seconds.last ?? 0, seconds.count)
        }
        let outcomes = Dictionary(
            grouping: imports.filter { opened[$0["ticket"] as? String ?? ""] != nil }, by: { $0["outcome"] as? String ?? "?" }
        ).mapValues(\.count)
        output(
            """
            PSA round trip against serve --sandbox's HaloPSA (\(ServeBench.buildConfiguration) build, \(ProcessInfo.processInfo.activeProcessorCount) cores; psaPollInterval \(pollInterval) s, notifyInterval \(notifyInterval) s)
              tickets opened at once:              \(opened.count); imported: \(outcomes.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", "))
              ticket opened → Turnover's note:     \(summary(opened.compactMap { id, at in noted[id].map { $0 - at } }))
              approved and run:                    \(finished.count) of \(awaiting.count)
              run finished → report note:          \(summary(finished.compactMap { ticket, at in reported[ticket].map { $0 - at } }))
              run finished → evidence pack on it:  \(summary(finished.compactMap { ticket, at in packed[ticket].map { $0 - at } }))
            """)
    }
}
