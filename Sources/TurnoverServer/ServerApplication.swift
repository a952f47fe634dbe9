public import Foundation
import HTTPTypes
public import Hummingbird
public import Logging
import OpenAPIHummingbird
import OpenAPIRuntime
public import Prometheus
import TurnoverCore
public import TurnoverEngine
import TurnoverStore
import Yams

/// The HTTP face of `turnover serve`: the REST API under `/api/v1` (its handlers generated from
/// `openapi.yaml`), the served OpenAPI document and its reference page, and `/health` and `/ready`.
public enum ServerApplication {
    /// - Parameter metrics: the registry swift-metrics was bootstrapped with; served at `/metrics`
    ///   to an admin's or auditor's bearer token (its labels name the client tenants).
    public static func make(
        desk: OffboardingDesk, accounts: OperatorAccounts, psa: PSADesk, host: String, port: Int, logger: Logger,
        metrics: PrometheusCollectorRegistry? = nil, secure: Bool = false, onServerRunning: @escaping @Sendable (Int) async -> Void
    ) throws -> some ApplicationProtocol {
        let router = Router()
        router.add(middleware: SecurityHeaders(strictTransport: secure))
        router.get("/health") { _, _ in "ok\n" }
        router.get("/ready") { _, _ -> Response in
            do {
                _ = try await desk.store.schemaVersion()
                return Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: "ready\n")))
            } catch {
                return Response(status: .serviceUnavailable, body: .init(byteBuffer: ByteBuffer(string: "store unavailable: \(error)\n")))
            }
        }
        if let metrics {
            router.get("/metrics") { request, _ -> Response in
                let bearer = request.headers[.authorization].flatMap {
                    $0.lowercased().hasPrefix("bearer ") ? String($0.dropFirst(7)) : nil
                }
                guard let bearer, let principal = try await accounts.authenticate(bearer: bearer), principal.hasAny([.admin, .auditor])
                else {
                    return Response(
                        status: .unauthorized, headers: [.wwwAuthenticate: "Bearer"],
                        body: .init(byteBuffer: ByteBuffer(string: "An admin's or auditor's API token is needed for /metrics.\n")))
                }
                return Response(
                    status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                    body: .init(byteBuffer: ByteBuffer(bytes: metrics.emitToBuffer())))
            }
        }
        let document = try APIDocument.load()
        router.get("/api/v1/openapi.json") { _, _ -> Response in
            Response(
                status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: document.json)))
        }
        router.get("/api/v1/openapi.yaml") { _, _ -> Response in
            Response(
                status: .ok, headers: [.contentType: "application/yaml"], body: .init(byteBuffer: ByteBuffer(string: document.yaml)))
        }
        router.get("/api/v1/docs") { _, _ -> Response in
            Response(
                status: .ok, headers: [.contentType: "text/html; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: document.referencePage)))
        }
        let handler = APIHandler(desk: desk, accounts: accounts, psa: psa)
        try handler.registerHandlers(
            on: router, serverURL: URL(string: "/api/v1")!, middlewares: [APIMiddleware(accounts: accounts, logger: logger)])
        Console(api: handler, templates: try ConsoleTemplates.load(), secure: secure, logger: logger).register(on: router)
        var quiet = logger
        quiet.logLevel = max(logger.logLevel, .notice)
        return Application(
            router: router, configuration: .init(address: .hostname(host, port: port), serverName: "Turnover"),
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? port) }, logger: quiet)
    }
}

/// Headers every answer carries: nothing of Turnover's is framed, sniffed or leaks its address, and
/// no page runs a script or style that is not one of Turnover's own files (no inline script at all).
struct SecurityHeaders<Context: RequestContext>: RouterMiddleware {
    /// Served over https (`--public-url https://…`): browsers are told to use nothing else.
    var strictTransport = false

