import ArgumentParser
import AsyncHTTPClient
import Foundation
import HummingbirdOTP
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import TurnoverCore
import TurnoverEngine
import TurnoverServer
import TurnoverStore

/// Memory and API latency of `turnover serve --sandbox`: idle, then with many offboardings
/// running at once. Starts serve as its own process, as it runs in production.
struct ServeBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Idle RSS of `turnover serve --sandbox`, then RSS and p50/p95 API latency with N offboardings running at once.")

    @Option(help: "Offboardings running at once.") var runs = 20
    @Option(name: .customLong("idle-seconds"), help: "How long serve idles before its idle RSS is read.") var idleSeconds = 5

    func run() async throws {
        let server = try await BenchServer.start(
            operators: [("bench-tech", .technician), ("bench-approver", .approver)], arguments: ["--sandbox"])
        defer { server.stop() }
        let process = server.process
        try await Task.sleep(for: .seconds(idleSeconds))
        let idle = Self.rss(process.processIdentifier)
        func call(_ method: HTTPMethod, _ path: String, token: String?, _ body: [String: Any]? = nil) async throws -> (Int, [String: Any]) {
            try await server.call(method, path, token: token, body)
        }
        let technician = server.token("bench-tech"), approver = server.token("bench-approver")

        let users = try await call(.GET, "/tenants/contoso/users?limit=100", token: technician).1["items"] as? [[String: Any]] ?? []
        var ids: [String] = []
        for user in users where ids.count < runs {
            guard let upn = user["userPrincipalName"] as? String else { continue }
            let (status, body) = try await call(.POST, "/offboardings", token: technician, ["tenant": "contoso", "userPrincipalName": upn])
            if status == 201, body["status"] as? String == "awaiting-approval", let id = body["id"] as? String { ids.append(id) }
        }
        for id in ids { _ = try await call(.POST, "/offboardings/\(id)/approve", token: approver, [:]) }

        // While they run: the API's latency as a technician's console would poll it, and the peak RSS.
        var latencies: [Double] = []
        var peak = Self.rss(process.processIdentifier)
        let clock = ContinuousClock()
        let started = clock.now
        var finished = 0
        while finished < ids.count, clock.now - started < .seconds(600) {
            finished = 0
            for id in ids {
                let begin = clock.now
                let (_, body) = try await call(.GET, "/offboardings/\(id)", token: technician)
                latencies.append(Self.milliseconds(clock.now - begin))
                if let status = body["status"] as? String, !["approved", "running"].contains(status) { finished += 1 }
            }
            let begin = clock.now
            _ = try await call(.GET, "/offboardings?limit=50", token: technician)
            latencies.append(Self.milliseconds(clock.now - begin))
            peak = max(peak, Self.rss(process.processIdentifier))
        }
        let elapsed = Self.milliseconds(clock.now - started) / 1000
        latencies.sort()
        func percentile(_ p: Double) -> Double {
            latencies.isEmpty ? 0 : latencies[min(latencies.count - 1, Int(Double(latencies.count) * p))]
        }
        output(
            """
            turnover serve --sandbox (\(Self.buildConfiguration) build, \(ProcessInfo.processInfo.activeProcessorCount) cores)
              idle RSS after \(idleSeconds) s:         \(String(format: "%.1f", idle)) MB
              offboardings running at once: \(ids.count) (\(finished) finished in \(String(format: "%.1f", elapsed)) s)
              peak RSS under that load:     \(String(format: "%.1f", peak)) MB
              API latency over \(latencies.count) requests: p50 \(String(format: "%.1f", percentile(0.5))) ms, p95 \(String(format: "%.1f", percentile(0.95))) ms
            """)
    }

    static var buildConfiguration: String {
        #if DEBUG
            "debug"
        #else
            "release"
        #endif
    }

    /// Resident set size in MB, from /proc (Linux).
    static func rss(_ pid: Int32) -> Double {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") })
        else { return 0 }
        let kilobytes = Double(line.split(separator: " ").dropFirst().first ?? "0") ?? 0
        return kilobytes / 1024
    }

    static func milliseconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
    }
}
