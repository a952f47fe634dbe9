import AsyncHTTPClient
import Foundation
import M365Simulator
import NIOCore
import NIOFoundationCompat
import NIOHTTP1

/// The `turnover` executable run as a technician would, against a simulator on loopback.
struct CLI {
    let binary: String
    let dataDirectory: String
    let environment: [String: String]

    static func binaryPath() -> String {
        if let configured = ProcessInfo.processInfo.environment["TURNOVER_BIN"] { return configured }
        // The test bundle sits next to the products in the build directory.
        let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var directory = bundle.deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent("turnover").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../.build/debug/turnover")
            .standardized.path
    }

    static func make(secrets: [String: String] = [:]) throws -> CLI {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("turnover-test-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var environment = ProcessInfo.processInfo.environment
        for (key, value) in secrets { environment[key] = value }
        environment.removeValue(forKey: "TURNOVER_SECRET_KEY")
        return CLI(binary: binaryPath(), dataDirectory: directory, environment: environment)
    }

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    func start(_ arguments: [String]) throws -> (Process, stdout: URL, stderr: URL) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments + ["--data-dir", dataDirectory]
        process.environment = environment
        let out = URL(fileURLWithPath: dataDirectory).appendingPathComponent("out-\(UUID().uuidString)")
        let err = URL(fileURLWithPath: dataDirectory).appendingPathComponent("err-\(UUID().uuidString)")
        FileManager.default.createFile(atPath: out.path, contents: nil)
        FileManager.default.createFile(atPath: err.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        process.standardInput = FileHandle.nullDevice
        try process.run()
        return (process, out, err)
    }

    func run(_ arguments: [String]) async throws -> Result {
        let (process, out, err) = try start(arguments)
        while process.isRunning { try await Task.sleep(for: .milliseconds(20)) }
        return Result(
            status: process.terminationStatus, stdout: (try? String(contentsOf: out, encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOf: err, encoding: .utf8)) ?? "")
    }

    /// Registers a simulator tenant under `name` with its full-access app's secret.
    func addTenant(_ name: String, summary: Simulator.TenantSummary, simulatorURL: String) async throws {
        let app = summary.apps.first { !$0.displayName.contains("read-only") }!
        let result = try await run([
            "tenant", "add", name, "--tenant-id", summary.tenantId, "--client-id", app.clientId, "--client-secret-env",
            "SIM_SECRET_\(name.uppercased())",
            "--simulator", simulatorURL,
        ])
        guard result.status == 0 else { throw Failed(message: "tenant add: \(result.stderr)") }
    }

    struct Failed: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
    }
}

/// Reads the simulator's state and log over its control API.
struct SimulatorControl {
    let baseURL: String
    let http: HTTPClient

    func call(_ method: String, _ path: String, json: Any? = nil) async throws -> Any? {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = HTTPMethod(rawValue: method)
        if let json {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(data: try JSONSerialization.data(withJSONObject: json)))
        }
        let response = try await http.execute(request, timeout: .seconds(60))
        let body = try await response.body.collect(upTo: 512 << 20)
        return try? JSONSerialization.jsonObject(with: Data(buffer: body))
    }

    func state(_ tenant: String = "Contoso") async throws -> [String: Any] {
        try await call("GET", "/_sim/tenants/\(tenant)/state") as? [String: Any] ?? [:]
    }

    func requests(since: Int = 0) async throws -> [[String: Any]] {
        try await call("GET", "/_sim/requests?since=\(since)") as? [[String: Any]] ?? []
    }
}

/// A simulator with the demo tenants on loopback, for the duration of a test.
func withSimulator(
    configure: (inout SimulatorSettings) -> Void = { _ in }, _ body: @Sendable (Simulator, String, SimulatorControl) async throws -> Void
) async throws {
    var settings = SimulatorSettings()
    settings.mailboxConversionDelayMilliseconds = 600
    configure(&settings)
    let simulator = try Simulator(settings: settings)
    try simulator.loadDemoTenants()
    try await simulator.withServer(port: 0) { baseURL in
        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        do {
            try await body(simulator, baseURL, SimulatorControl(baseURL: baseURL, http: http))
            try await http.shutdown()
        } catch {
            try? await http.shutdown()
            throw error
        }
    }
}

extension Simulator {
    func summary(_ name: String) -> Simulator.TenantSummary { tenantSummaries().first { $0.name == name }! }
    var contosoSecretEnvironment: [String: String] {
        Dictionary(
            uniqueKeysWithValues: tenantSummaries().map { summary in
                ("SIM_SECRET_\(summary.name.uppercased())", summary.apps.first { !$0.displayName.contains("read-only") }!.clientSecret)
            })
    }
}
