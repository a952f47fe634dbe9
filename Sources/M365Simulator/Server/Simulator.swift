public import Foundation
public import Logging
import Synchronization

/// A Microsoft 365 simulator: the token endpoint, Graph, the Exchange admin API and SharePoint
/// REST over one HTTP listener, backed by in-memory tenants loaded from fixtures.
///
/// ```swift
/// let simulator = try Simulator()
/// try simulator.loadDemoTenants()
/// let server = try simulator.makeServer(host: "127.0.0.1", port: 8443, tls: nil)
/// try await server.runService()
/// ```
public final class Simulator: Sendable {
    let tokens: TokenService
    let log = RequestLog()
    let limiter = Limiter()
    let logger: Logger
    let clock: @Sendable () -> Date
    private let tenantList = Mutex<[SimulatedTenant]>([])
    private let settingsBox: Mutex<SimulatorSettings>
    private let random: Mutex<SplitMix64>
    let sentMail = Mutex<[JSONValue]>([])
    /// Violations found by self-check mode; tests assert this stays empty.
    let selfCheckViolations = Mutex<[String]>([])

    public init(
        settings: SimulatorSettings = SimulatorSettings(), clock: @escaping @Sendable () -> Date = { Date() }, logger: Logger? = nil
    ) throws {
        self.tokens = try TokenService()
        self.settingsBox = Mutex(settings)
        self.random = Mutex(SplitMix64(seed: settings.randomSeed))
        self.clock = clock
        self.logger = logger ?? Logger(label: "m365-simulator")
    }

    // MARK: Settings

    public var settings: SimulatorSettings { settingsBox.withLock { $0 } }

    public func updateSettings(_ change: (inout SimulatorSettings) -> Void) {
        let seedChanged = settingsBox.withLock { settings -> UInt64? in
            let before = settings.randomSeed
            change(&settings)
            return settings.randomSeed != before ? settings.randomSeed : nil
        }
        if let seed = seedChanged { random.withLock { $0 = SplitMix64(seed: seed) } }
    }

    func randomUnit() -> Double {
        random.withLock { Double($0.next() >> 11) / Double(1 << 53) }
    }

    // MARK: Tenants

    /// A tenant as listed by `GET /_sim/tenants`, with the credentials a client needs.
    public struct TenantSummary: Codable, Sendable {
        public var name: String
        public var tenantId: String
        public var initialDomain: String
        public var domains: [String]
        public var users: Int
        public var apps: [AppSummary]
    }

    public struct AppSummary: Codable, Sendable {
        public var displayName: String
        public var clientId: String
        public var clientSecret: String
        public var certificatePEM: String?
        public var privateKeyPEM: String?
        public var certificateThumbprintSHA1: String?
        public var graphPermissions: [String]
        public var exchangePermissions: [String]
        public var sharePointPermissions: [String]
        public var directoryRoles: [String]
    }

    /// Loads a tenant; a tenant with the same id is replaced.
    @discardableResult
    public func load(_ fixture: TenantFixture) throws -> TenantSummary {
        let data = try TenantBuilder.build(fixture, now: clock())
        return install(fixture: fixture, data: data)
    }

    @discardableResult
    func install(fixture: TenantFixture, data: TenantData) -> TenantSummary {
        let tenant = SimulatedTenant(fixture: fixture, data: data, now: clock())
        tenantList.withLock { list in
            list.removeAll { $0.id == tenant.id }
            list.append(tenant)
        }
        return summary(of: tenant)
    }

    public func loadDemoTenants() throws {
        for fixture in try DemoTenants.fixtures() { try load(fixture) }
    }

    public func removeTenant(_ key: String) -> Bool {
        tenantList.withLock { list in
            let before = list.count
            list.removeAll { $0.matches(key) }
            return list.count != before
        }
    }

    public func resetTenant(_ key: String) -> Bool {
        guard let tenant = tenant(forKey: key) else { return false }
        tenant.reset(now: clock())
        return true
    }

    /// Upper-case hex, the form the Azure portal shows for certificate thumbprints.
    static func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02X", $0) }.joined() }

