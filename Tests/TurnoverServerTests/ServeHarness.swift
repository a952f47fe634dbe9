import AsyncHTTPClient
import Foundation
import HummingbirdOTP
import M365Simulator
import NIOCore
import NIOFoundationCompat
import NIOHTTP1

/// `turnover serve` run as a team runs it, in its own process, reached over real HTTP.
final class ServeProcess: @unchecked Sendable {
    let process: Process
    let dataDirectory: String
    let baseURL: String
    /// The in-process simulator of `--sandbox`, when started with it.
    let simulatorURL: String?
    let stdout: URL
    let stderr: URL
    /// What `--bootstrap-admin` printed once.
    let adminPassword: String?
    let adminTOTPSecret: String?

    static var binary: String {
        if let configured = ProcessInfo.processInfo.environment["TURNOVER_BIN"] { return configured }
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<4 {
            if FileManager.default.isExecutableFile(atPath: directory.appendingPathComponent("turnover").path) {
                return directory.appendingPathComponent("turnover").path
            }
            directory = directory.deletingLastPathComponent()
        }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../.build/debug/turnover")
            .standardized
            .path
    }

    struct Failed: Error, CustomStringConvertible {
        var description: String
    }

    static func newDataDirectory() throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("turnover-serve-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        return directory
    }

    /// Starts `turnover serve` on a free port and waits until it listens.
    init(
        dataDirectory: String? = nil, arguments: [String] = ["--sandbox", "--bootstrap-admin", "root"],
        environment extraEnvironment: [String: String] = [:]
    ) async throws {
        let directory = try dataDirectory ?? Self.newDataDirectory()
        self.dataDirectory = directory
        let out = URL(fileURLWithPath: directory).appendingPathComponent("serve-out-\(UUID().uuidString)")
        let err = URL(fileURLWithPath: directory).appendingPathComponent("serve-err-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        stdout = out
        stderr = err
        process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = ["serve", "--port", "0", "--data-dir", directory] + arguments
        var environment = ProcessInfo.processInfo.environment
        environment.removeValue(forKey: "TURNOVER_SECRET_KEY")
        environment.merge(extraEnvironment) { _, extra in extra }
        process.environment = environment
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        process.standardInput = FileHandle.nullDevice
        try process.run()
        var printed = ""
        for _ in 0..<600 {
            printed = (try? String(contentsOf: out, encoding: .utf8)) ?? ""
            if printed.contains("Turnover is listening on") || !process.isRunning { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        func value(after prefix: String) -> String? {
            printed.split(separator: "\n").first { $0.hasPrefix(prefix) }.map {
                String($0.dropFirst(prefix.count)).trimmingCharacters(in: .whitespaces)
            }
        }
        guard let listening = value(after: "Turnover is listening on") else {
            let errors = (try? String(contentsOf: err, encoding: .utf8)) ?? ""
            throw Failed(description: "turnover serve did not start:\n\(printed)\n\(errors)")
        }
        baseURL = listening
        simulatorURL = value(after: "Sandbox simulator (tenants contoso and fabrikam) on").map { String($0.split(separator: ";")[0]) }
        adminPassword = value(after: "Initial password (shown once; it must be changed at first sign-in):")
        adminTOTPSecret = value(after: "TOTP secret (enrol it in an authenticator app; shown once):")
    }

    /// SIGTERM, then waits for the exit: a graceful shutdown.
    func stop() async -> Int32 {
        if process.isRunning { process.terminate() }
        while process.isRunning { try? await Task.sleep(for: .milliseconds(20)) }
        return process.terminationStatus
    }

    /// kill -9: no shutdown at all.
    func kill() async {
        if process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) }
        while process.isRunning { try? await Task.sleep(for: .milliseconds(20)) }
    }

    var errors: String { (try? String(contentsOf: stderr, encoding: .utf8)) ?? "" }
}

/// A JSON client of the REST API.
struct APIClient: Sendable {
    let baseURL: String
    let http: HTTPClient

    struct Reply: @unchecked Sendable {
        var status: Int
        var headers: [String: String]
        var body: Data
        var json: Any? { try? JSONSerialization.jsonObject(with: body) }
        var object: [String: Any] { json as? [String: Any] ?? [:] }
        var text: String { String(decoding: body, as: UTF8.self) }
    }

    func call(_ method: String, _ path: String, token: String? = nil, json: Any? = nil, rawBody: String? = nil) async throws -> Reply {
        var request = HTTPClientRequest(url: baseURL + "/api/v1" + path)
        request.method = .init(rawValue: method)
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        request.headers.add(
            name: "Accept", value: "application/json, text/markdown, text/event-stream, application/zip, application/problem+json")
        if let json {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(data: try JSONSerialization.data(withJSONObject: json)))
        } else if let rawBody {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: rawBody))
        }
        let response = try await http.execute(request, timeout: .seconds(120))
        let body = try await response.body.collect(upTo: 16 << 20)
        var headers: [String: String] = [:]
        for header in response.headers { headers[header.name.lowercased()] = header.value }
        return Reply(status: Int(response.status.code), headers: headers, body: Data(buffer: body))
    }

    /// Signs in, replacing an initial password and giving the TOTP code when the operator needs one.
    func signIn(_ name: String, password: String, totpSecret: String?, newPassword: String? = nil) async throws -> String {
        var body: [String: Any] = ["name": name, "password": password]
        if let totpSecret { body["totp"] = String(format: "%06d", TOTP(secret: totpSecret).compute()) }
        if let newPassword { body["newPassword"] = newPassword }
        let reply = try await call("POST", "/sessions", json: body)
        guard reply.status == 201, let token = reply.object["token"] as? String else {
            throw ServeProcess.Failed(description: "sign-in of \(name): \(reply.status) \(reply.text)")
        }
        return token
    }
}

