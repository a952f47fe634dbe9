import Foundation
import Synchronization

/// `/_sim/...`: the simulator's own API, outside Microsoft's namespace.
///
/// Tenants (list, load, generate, reset, remove, raw state, directory sync), settings (faults,
/// latency, throttling, timings), the request log, sent mail, and token expiry for client tests.
extension Simulator {
    func handleControl(_ request: SimRequest) async -> SimResponse {
        let segments = request.path.split(separator: "/").dropFirst().map { PercentCoding.decode($0) }
        let query = Self.parseForm(Array((request.query ?? "").utf8))
        func problem(_ status: Int, _ message: String) -> SimResponse {
            .json(status, ["error": .string(message)])
        }

        switch (request.method, segments.first ?? "") {
        case ("GET", "health"):
            return .json(200, ["status": "ok", "tenants": .int(Int64(allTenants.count)), "requests": .int(Int64(log.count))])
        case ("GET", "settings"):
            return Self.encoded(200, settings)
        case ("PATCH", "settings"), ("PUT", "settings"):
            do {
                let patch = try JSONValue.parse(request.body)
                let current = try JSONValue.parse(Array(try JSONEncoder().encode(settings)))
                let merged = Self.merge(current, patch)
                let updated = try JSONDecoder().decode(SimulatorSettings.self, from: Data(merged.serialized()))
                updateSettings { $0 = updated }
                if request.method == "PUT" || patch["throttling"] != nil { limiter.reset() }
                return Self.encoded(200, updated)
            } catch {
                return problem(400, "Invalid settings: \(error)")
            }
        case ("GET", "requests"):
            return Self.encoded(200, log.entries(since: Int(query["since"] ?? "0") ?? 0))
        case ("DELETE", "requests"):
            log.clear()
            return SimResponse(status: 204, headers: [], body: [])
        case ("GET", "mail"):
            return .json(200, .array(sentMail.withLock { $0 }))
        case ("GET", "selfcheck"):
            return .json(200, ["violations": .strings(selfCheckViolations.withLock { $0 })])
        case ("POST", "tokens") where segments.dropFirst().first == "expire":
            tokens.expireIssuedTokens(now: clock())
            return SimResponse(status: 204, headers: [], body: [])
        case (_, "tenants"):
            return await handleTenantControl(request, segments: Array(segments.dropFirst()), query: query, problem: problem)
        default:
            return problem(404, "Unknown control endpoint \(request.method) \(request.path)")
        }
    }

    private func handleTenantControl(
        _ request: SimRequest, segments: [String], query: [String: String], problem: (Int, String) -> SimResponse
    ) async -> SimResponse {
        guard let key = segments.first else {
            switch request.method {
            case "GET":
                return Self.encoded(200, tenantSummaries())
            case "POST":
                do {
                    let text = String(decoding: request.body, as: UTF8.self)
                    let fixture = try TenantFixture.decode(yaml: text)
                    return Self.encoded(201, try load(fixture))
                } catch {
                    return problem(400, "\(error)")
                }
            default:
                return problem(405, "Use GET or POST on /_sim/tenants")
            }
        }
        if key == "generate", request.method == "POST" {
            let tenants = Int(query["tenants"] ?? "1") ?? 1
            let users = Int(query["users"] ?? "100") ?? 100
            guard (1...1_000).contains(tenants), (1...100_000).contains(users) else {
                return problem(400, "tenants must be 1…1000 and users 1…100000")
            }
            do {
                return Self.encoded(
                    201, try loadGeneratedTenants(count: tenants, usersPerTenant: users, seed: UInt64(query["seed"] ?? "1") ?? 1))
            } catch {
                return problem(400, "\(error)")
            }
        }
        guard let tenant = tenant(forKey: key) else { return problem(404, "No tenant '\(key)'") }
        let action = segments.dropFirst().first
        switch (request.method, action) {
        case ("DELETE", nil):
            _ = removeTenant(tenant.id)
            return SimResponse(status: 204, headers: [], body: [])
        case ("GET", nil):
            return Self.encoded(200, tenantSummaries().first { $0.tenantId == tenant.id })
        case ("POST", "reset"):
            tenant.reset(now: clock())
            return SimResponse(status: 204, headers: [], body: [])
        case ("POST", "sync"):
            tenant.write(now: clock(), replicationDelay: .milliseconds(settings.replicationDelayMilliseconds)) {
                $0.runDirectorySync(now: clock())
            }
            return SimResponse(status: 204, headers: [], body: [])
        case ("GET", "fixture"):
            guard let yaml = try? tenant.fixture.yaml() else { return problem(500, "fixture cannot be encoded") }
            return .text(200, yaml, contentType: "application/yaml")
        case ("GET", "state"):
            let rest = Array(segments.dropFirst(2))
            guard let raw = rawState(tenant: tenant.id) else { return problem(500, "state cannot be encoded") }
            guard let kind = rest.first else {
                return SimResponse(status: 200, headers: [("Content-Type", "application/json")], body: Array(raw))
            }
            guard let state = try? JSONValue.parse(Array(raw)), let collection = state[kind] else {
                return problem(
                    404,
                    "No state collection '\(kind)'; try users, groups, mailboxes, oneDrives, managedDevices, roleAssignments, deletedUsers")
            }
            guard let id = rest.dropFirst().first else { return .json(200, collection) }
            if let object = collection.objectValue {
                // Objects keyed by user id can also be found by UPN or by the UPN's local part (the fixture key).
                let userId = tenant.readPrimary { data in
                    data.userId(forKey: id)
                        ?? data.users.values.first { $0.userPrincipalName.lowercased().hasPrefix(id.lowercased() + "@") }?.id
                }
                let match = object[id] ?? userId.flatMap { object[$0] }
                guard let match else { return problem(404, "No \(kind) '\(id)'") }
                return .json(200, match)
            }
            if let array = collection.arrayValue, let match = array.first(where: { $0["id"]?.stringValue == id }) {
                return .json(200, match)
            }
            return problem(404, "No \(kind) '\(id)'")
        default:
            return problem(404, "Unknown tenant control endpoint \(request.method) \(request.path)")
        }
    }

    static func encoded(_ status: Int, _ value: some Encodable) -> SimResponse {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        guard let data = try? encoder.encode(value) else { return .text(500, "encoding failed") }
        return SimResponse(status: status, headers: [("Content-Type", "application/json")], body: Array(data))
    }

    /// RFC 7386 JSON merge patch.
    static func merge(_ target: JSONValue, _ patch: JSONValue) -> JSONValue {
        guard let patchObject = patch.objectValue else { return patch }
        var result = target.objectValue ?? JSONObject()
        for (key, value) in patchObject {
            if value.isNull {
                result[key] = nil
            } else {
                result[key] = merge(result[key] ?? .null, value)
            }
        }
        return .object(result)
    }
}