    public func tenantSummaries() -> [TenantSummary] {
        tenantList.withLock { $0 }.map(summary)
    }

    func tenant(forKey key: String) -> SimulatedTenant? {
        tenantList.withLock { list in list.first { $0.matches(key) } }
    }

    var allTenants: [SimulatedTenant] { tenantList.withLock { $0 } }

    private func summary(of tenant: SimulatedTenant) -> TenantSummary {
        tenant.readPrimary { data in
            TenantSummary(
                name: tenant.name, tenantId: tenant.id, initialDomain: data.organization.initialDomain,
                domains: data.organization.verifiedDomains, users: data.users.count,
                apps: data.apps.map { app in
                    AppSummary(
                        displayName: app.displayName, clientId: app.clientId, clientSecret: app.clientSecrets.first ?? "",
                        certificatePEM: app.certificate?.certificatePEM, privateKeyPEM: app.certificate?.privateKeyPEM,
                        certificateThumbprintSHA1: app.certificate.flatMap { Base64URL.decode($0.sha1Thumbprint) }.map(Self.hex),
                        graphPermissions: app.graphPermissions,
                        exchangePermissions: app.exchangePermissions, sharePointPermissions: app.sharePointPermissions,
                        directoryRoles: app.directoryRoles)
                })
        }
    }

    /// The request log since a sequence number (0 for all).
    public func requestLog(since sequence: Int = 0) -> [RequestLogEntry] {
        log.entries(since: sequence)
    }

    public var requestCount: Int { log.count }