/// The team of the API tests: the bootstrap admin and one operator per role, all signed in.
struct Team: Sendable {
    var admin: String
    var technician: String
    /// A technician whose scope is Contoso only.
    var contosoTechnician: String
    var approver: String
    var auditor: String

    static func make(_ serve: ServeProcess, _ api: APIClient) async throws -> Team {
        let admin = try await api.signIn(
            "root", password: serve.adminPassword ?? "", totpSecret: serve.adminTOTPSecret, newPassword: "root-password-of-my-own")
        func add(_ name: String, _ roles: [String], tenants: [String] = []) async throws -> String {
            let created = try await api.call("POST", "/operators", token: admin, json: ["name": name, "roles": roles, "tenants": tenants])
            guard created.status == 201, let password = created.object["initialPassword"] as? String else {
                throw ServeProcess.Failed(description: "add \(name): \(created.status) \(created.text)")
            }
            return try await api.signIn(
                name, password: password, totpSecret: created.object["totpSecret"] as? String, newPassword: "\(name)-password-of-my-own")
        }
        return Team(
            admin: admin, technician: try await add("tess", ["technician"]),
            contosoTechnician: try await add("carl", ["technician"], tenants: ["contoso"]), approver: try await add("ada", ["approver"]),
            auditor: try await add("otto", ["auditor"]))
    }
}

/// Runs `body` with a started `turnover serve --sandbox`, its team and a client; stops it after.
func withServe<T: Sendable>(
    environment: [String: String] = [:], _ body: @Sendable (ServeProcess, APIClient, Team) async throws -> T
) async throws -> T {
    let serve = try await ServeProcess(environment: environment)
    let http = HTTPClient(eventLoopGroupProvider: .singleton)
    do {
        let api = APIClient(baseURL: serve.baseURL, http: http)
        let result = try await body(serve, api, try await Team.make(serve, api))
        _ = await serve.stop()
        try await http.shutdown()
        return result
    } catch {
        _ = await serve.stop()
        try? await http.shutdown()
        throw error
    }
}

/// The demo tenants on a simulator of the test's own, outside any `turnover serve` (so its state
/// outlives a killed server), with an HTTP client; Exchange's conversion to shared takes 600 ms.
func withDemoSimulator(_ body: @Sendable (Simulator, String, HTTPClient) async throws -> Void) async throws {
    var settings = SimulatorSettings()
    settings.mailboxConversionDelayMilliseconds = 600
    let simulator = try Simulator(settings: settings)
    try simulator.loadDemoTenants()
    let http = HTTPClient(eventLoopGroupProvider: .singleton)
    do {
        try await simulator.withServer(port: 0) { url in try await body(simulator, url, http) }
        try await http.shutdown()
    } catch {
        try? await http.shutdown()
        throw error
    }
}

extension APIClient {
    /// Registers the simulator's Contoso as tenant `contoso` through the API, by certificate (as
    /// SharePoint requires).
    func addSimulatorTenant(_ simulator: Simulator, url simulatorURL: String, token: String) async throws {
        guard let contoso = simulator.tenantSummaries().first(where: { $0.name == "Contoso" }),
            let app = contoso.apps.first(where: { !$0.displayName.contains("read-only") })
        else { throw ServeProcess.Failed(description: "no Contoso in the simulator") }
        let added = try await call(
            "POST", "/tenants", token: token,
            json: [
                "name": "contoso", "tenantId": contoso.tenantId, "clientId": app.clientId, "cloud": "simulator",
                "simulatorURL": simulatorURL, "certificatePEM": (app.certificatePEM ?? "") + "\n" + (app.privateKeyPEM ?? ""),
            ])
        guard added.status == 201 else { throw ServeProcess.Failed(description: "adding contoso: \(added.status) \(added.text)") }
    }

    /// The sandbox tenant's state, read from the simulator's control API.
    func simulatorState(_ serve: ServeProcess, tenant: String = "Contoso") async throws -> SimulatorState {
        guard let simulatorURL = serve.simulatorURL else { throw ServeProcess.Failed(description: "no sandbox simulator") }
        let tenants = try await http.execute(HTTPClientRequest(url: simulatorURL + "/_sim/tenants"), timeout: .seconds(30))
        let list = try JSONSerialization.jsonObject(with: Data(buffer: try await tenants.body.collect(upTo: 1 << 20))) as? [[String: Any]]
        guard let id = list?.first(where: { $0["name"] as? String == tenant })?["tenantId"] as? String else {
            throw ServeProcess.Failed(description: "no tenant \(tenant) in the simulator")
        }
        let state = try await http.execute(HTTPClientRequest(url: simulatorURL + "/_sim/tenants/\(id)/state"), timeout: .seconds(30))
        return try SimulatorState(data: Data(buffer: try await state.body.collect(upTo: 64 << 20)))
    }

    /// Polls the offboarding until its status is one of `statuses`.
    func waitFor(_ id: String, token: String, statuses: Set<String>, timeout: Duration = .seconds(180)) async throws -> [String: Any] {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        var last: [String: Any] = [:]
        while clock.now < deadline {
            last = try await call("GET", "/offboardings/\(id)", token: token).object
            if let status = last["status"] as? String, statuses.contains(status) { return last }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw ServeProcess.Failed(description: "offboarding \(id) stayed \(last["status"] ?? "unknown"): \(last["notes"] ?? "")")
    }
}
