import Foundation
import Synchronization

/// One Graph request after authentication and routing, as handlers see it.
struct GraphCall: Sendable {
    let simulator: Simulator
    let tenant: SimulatedTenant
    let app: AppRegistration
    let claims: AccessTokenClaims
    let method: String
    let version: String
    let operation: GraphSubset.Operation
    /// Path parameters by template name (`user-id`), percent-decoded.
    let parameters: [String: String]
    /// A type cast segment after a collection (`microsoft.graph.group`).
    let cast: String?
    /// The request ended in `/$count`.
    let countSegment: Bool
    let query: ODataQuery
    let headers: [String: String]
    let body: JSONValue?
    let origin: String
    /// The path after the version segment, percent-encoded as received.
    let rawPath: String
    let now: Date
    let settings: SimulatorSettings

    var base: String { "\(origin)/\(version)" }
    var family: GraphFamily { GraphFamily.of(template: operation.template) }
    var replicationDelay: Duration { .milliseconds(settings.replicationDelayMilliseconds) }

    func parameter(_ name: String) -> String { parameters[name] ?? "" }

    func read<T>(_ body: (TenantData) throws -> T) rethrows -> T {
        try tenant.read(now: now, replicationDelay: replicationDelay, body)
    }

    func write<T>(_ body: (inout TenantData) throws -> T) rethrows -> T {
        try tenant.write(now: now, replicationDelay: replicationDelay) { data in
            try data.runDirectorySyncIfDue(now: now, interval: .seconds(settings.directorySyncIntervalSeconds))
            data.writeTime = now
            defer { data.writeTime = nil }
            return try body(&data)
        }
    }

    var consistencyEventual: Bool { headers["consistencylevel"]?.lowercased() == "eventual" }
}

typealias GraphHandler = @Sendable (GraphCall) throws -> GraphResult

extension Simulator {
    /// Entry point for `/v1.0/...` and `/beta/...`.
    func handleGraph(
        _ request: SimRequest, version: String, requestId: String, settings: SimulatorSettings
    ) async -> (SimResponse, RequestAttribution) {
        var attribution = RequestAttribution(service: "graph")
        let prefix = "/" + version
        let relativePath = String(request.path.dropFirst(prefix.count))
        if relativePath.lowercased() == "/$batch" || relativePath.lowercased() == "/$batch/" {
            attribution.operation = "POST /$batch"
            return await handleGraphBatch(request, version: version, requestId: requestId, settings: settings, attribution: attribution)
        }
        let outcome = await dispatchGraph(
            request, version: version, relativePath: relativePath, requestId: requestId, settings: settings, applyLatency: true)
        attribution.tenantId = outcome.tenantId
        attribution.clientId = outcome.clientId
        attribution.operation = outcome.operation
        attribution.injected = outcome.injected
        return (outcome.response, attribution)
    }

    struct GraphOutcome: Sendable {
        var response: SimResponse
        var tenantId: String?
        var clientId: String?
        var operation: String?
        var injected: String?
        /// The JSON body, kept for `$batch` responses.
        var json: JSONValue?
    }