    /// A tenant's raw state as JSON (what `GET /_sim/tenants/{id}/state` returns).
    public func rawState(tenant key: String) -> Data? {
        guard let tenant = tenant(forKey: key) else { return nil }
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys]
        return tenant.readPrimary { try? encoder.encode($0) }
    }

    // MARK: Pipeline

    private enum Route {
        case control, graph(version: String), exchange, sharePoint, token(tenant: String), discovery(tenant: String), keys(tenant: String),
            unknown
    }

    private func route(_ path: String) -> Route {
        let segments = path.split(separator: "/", omittingEmptySubsequences: true)
        guard let first = segments.first else { return .unknown }
        switch first.lowercased() {
        case "_sim": return .control
        case "v1.0", "beta": return .graph(version: String(first))
        case "adminapi": return .exchange
        case "personal", "sites", "_api": return .sharePoint
        default:
            let rest = segments.dropFirst().map { $0.lowercased() }
            if rest == ["oauth2", "v2.0", "token"] { return .token(tenant: String(first)) }
            if rest == ["v2.0", ".well-known", "openid-configuration"] { return .discovery(tenant: String(first)) }
            if rest == ["discovery", "v2.0", "keys"] || rest == ["discovery", "keys"] { return .keys(tenant: String(first)) }
            return .unknown
        }
    }

    /// Handles one HTTP request end to end: latency, faults, the service, and the request log.
    func handle(_ request: SimRequest) async -> SimResponse {
        let started = clock()
        let requestId = UUID().uuidString.lowercased()
        let settings = self.settings
        let route = route(request.path)
        if case .control = route {
            return await handleControl(request)
        }
        var attribution = RequestAttribution(service: "unknown")
        let faultable: Bool
        switch route {
        case .token, .discovery, .keys: faultable = settings.faultTokenEndpoint
        default: faultable = true
        }

        var dropAfterEffect = false
        if faultable, settings.dropRate > 0, randomUnit() < settings.dropRate {
            if randomUnit() < 0.5 {
                attribution.injected = "dropped-before-effect"
                attribution.service = serviceName(route)
                record(
                    request, attribution: attribution, status: 0, requestId: requestId, started: started,
                    capacity: settings.requestLogCapacity)
                return .dropped
            }
            dropAfterEffect = true
        }
        if faultable, settings.throttleFaultRate > 0, randomUnit() < settings.throttleFaultRate {
            try? await Task.sleep(for: latency(settings, latencyService(route)))
            attribution.service = serviceName(route)
            attribution.injected = "throttled"
            let response = injectedThrottle(
                route: route, retryAfter: settings.injectedRetryAfterSeconds, requestId: requestId, request: request)
            record(
                request, attribution: attribution, status: response.status, requestId: requestId, started: started,
                capacity: settings.requestLogCapacity)
            return response
        }
        if faultable, settings.transientFaultRate > 0, randomUnit() < settings.transientFaultRate {
            try? await Task.sleep(for: latency(settings, latencyService(route)))
            attribution.service = serviceName(route)
            attribution.injected = "fault"
            let response = transientFault(route: route, requestId: requestId, request: request)
            record(
                request, attribution: attribution, status: response.status, requestId: requestId, started: started,
                capacity: settings.requestLogCapacity)
            return response
        }

        var response: SimResponse
        switch route {
        case .graph(let version):
            (response, attribution) = await handleGraph(request, version: version, requestId: requestId, settings: settings)
        case .exchange:
            (response, attribution) = await handleExchange(request, requestId: requestId, settings: settings)
        case .sharePoint:
            (response, attribution) = await handleSharePoint(request, requestId: requestId, settings: settings)
        case .token(let tenant):
            try? await Task.sleep(for: latency(settings, .token))
            (response, attribution) = handleToken(request, tenantKey: tenant, settings: settings)
        case .discovery(let tenant):
            response = discoveryDocument(tenantKey: tenant, origin: request.origin)
            attribution = RequestAttribution(service: "token")
        case .keys:
            response = .json(200, tokens.jwks())
            attribution = RequestAttribution(service: "token")
        case .control, .unknown:
            response = .json(404, ["error": ["code": "NotFound", "message": .string("No simulated service at '\(request.path)'.")]])
            attribution = RequestAttribution(service: "unknown")
        }
        if dropAfterEffect {
            attribution.injected = "dropped-after-effect"
            record(
                request, attribution: attribution, status: 0, requestId: requestId, started: started, capacity: settings.requestLogCapacity)
            return .dropped
        }
        record(
            request, attribution: attribution, status: response.status, requestId: requestId, started: started,
            capacity: settings.requestLogCapacity)
        return response
    }

    private func latencyService(_ route: Route) -> SimulatorSettings.Service {
        switch route {
        case .exchange: .exchange
        case .sharePoint: .sharePoint
        case .token, .discovery, .keys: .token
        default: .graph
        }
    }

    private func serviceName(_ route: Route) -> String {
        switch route {
        case .graph: "graph"
        case .exchange: "exchange"
        case .sharePoint: "sharepoint"
        case .token, .discovery, .keys: "token"
        case .control: "control"
        case .unknown: "unknown"
        }
    }

    func latency(_ settings: SimulatorSettings, _ service: SimulatorSettings.Service) -> Duration {
        var milliseconds = Double(settings.latencyMilliseconds(for: service))
        if settings.latencyJitterMilliseconds > 0 { milliseconds += randomUnit() * Double(settings.latencyJitterMilliseconds) }
        return .milliseconds(Int64(milliseconds))
    }

    private func injectedThrottle(route: Route, retryAfter: Int, requestId: String, request: SimRequest) -> SimResponse {
        let headers = [("Retry-After", String(retryAfter))]
        switch route {
        case .graph:
            let error = GraphError(
                status: 429, code: "TooManyRequests", message: "Too many requests. Please retry after \(retryAfter) seconds.",
                headers: headers)
            return graphErrorResponse(error, requestId: requestId, request: request)
        default:
            return SimResponse(
                status: 429, headers: headers + [("Content-Type", "application/json")],
                body: Array(#"{"error":{"code":"TooManyRequests","message":"Too many requests."}}"#.utf8))
        }
    }

    private func transientFault(route: Route, requestId: String, request: SimRequest) -> SimResponse {
        let status = randomUnit() < 0.7 ? 503 : 504
        let retryAfter: [(String, String)] = status == 503 && randomUnit() < 0.5 ? [("Retry-After", "1")] : []
        switch route {
        case .graph:
            let error = GraphError(
                status: status, code: status == 503 ? "serviceNotAvailable" : "UnknownError",
                message: status == 503 ? "The service is temporarily unavailable. Please retry later." : "",
                headers: retryAfter)
            return graphErrorResponse(error, requestId: requestId, request: request)
        case .exchange:
            return SimResponse(
                status: status, headers: [("Content-Type", "text/html")] + retryAfter,
                body: Array("<html><body>\(status == 503 ? "Service Unavailable" : "Gateway Timeout")</body></html>".utf8))
        default:
            return SimResponse(status: status, headers: retryAfter, body: [])
        }
    }

    private func record(
        _ request: SimRequest, attribution: RequestAttribution, status: Int, requestId: String, started: Date, capacity: Int,
        batchRequestId: String? = nil
    ) {
        log.append(
            RequestLogEntry(
                sequence: 0, time: started, service: attribution.service, method: request.method, path: request.pathAndQuery,
                operation: attribution.operation, body: Self.loggedBody(request), status: status, injected: attribution.injected,
                tenantId: attribution.tenantId, clientId: attribution.clientId, requestId: requestId, batchRequestId: batchRequestId,
                durationMilliseconds: clock().timeIntervalSince(started) * 1_000),
            capacity: capacity)
    }

    func recordBatchItem(_ request: SimRequest, attribution: RequestAttribution, status: Int, requestId: String, batchRequestId: String) {
        record(
            request, attribution: attribution, status: status, requestId: requestId, started: clock(),
            capacity: settings.requestLogCapacity, batchRequestId: batchRequestId)
    }

    /// Bodies go to the log without secrets: token requests keep only their parameter names.
    private static func loggedBody(_ request: SimRequest) -> String? {
        guard !request.body.isEmpty else { return nil }
        let text = String(decoding: request.body.prefix(16_384), as: UTF8.self)
        if request.path.lowercased().hasSuffix("/oauth2/v2.0/token") {
            return text.split(separator: "&").map { pair in
                let name = pair.split(separator: "=", maxSplits: 1).first.map(String.init) ?? ""
                return ["client_secret", "client_assertion"].contains(name) ? "\(name)=<redacted>" : String(pair)
            }.joined(separator: "&")
        }
        if text.contains("\"password\"") {
            return text.replacingOccurrences(
                of: #""password"\s*:\s*"(?:[^"\\]|\\.)*""#, with: #""password":"<redacted>""#, options: .regularExpression)
        }
        return text
    }

    /// The standard headers every Graph response carries.
    func graphHeaders(requestId: String, request: SimRequest) -> [(String, String)] {
        [
            ("request-id", requestId),
            ("client-request-id", request.header("client-request-id") ?? requestId),
            ("Date", GraphDate.http(clock())),
            (
                "x-ms-ags-diagnostic",
                #"{"ServerInfo":{"DataCenter":"Simulator","Slice":"E","Ring":"5","ScaleUnit":"000","RoleInstance":"SIM"}}"#
            ),
        ]
    }

    func graphErrorResponse(_ error: GraphError, requestId: String, request: SimRequest) -> SimResponse {
        .json(
            error.status, graphErrorBody(error, requestId: requestId, request: request),
            headers: graphHeaders(requestId: requestId, request: request) + error.headers)
    }

    func graphErrorBody(_ error: GraphError, requestId: String, request: SimRequest) -> JSONValue {
        var inner = JSONObject([
            ("date", .string(GraphDate.innerError(clock()))),
            ("request-id", .string(requestId)),
            ("client-request-id", .string(request.header("client-request-id") ?? requestId)),
        ])
        if error.status == 429 {
            inner["code"] = "429"
            inner["message"] = "Please retry after"
            inner["status"] = "429"
        }
        var body = JSONObject([("code", .string(error.code)), ("message", .string(error.message))])
        if !error.details.isEmpty { body["details"] = .array(error.details) }
        body["innerError"] = .object(inner)
        return ["error": .object(body)]
    }
}
