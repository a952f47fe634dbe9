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

/// `turnover serve` started as its own process for a benchmark, as it runs in production, with
/// operators made beforehand (so the bench knows their passwords and second factors) and signed in.
struct BenchServer {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    let process: Process
    let directory: String
    /// `http://127.0.0.1:PORT`.
    let base: String
    /// Everything serve printed up to "Turnover is listening on".
    let printed: String
    let http: HTTPClient
    /// Session tokens by operator name.
    let tokens: [String: String]

    /// Starts serve on a fresh data directory with `operators` (name and role) and signs each in.
    static func start(
        operators: [(String, Role)], arguments: [String] = [], environment: [String: String] = [:]
    ) async throws -> BenchServer {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("turnover-bench-\(UUID().uuidString)").path
        var secrets: [String: String] = [:]
        do {
            let workspace = try await Workspace.open(directory)
            let accounts = OperatorAccounts(store: workspace.store, bcryptCost: 8)
            for (name, role) in operators {
                var created = try await accounts.addOperator(name: OperatorName(name), roles: [role], tenants: [])
                created.record.passwordHash = OperatorAccounts.hashPassword(Self.password(name), cost: 8)
                created.record.mustChangePassword = false
                try await workspace.store.saveOperator(created.record)
                secrets[name] = created.totpSecret
            }
            try await workspace.store.close()
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        process.arguments = ["serve", "--port", "0", "--data-dir", directory, "--log-level", "error"] + arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, given in given }
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        var printed = ""
        while !printed.contains("Turnover is listening on") {
            let chunk = out.fileHandleForReading.availableData
            guard !chunk.isEmpty else {
                process.terminate()
                throw Failure(description: "serve ended before it listened")
            }
            printed += String(decoding: chunk, as: UTF8.self)
        }
        guard let line = printed.split(separator: "\n").first(where: { $0.hasPrefix("Turnover is listening on") }) else {
            process.terminate()
            throw Failure(description: "no address")
        }
        let base = String(line.dropFirst("Turnover is listening on ".count))
        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        var server = BenchServer(process: process, directory: directory, base: base, printed: printed, http: http, tokens: [:])
        var tokens: [String: String] = [:]
        for (name, _) in operators {
            var body = ["name": name, "password": Self.password(name)]
            if let secret = secrets[name] { body["totp"] = String(format: "%06d", TOTP(secret: secret).compute()) }
            guard let token = try await server.call(.POST, "/sessions", token: nil, body).1["token"] as? String else {
                server.stop()
                throw Failure(description: "\(name) could not sign in")
            }
            tokens[name] = token
        }
        server = BenchServer(process: process, directory: directory, base: base, printed: printed, http: http, tokens: tokens)
        return server
    }

    static func password(_ name: String) -> String { "\(name)-bench-password" }

    /// A REST call; returns the status and the JSON body (an object, or `items` wrapping an array).
    func call(_ method: HTTPMethod, _ path: String, token: String?, _ body: [String: Any]? = nil) async throws -> (Int, [String: Any]) {
        var request = HTTPClientRequest(url: base + "/api/v1" + path)
        request.method = method
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(data: try JSONSerialization.data(withJSONObject: body)))
        }
        let response = try await http.execute(request, timeout: .seconds(120))
        let data = Data(buffer: try await response.body.collect(upTo: 32 << 20))
        let json = try? JSONSerialization.jsonObject(with: data)
        return (Int(response.status.code), json as? [String: Any] ?? (json as? [Any]).map { ["items": $0] } ?? [:])
    }

    func token(_ name: String) -> String { tokens[name] ?? "" }

    func stop() {
        process.terminate()
        process.waitUntilExit()
        try? http.syncShutdown()
        try? FileManager.default.removeItem(atPath: directory)
    }
}
