import AsyncHTTPClient
import Foundation
import M365Simulator
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import Synchronization

/// A running simulator on a loopback port with an HTTP client and the demo tenants' credentials.
///
/// Every test talks to the simulator over real HTTP, as Turnover and Microsoft's SDKs do.
struct Harness {
    let simulator: Simulator
    let baseURL: String
    let client: HTTPClient
    let contoso: Simulator.TenantSummary

    var fullAccessApp: Simulator.AppSummary { contoso.apps.first { !$0.displayName.contains("read-only") }! }
    var readOnlyApp: Simulator.AppSummary { contoso.apps.first { $0.displayName.contains("read-only") }! }

    struct Reply {
        var status: Int
        var headers: HTTPHeaders
        var body: Data
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:] }
        var values: [[String: Any]] { json["value"] as? [[String: Any]] ?? [] }
        var errorCode: String? { (json["error"] as? [String: Any])?["code"] as? String }
        var text: String { String(decoding: body, as: UTF8.self) }
    }

    static func run(
        configure: (inout SimulatorSettings) -> Void = { _ in }, clock: (@Sendable () -> Date)? = nil,
        _ body: @Sendable (Harness) async throws -> Void
    ) async throws {
        var settings = SimulatorSettings()
        settings.selfCheck = true
        configure(&settings)
        let simulator = try clock.map { try Simulator(settings: settings, clock: $0) } ?? Simulator(settings: settings)
        try simulator.loadDemoTenants()
        let contoso = simulator.tenantSummaries().first { $0.name == "Contoso" }!
        try await simulator.withServer { baseURL in
            var configuration = HTTPClient.Configuration()
            configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 64
            let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
            do {
                try await body(Harness(simulator: simulator, baseURL: baseURL, client: client, contoso: contoso))
                let violations =
                    try await Harness(simulator: simulator, baseURL: baseURL, client: client, contoso: contoso)
                    .send("GET", "/_sim/selfcheck").json["violations"] as? [String] ?? []
                try await client.shutdown()
                if !violations.isEmpty { throw SelfCheckFailed(violations: violations) }
            } catch {
                try? await client.shutdown()
                throw error
            }
        }
    }

    struct SelfCheckFailed: Error, CustomStringConvertible {
        var violations: [String]
        var description: String { "simulator responses violate the schema: \(violations.prefix(5))" }
    }

    func send(
        _ method: String, _ path: String, token: String? = nil, json: Any? = nil, form: String? = nil,
        headers: [(String, String)] = []
    ) async throws -> Reply {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = HTTPMethod(rawValue: method)
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let json {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(data: try JSONSerialization.data(withJSONObject: json)))
        }
        if let form {
            request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
            request.body = .bytes(ByteBuffer(string: form))
        }
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        let response = try await client.execute(request, timeout: .seconds(60))
        let body = try await response.body.collect(upTo: 64 << 20)
        return Reply(status: Int(response.status.code), headers: response.headers, body: Data(buffer: body))
    }

    enum Resource: String {
        case graph = "https://graph.microsoft.com/.default"
        case exchange = "https://outlook.office365.com/.default"
    }

    func token(
        _ app: Simulator.AppSummary? = nil, resource: Resource = .graph, tenant: Simulator.TenantSummary? = nil
    ) async throws -> String {
        let app = app ?? fullAccessApp
        let tenant = tenant ?? contoso
        let form =
            "grant_type=client_credentials&client_id=\(app.clientId)&client_secret=\(app.clientSecret)&scope=\(percent(resource.rawValue))"
        let reply = try await send("POST", "/\(tenant.tenantId)/oauth2/v2.0/token", form: form)
        guard let token = reply.json["access_token"] as? String else { throw TokenMissing(reply: reply.text) }
        return token
    }

    struct TokenMissing: Error { var reply: String }

    func percent(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? text
    }

    /// The id of a demo user by the local part of the UPN (for example `ben.carter`).
    func userId(_ key: String, token: String) async throws -> String {
        let reply = try await send("GET", "/_sim/tenants/Contoso/state/users/\(key)")
        if let id = reply.json["id"] as? String { return id }
        throw TokenMissing(reply: "no user \(key): \(reply.text)")
    }

    func exchange(_ cmdlet: String, _ parameters: [String: Any], token: String) async throws -> Reply {
        try await send(
            "POST", "/adminapi/beta/\(contoso.tenantId)/InvokeCommand", token: token,
            json: ["CmdletInput": ["CmdletName": cmdlet, "Parameters": parameters]])
    }

    func state(_ kind: String, _ id: String) async throws -> [String: Any] {
        try await send("GET", "/_sim/tenants/Contoso/state/\(kind)/\(id)").json
    }
}

/// A simulator clock a test moves by hand, so delays Microsoft imposes are tested without waiting
/// on the wall clock (and without flaking on a loaded machine).
final class ManualClock: Sendable {
    private let current = Mutex(Date())
    var now: @Sendable () -> Date { { self.current.withLock { $0 } } }
    func advance(milliseconds: Int) { current.withLock { $0 = $0.addingTimeInterval(Double(milliseconds) / 1_000) } }
}