    static var contentSecurityPolicy: String {
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; "
            + "base-uri 'none'; object-src 'none'; frame-ancestors 'none'"
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        response.headers[.init("X-Content-Type-Options")!] = "nosniff"
        response.headers[.init("X-Frame-Options")!] = "DENY"
        response.headers[.init("Referrer-Policy")!] = "no-referrer"
        response.headers[.init("Content-Security-Policy")!] = Self.contentSecurityPolicy
        if strictTransport { response.headers[.init("Strict-Transport-Security")!] = "max-age=31536000; includeSubDomains" }
        response.headers[.cacheControl] = response.headers[.cacheControl] ?? "no-store"
        return response
    }
}

/// The OpenAPI document, read from the resource the handlers were generated from, so what is
/// served is what is implemented.
struct APIDocument: Sendable {
    var yaml: String
    var json: [UInt8]
    var referencePage: String

    struct Missing: Error, CustomStringConvertible {
        var description: String { "The OpenAPI document is missing from the build (Sources/TurnoverServer/openapi.yaml)." }
    }

    static func load() throws -> APIDocument {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "yaml") else { throw Missing() }
        let yaml = try String(contentsOf: url, encoding: .utf8)
        guard let root = try Yams.compose(yaml: yaml) else { throw Missing() }
        let object = plain(root)
        let json = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        return APIDocument(yaml: yaml, json: Array(json), referencePage: page(object))
    }

    /// A YAML node as JSON-ready values, keeping quoted scalars ('201') as strings.
    static func plain(_ node: Node) -> Any {
        switch node {
        case .mapping(let mapping):
            var object: [String: Any] = [:]
            for (key, value) in mapping { object[key.string ?? "\(key)"] = plain(value) }
            return object
        case .sequence(let sequence): return sequence.map(plain)
        case .scalar(let scalar):
            guard scalar.style == .plain else { return scalar.string }
            switch scalar.string {
            case "true": return true
            case "false": return false
            case "null", "~": return NSNull()
            default: return Int(scalar.string) ?? Double(scalar.string) ?? scalar.string
            }
        case .alias: return NSNull()
        }
    }

    /// A plain HTML reference: every operation with its method, path, summary and who may call it.
    static func page(_ object: Any) -> String {
        func escape(_ text: String) -> String {
            text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(
                of: ">", with: "&gt;")
        }
        // The summaries mark names as Markdown code (`after`); the page shows them as code.
        func code(_ text: String) -> String {
            text.split(separator: "`", omittingEmptySubsequences: false).enumerated().map { index, part in
                index.isMultiple(of: 2) ? String(part) : "<code>\(part)</code>"
            }.joined()
        }
        let paths = (object as? [String: Any])?["paths"] as? [String: Any] ?? [:]
        var rows = ""
        for path in paths.keys.sorted() {
            for (method, operation) in (paths[path] as? [String: Any] ?? [:]).sorted(by: { $0.key < $1.key }) where method != "parameters" {
                let operation = operation as? [String: Any] ?? [:]
                let id = operation["operationId"] as? String ?? ""
                let rule: String
                switch AccessRules.table[id] {
                case .open: rule = "anyone"
                case .signedIn: rule = "any operator"
                case .roles(let roles): rule = roles.map(\.rawValue).sorted().joined(separator: ", ")
                case nil: rule = "nobody"
                }
                rows +=
                    "<tr><td><code>\(method.uppercased())</code></td><td><code>/api/v1\(escape(path))</code></td><td>\(code(escape(operation["summary"] as? String ?? "")))</td><td>\(rule)</td></tr>\n"
            }
        }
        return """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>Turnover REST API</title></head>
            <body><main><h1>Turnover REST API</h1>
            <p>The machine-readable document is <a href="/api/v1/openapi.json">openapi.json</a> (also <a href="/api/v1/openapi.yaml">YAML</a>).
            Send <code>Authorization: Bearer &lt;token&gt;</code>; errors are <code>application/problem+json</code>.</p>
            <table><thead><tr><th scope="col">Method</th><th scope="col">Path</th><th scope="col">What it does</th><th scope="col">Who may</th></tr></thead>
            <tbody>
            \(rows)</tbody></table></main></body></html>
            """
    }
}