    /// Authenticates, routes, throttles and runs one Graph request (top level or `$batch` item).
    func dispatchGraph(
        _ request: SimRequest, version: String, relativePath: String, requestId: String, settings: SimulatorSettings, applyLatency: Bool
    ) async -> GraphOutcome {
        var outcome = GraphOutcome(response: .dropped)
        func fail(_ error: GraphError) -> GraphOutcome {
            outcome.response = graphErrorResponse(error, requestId: requestId, request: request)
            outcome.json = graphErrorBody(error, requestId: requestId, request: request)
            return outcome
        }
        // Authentication comes first, as on the real service.
        guard let token = request.bearerToken else {
            var error = GraphError(status: 401, code: "InvalidAuthenticationToken", message: "Access token is empty.")
            error.headers = [
                (
                    "WWW-Authenticate",
                    "Bearer realm=\"\", authorization_uri=\"https://login.microsoftonline.com/common/oauth2/authorize\", client_id=\"00000003-0000-0000-c000-000000000000\""
                )
            ]
            return fail(error)
        }
        let claims: AccessTokenClaims
        do {
            claims = try tokens.validate(token, now: clock())
        } catch {
            let message =
                error == .expired
                ? "Lifetime validation failed, the token is expired." : "IDX14100: JWT is not well formed, there are no dots (.)."
            return fail(
                GraphError(
                    status: 401, code: "InvalidAuthenticationToken", message: error == .badSignature ? "Signature is invalid." : message))
        }
        outcome.tenantId = claims.tenantId
        outcome.clientId = claims.clientId
        guard claims.resource == .graph else {
            return fail(GraphError(status: 401, code: "InvalidAuthenticationToken", message: "Invalid audience."))
        }
        guard let tenant = tenant(forKey: claims.tenantId), let app = tenant.readPrimary({ $0.app(clientId: claims.clientId) }) else {
            return fail(
                GraphError(
                    status: 401, code: "InvalidAuthenticationToken",
                    message: "The identity of the calling application could not be established."))
        }

        // Routing.
        let segments: [String]
        do { segments = try GraphRouter.segments(of: relativePath) } catch { return fail(error as? GraphError ?? .badRequest("\(error)")) }
        let match: GraphRouter.Match
        do {
            match = try GraphRouter.match(method: request.method, segments: segments, strict: settings.strict)
        } catch {
            return fail(error as? GraphError ?? .badRequest("\(error)"))
        }
        outcome.operation = "\(match.operation.method) \(match.operation.template)"

        // Permission: the token must carry one of the operation's application permissions.
        let granted = Set(claims.roles)
        if !match.operation.permissions.contains(where: granted.contains) {
            let family = GraphFamily.of(template: match.operation.template)
            if match.operation.permissions.isEmpty {
                return fail(
                    GraphError(status: 403, code: "accessDenied", message: "This operation is not supported with application permissions."))
            }
            return fail(family == .outlook ? .outlookAccessDenied : .denied)
        }

        let query: ODataQuery
        do { query = try ODataQuery.parse(rawQuery: request.query) } catch { return fail(error) }

        var body: JSONValue?
        if !request.body.isEmpty {
            do { body = try JSONValue.parse(request.body) } catch {
                return fail(
                    .badRequest(
                        "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format."
                    ))
            }
        }

        // Throttling, then the time the service takes.
        let now = clock()
        let family = GraphFamily.of(template: match.operation.template)
        var mailboxSlot: String?
        if settings.throttling.enabled {
            if let retryAfter = throttle(
                family: family, method: request.method, template: match.operation.template, query: query, tenant: tenant.id,
                app: app.clientId, settings: settings, now: now)
            {
                outcome.injected = "throttled"
                return fail(
                    throttledError(
                        family: family, retryAfter: retryAfter, sendRetryAfter: settings.throttling.sendRetryAfter || family != .directory,
                        tenantId: tenant.id, appId: app.clientId))
            }
            if family == .outlook, let userKey = match.parameters["user-id"] {
                let mailboxId = tenant.readPrimary { $0.userId(forKey: userKey) } ?? userKey.lowercased()
                let key = "outlook-concurrency/\(tenant.id)/\(app.clientId)/\(mailboxId)"
                if !limiter.enter(key, limit: settings.throttling.outlookConcurrentRequestsPerMailbox) {
                    outcome.injected = "throttled"
                    return fail(
                        GraphError(
                            status: 429, code: "ApplicationThrottled", message: "Application is over its MailboxConcurrency limit.",
                            headers: [("Retry-After", "1")]))
                }
                mailboxSlot = key
            }
        }
        defer { if let mailboxSlot { limiter.leave(mailboxSlot) } }
        if applyLatency { try? await Task.sleep(for: latency(settings, .graph)) }

        let call = GraphCall(
            simulator: self, tenant: tenant, app: app, claims: claims, method: request.method, version: version, operation: match.operation,
            parameters: match.parameters, cast: match.cast, countSegment: match.countSegment, query: query, headers: request.headers,
            body: body, origin: request.origin, rawPath: relativePath, now: clock(), settings: settings)

        // Request body shape, as Graph validates it before doing anything.
        if settings.strict, let schema = match.operation.requestSchema, ["POST", "PATCH", "PUT"].contains(request.method) {
            guard let body else {
                return fail(.badRequest("Empty Payload. JSON content expected."))
            }
            if let contentType = request.header("content-type"), !contentType.lowercased().contains("json") {
                return fail(
                    GraphError(
                        status: 415, code: "BadRequest",
                        message: "Unsupported content type '\(contentType)'. The request body must be JSON."))
            }
            do {
                try SchemaValidator(subset: .shared).validate(body, against: schema)
            } catch {
                return fail(Self.bodyError(error, family: family))
            }
        }

        let result: GraphResult
        do {
            guard let handler = GraphHandlers.table[outcome.operation ?? ""] else {
                return fail(
                    GraphError(status: 501, code: "NotImplemented", message: "The simulator does not implement \(outcome.operation ?? "").")
                )
            }
            result = try handler(call)
        } catch let error as GraphError {
            return fail(error)
        } catch {
            return fail(GraphError(status: 500, code: "generalException", message: "\(error)"))
        }

        if settings.selfCheck, let json = result.body, result.status < 300, let schema = match.operation.responseSchema {
            var validator = SchemaValidator(subset: .shared)
            validator.allowNavigationProperties = true
            do { try validator.validate(json, against: schema) } catch {
                let violation = "\(outcome.operation ?? ""): \(error)"
                selfCheckViolations.withLock { $0.append(violation) }
                return fail(
                    GraphError(
                        status: 500, code: "SimulatorSelfCheckFailed",
                        message: "The simulator's response does not match the Graph schema: \(violation)"))
            }
        }

        var headers = graphHeaders(requestId: requestId, request: request) + result.headers
        if family == .directory {
            headers.append(
                (
                    "x-ms-resource-unit",
                    String(Int(Self.resourceUnits(method: request.method, template: match.operation.template, query: query)))
                ))
        }
        if let json = result.body {
            headers.insert(
                ("Content-Type", "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8"),
                at: 0)
            outcome.response = SimResponse(status: result.status, headers: headers, body: json.serialized())
            outcome.json = json
        } else if let text = result.text {
            headers.insert(("Content-Type", "text/plain"), at: 0)
            outcome.response = SimResponse(status: result.status, headers: headers, body: Array(text.utf8))
            outcome.json = .string(text)
        } else {
            outcome.response = SimResponse(status: result.status, headers: headers, body: [])
        }
        return outcome
    }

