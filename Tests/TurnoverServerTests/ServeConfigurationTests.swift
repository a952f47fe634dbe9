import Foundation
import Testing

/// `turnover serve`'s settings through swift-configuration: flags over TURNOVER_* variables over the
/// YAML file over defaults, shown by `--print-config` with their sources and the secrets redacted.
@Suite("turnover serve reads flags, then the environment, then its YAML file")
struct ServeConfigurationTests {
    static func printConfig(_ arguments: [String], environment extra: [String: String]) async throws -> (Int32, String, String) {
        let directory = try ServeProcess.newDataDirectory()
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("TURNOVER_") }
        environment.merge(extra) { $1 }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ServeProcess.binary)
        process.arguments = ["serve", "--print-config"] + arguments
        process.environment = environment
        let out = URL(fileURLWithPath: directory).appendingPathComponent("out")
        let err = URL(fileURLWithPath: directory).appendingPathComponent("err")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        try process.run()
        while process.isRunning { try await Task.sleep(for: .milliseconds(20)) }
        return (
            process.terminationStatus, (try? String(contentsOf: out, encoding: .utf8)) ?? "",
            (try? String(contentsOf: err, encoding: .utf8)) ?? ""
        )
    }

    static func file(_ yaml: String) throws -> String {
        let path = try ServeProcess.newDataDirectory() + "/turnover.yaml"
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test("each setting comes from the highest layer that has it, and the database password never prints")
    func precedence() async throws {
        let path = try Self.file(
            """
            host: 0.0.0.0
            port: 9999
            maxRuns: 5
            database: postgres://turnover:hunter2-secret@db.internal:5432/turnover
            publicUrl: https://turnover.example.com
            """)
        let (status, out, err) = try await Self.printConfig(
            ["--config", path, "--max-runs", "3"], environment: ["TURNOVER_PORT": "7777", "TURNOVER_LOG_LEVEL": "info"])
        #expect(status == 0, "\(err)")
        let lines = Set(out.split(separator: "\n").map { $0.replacingOccurrences(of: "    ", with: " ") })
        #expect(lines.contains("host: 0.0.0.0 # \(path)"), "\(out)")
        #expect(lines.contains("port: 7777 # environment"), "\(out)")
        #expect(lines.contains("maxRuns: 3 # flag"), "\(out)")
        #expect(lines.contains("logLevel: info # environment"), "\(out)")
        #expect(lines.contains("publicUrl: https://turnover.example.com # \(path)"), "\(out)")
        #expect(lines.contains("sandbox: false # default"), "\(out)")
        #expect(out.contains("postgres://turnover:REDACTED@db.internal:5432/turnover"), "\(out)")
        #expect(!out.contains("hunter2"))
    }

    @Test("a wrong value, wherever it comes from, is refused with its name and source")
    func refusals() async throws {
        let path = try Self.file("maxRuns: lots\n")
        let fromFile = try await Self.printConfig(["--config", path], environment: [:])
        #expect(fromFile.0 != 0)
        #expect(fromFile.2.contains("maxRuns must be a whole number, not 'lots' (\(path))"), "\(fromFile.2)")
        let fromEnvironment = try await Self.printConfig([], environment: ["TURNOVER_PUBLIC_URL": "turnover.example.com"])
        #expect(fromEnvironment.0 != 0)
        #expect(fromEnvironment.2.contains("publicUrl must be an http(s) address"), "\(fromEnvironment.2)")
        let missing = try await Self.printConfig(["--config", "/nonexistent/turnover.yaml"], environment: [:])
        #expect(missing.0 != 0)
        #expect(missing.2.contains("does not exist"), "\(missing.2)")
    }
}
