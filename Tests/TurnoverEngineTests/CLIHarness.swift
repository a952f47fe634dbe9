import Foundation
import M365Simulator

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

    /// The same data directory, with more secrets in the environment.
    func adding(secrets: [String: String]) -> CLI {
        CLI(binary: binary, dataDirectory: dataDirectory, environment: environment.merging(secrets) { $1 })
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

    /// Registers Contoso's full app with its certificate (SharePoint refuses a secret) as
    /// `contoso-cert`, with the test policy; answers the tenant's name.
    func addCertificateTenant(_ simulator: Simulator, baseURL: String) async throws -> String {
        let app = simulator.fullAccessApp("Contoso")
        let pem = URL(fileURLWithPath: dataDirectory).appendingPathComponent("contoso.pem")
        try ((app.privateKeyPEM ?? "") + "\n" + (app.certificatePEM ?? "")).write(to: pem, atomically: true, encoding: .utf8)
        let policy = URL(fileURLWithPath: dataDirectory).appendingPathComponent("policy.yaml")
        let added = try await run(
            [
                "tenant", "add", "contoso-cert", "--tenant-id", simulator.summary("Contoso").tenantId, "--client-id", app.clientId,
                "--certificate", pem.path, "--simulator", baseURL,
            ] + (FileManager.default.fileExists(atPath: policy.path) ? ["--policy", policy.path] : []))
        guard added.status == 0 else { throw Failed(message: "tenant add contoso-cert: \(added.stderr)") }
        return "contoso-cert"
    }

    /// `turnover tenant add` for a simulator app whose secret is in `secretVariable`.
    func addTenant(
        _ name: String, tenantId: String, app: Simulator.AppSummary, secretVariable: String, simulatorURL: String, policyFile: String? = nil
    ) async throws {
        let result = try await run(
            [
                "tenant", "add", name, "--tenant-id", tenantId, "--client-id", app.clientId, "--client-secret-env", secretVariable,
                "--simulator", simulatorURL,
            ] + (policyFile.map { ["--policy", $0] } ?? []))
        guard result.status == 0 else { throw Failed(message: "tenant add \(name): \(result.stderr)") }
    }

    struct Failed: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
    }
}

/// A simulator with the demo tenants on loopback for the duration of `body`; Exchange's conversion
/// to shared is shortened to 600 ms so the tests wait for it without waiting long.
func withSimulator<T: Sendable>(
    configure: (inout SimulatorSettings) -> Void = { _ in }, _ body: @Sendable (Simulator, String) async throws -> T
) async throws -> T {
    var settings = SimulatorSettings()
    settings.mailboxConversionDelayMilliseconds = 600
    configure(&settings)
    let simulator = try Simulator(settings: settings)
    try simulator.loadDemoTenants()
    return try await simulator.withServer(port: 0) { baseURL in try await body(simulator, baseURL) }
}

extension Simulator {
    func summary(_ name: String) -> Simulator.TenantSummary { tenantSummaries().first { $0.name == name }! }
    func fullAccessApp(_ tenant: String) -> Simulator.AppSummary { summary(tenant).apps.first { !$0.displayName.contains("read-only") }! }
    var contosoSecretEnvironment: [String: String] {
        Dictionary(
            uniqueKeysWithValues: tenantSummaries().map { summary in
                ("SIM_SECRET_\(summary.name.uppercased())", summary.apps.first { !$0.displayName.contains("read-only") }!.clientSecret)
            })
    }
}