    /// How Graph words a request body it rejects, per service family.
    static func bodyError(_ violation: SchemaValidator.Violation, family: GraphFamily) -> GraphError {
        switch family {
        case .outlook:
            switch violation.kind {
            case .unknownProperty, .navigationProperty:
                return GraphError(
                    status: 400, code: "RequestBodyRead",
                    message:
                        "The property '\(violation.property)' does not exist on type '\(violation.typeName)'. Make sure to only use property names that are defined by the type or mark the type as open type."
                )
            default:
                return GraphError(
                    status: 400, code: "RequestBodyRead",
                    message: "Cannot convert the value of property '\(violation.property)': \(violation.detail).")
            }
        case .intune, .files, .reports:
            return GraphError(status: 400, code: "BadRequest", message: "Invalid request body: \(violation.description)")
        case .directory:
            switch violation.kind {
            case .unknownProperty:
                return .badRequest("Property '\(violation.property)' does not exist as a declared property or extension property.")
            case .navigationProperty:
                return .badRequest(
                    "Navigation property '\(violation.property)' cannot be set inline; use '\(violation.property)@odata.bind'.")
            case .wrongType, .invalidValue:
                return .badRequest(
                    "Invalid value specified for property '\(violation.property)' of resource '\(violation.typeName.replacingOccurrences(of: "microsoft.graph.", with: "").capitalized)'."
                )
            }
        }
    }

