import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import TurnoverCore

/// `--server URL` (or `$TURNOVER_SERVER`) with an API token in `$TURNOVER_TOKEN`: the command goes
/// through the REST API of a team's `turnover serve` instead of a local store.
struct RemoteOptions: ParsableArguments {
    @Option(help: "A `turnover serve` to work through (default: $TURNOVER_SERVER); needs $TURNOVER_TOKEN.") var server: String?

    var url: String? {
        let value = server ?? ProcessInfo.processInfo.environment["TURNOVER_SERVER"]
        return value.flatMap { $0.isEmpty ? nil : $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
    }
}

/// A client of the REST API for the CLI.
struct RemoteService {
    let base: String
    let token: String

    init(_ url: String) throws {
        guard let token = ProcessInfo.processInfo.environment["TURNOVER_TOKEN"], !token.isEmpty else {
            throw CLIError("Working through \(url) needs an API token in TURNOVER_TOKEN (create one with POST /api/v1/tokens).")
        }
        base = url
        self.token = token
    }

    /// The answer's body; a problem document becomes an error with its sentence.
    func call(_ method: HTTPMethod, _ path: String, _ body: [String: Any]? = nil, accept: String = "application/json") async throws -> Data
    {
        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        do {
            var request = HTTPClientRequest(url: base + "/api/v1" + path)
            request.method = method
            request.headers.add(name: "Authorization", value: "Bearer \(token)")
            request.headers.add(name: "Accept", value: accept + ", application/problem+json")
            if let body {
                request.headers.add(name: "Content-Type", value: "application/json")
                request.body = .bytes(ByteBuffer(data: try JSONSerialization.data(withJSONObject: body)))
            }
            let response = try await http.execute(request, timeout: .seconds(300))
            let data = Data(buffer: try await response.body.collect(upTo: 64 << 20))
            try await http.shutdown()
            guard (200..<300).contains(Int(response.status.code)) else {
                let problem = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
                throw CLIError(
                    "\(base) answered \(response.status.code): \(problem?["detail"] as? String ?? String(decoding: data, as: UTF8.self))")
            }
            return data
        } catch {
            try? await http.shutdown()
            throw error
        }
    }

    func object(_ method: HTTPMethod, _ path: String, _ body: [String: Any]? = nil) async throws -> [String: Any] {
        (try JSONSerialization.jsonObject(with: try await call(method, path, body))) as? [String: Any] ?? [:]
    }

    static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }

    func plan(_ upn: String, tenant: String, overrides: [String]) async throws -> Plan {
        let data = try await call(
            .POST, "/tenants/\(Self.escaped(tenant))/plans", ["userPrincipalName": upn, "overrides": overrides])
        return try Self.decoder().decode(Plan.self, from: data)
    }

    /// Submits, then follows the offboarding until it has ended (an approver approves it meanwhile).
    func offboard(_ upn: String, tenant: String, overrides: [String], confirmWipe: Bool) async throws -> (status: String, id: String) {
        let submitted = try await object(
            .POST, "/offboardings", ["tenant": tenant, "userPrincipalName": upn, "overrides": overrides, "confirmWipe": confirmWipe])
        guard let id = submitted["id"] as? String else { throw CLIError("\(base) did not say which offboarding it made.") }
        if let plan = submitted["plan"], let data = try? JSONSerialization.data(withJSONObject: plan),
            let decoded = try? Self.decoder().decode(Plan.self, from: data)
        {
            note(Report.planText(decoded))
        }
        var status = submitted["status"] as? String ?? "?"
        note("\nSubmitted as \(id) (\(status)); an approver other than you approves it. Waiting…")
        var last = status
        while !["succeeded", "partially-succeeded", "failed", "blocked", "rejected", "cancelled", "expired"].contains(status) {
            try await Task.sleep(for: .seconds(2))
            status = try await object(.GET, "/offboardings/\(id)")["status"] as? String ?? "?"
            if status != last {
                note("\(id): \(status)")
                last = status
            }
        }
        return (status, id)
    }

    static func escaped(_ text: String) -> String { text.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? text }
}