    // MARK: Throttling

    /// Identity and access resource-unit cost of a request (Microsoft's published table).
    static func resourceUnits(method: String, template: String, query: ODataQuery) -> Double {
        var cost: Double
        if method == "GET" {
            switch template {
            case "/users": cost = 2
            case "/subscribedSkus": cost = 3
            case "/groups/{group-id}/members": cost = 3
            case "/users/{user-id}/memberOf", "/users/{user-id}/ownedObjects", "/users/{user-id}/transitiveMemberOf",
                "/users/{user-id}/licenseDetails",
                "/oauth2PermissionGrants", "/users/{user-id}/oauth2PermissionGrants":
                cost = 2
            default: cost = 1
            }
            if query.select != nil { cost -= 1 }
            if !query.expand.isEmpty { cost += 1 }
            if let top = query.top, top < 20 { cost -= 1 }
        } else {
            cost = 1
        }
        return max(1, cost)
    }

    private func throttle(
        family: GraphFamily, method: String, template: String, query: ODataQuery, tenant: String, app: String, settings: SimulatorSettings,
        now: Date
    ) -> TimeInterval? {
        let limits = settings.throttling
        let isWrite = method != "GET"
        switch family {
        case .directory:
            let units = Self.resourceUnits(method: method, template: template, query: query)
            if let wait = limiter.consume(
                "graph-ru/\(tenant)/\(app)", cost: units, capacity: Double(limits.graphResourceUnitsPer10Seconds), window: 10, now: now)
            {
                return wait
            }
            if isWrite,
                let wait = limiter.consume(
                    "graph-write/\(tenant)/\(app)", cost: 1, capacity: Double(limits.graphWritesPer150Seconds), window: 150, now: now)
            {
                return wait
            }
        case .intune:
            if let wait = limiter.consume("intune/\(tenant)/\(app)", cost: 1, capacity: 2_000, window: 20, now: now) { return wait }
            if isWrite, let wait = limiter.consume("intune-write/\(tenant)/\(app)", cost: 1, capacity: 200, window: 20, now: now) {
                return wait
            }
        case .outlook, .files, .reports:
            if let wait = limiter.consume("graph-other/\(tenant)/\(app)", cost: 1, capacity: 10_000, window: 600, now: now) { return wait }
        }
        return nil
    }

    private func throttledError(
        family: GraphFamily, retryAfter: TimeInterval, sendRetryAfter: Bool, tenantId: String, appId: String
    ) -> GraphError {
        var error = GraphError(status: 429, code: "TooManyRequests", message: "Please retry again later.")
        if sendRetryAfter { error.headers.append(("Retry-After", String(Int(retryAfter)))) }
        if family == .directory {
            error.headers.append(("x-ms-throttle-scope", "Tenant_Application/ReadWrite/\(appId)/\(tenantId)"))
            error.headers.append(("x-ms-throttle-information", "ResourceUnitLimitExceeded"))
        }
        return error
    }
}

// MARK: - Routing

enum GraphRouter {
    struct Match {
        let operation: GraphSubset.Operation
        let parameters: [String: String]
        let cast: String?
        let countSegment: Bool
    }

    static let quotedKeyMarker = "\u{1}"

    /// Splits a path into decoded segments, turning OData key syntax `users('a@b.com')` into `users`, `a@b.com`.
    static func segments(of path: String) throws -> [String] {
        var result: [String] = []
        for raw in path.split(separator: "/", omittingEmptySubsequences: true) {
            let decoded = PercentCoding.decode(raw)
            if let open = decoded.firstIndex(of: "("), decoded.hasSuffix(")"), decoded[..<open].allSatisfy({ $0.isLetter }) {
                let name = String(decoded[..<open])
                var key = String(decoded[decoded.index(after: open)..<decoded.index(before: decoded.endIndex)])
                if key.isEmpty {
                    result.append(name + "()")  // a function call such as delta()
                    continue
                }
                if key.hasPrefix("'"), key.hasSuffix("'"), key.count >= 2 {
                    key = String(key.dropFirst().dropLast()).replacingOccurrences(of: "''", with: "'")
                }
                result.append(name)
                // A key in parentheses may start with `$` (`users('$x@y.com')`); mark it so the
                // router does not take it for a system segment such as `$ref`.
                result.append(key.hasPrefix("$") ? quotedKeyMarker + key : key)
            } else {
                result.append(decoded)
            }
        }
        return result
    }

    /// The one operation outside Microsoft's subset that the simulator serves: deleting through
    /// the members navigation without `$ref`, which deletes the member object itself.
    static let memberDeletionWithoutRef = GraphSubset.Operation(
        method: "DELETE", template: "/groups/{group-id}/members/{directoryObject-id}",
        segments: ["groups", "{group-id}", "members", "{directoryObject-id}"],
        permissions: ["User.ReadWrite.All", "User.DeleteRestore.All", "Directory.ReadWrite.All"], successStatus: 204,
        requestSchema: nil, responseSchema: nil)

    static let castableCollections: Set<String> = [
        "memberof", "transitivememberof", "ownedobjects", "members", "owners", "registereddevices", "owneddevices",
    ]

    static func match(method: String, segments: [String], strict: Bool) throws -> Match {
        var segments = segments
        var countSegment = false
        var cast: String?
        if segments.last == "$count" {
            countSegment = true
            segments.removeLast()
        }
        let operations = GraphSubset.shared.operations + [memberDeletionWithoutRef]
        func attempt(_ segments: [String]) -> (best: (GraphSubset.Operation, [String: String], Int)?, methods: Set<String>, deepest: Int) {
            var best: (GraphSubset.Operation, [String: String], Int)?
            var methods: Set<String> = []
            var deepest = 0
            for operation in operations {
                var parameters: [String: String] = [:]
                var literals = 0
                var matched = 0
                for (index, templateSegment) in operation.segments.enumerated() {
                    guard index < segments.count else { break }
                    let segment = segments[index]
                    if templateSegment.hasPrefix("{") {
                        if segment.hasPrefix("$") { break }
                        let value = segment.hasPrefix(quotedKeyMarker) ? String(segment.dropFirst()) : segment
                        parameters[String(templateSegment.dropFirst().dropLast())] = value
                    } else {
                        let literal = templateSegment.lowercased()
                        let candidate = segment.lowercased()
                        guard literal == candidate || (literal.hasSuffix("()") && literal.dropLast(2) == candidate) else { break }
                        literals += 1
                    }
                    matched += 1
                }
                deepest = max(deepest, matched)
                guard matched == operation.segments.count, segments.count == operation.segments.count else { continue }
                methods.insert(operation.method)
                guard operation.method == method else { continue }
                if best == nil || literals > best!.2 { best = (operation, parameters, literals) }
            }
            return (best, methods, deepest)
        }
        var result = attempt(segments)
        if result.best == nil, result.methods.isEmpty, let last = segments.last, last.lowercased().hasPrefix("microsoft.graph."),
            segments.count >= 2, castableCollections.contains(segments[segments.count - 2].lowercased())
        {
            cast = last
            segments.removeLast()
            result = attempt(segments)
        }
        if let (operation, parameters, _) = result.best {
            return Match(operation: operation, parameters: parameters, cast: cast, countSegment: countSegment)
        }
        if !result.methods.isEmpty { throw GraphError.methodNotAllowed }
        let failing = result.deepest < segments.count ? segments[result.deepest] : (segments.last ?? "")
        throw GraphError.unknownSegment(failing)
    }
}
