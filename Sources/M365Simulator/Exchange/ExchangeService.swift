import Foundation

/// An Exchange cmdlet failure, rendered as the admin API's 400 body with the real message in
/// `innererror.internalexception`.
struct ExchangeError: Error, Sendable {
    var message: String
    var exceptionType: String
    var status = 400

    static func notFound(_ identity: String) -> ExchangeError {
        ExchangeError(
            message:
                "Ex6F9304|Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException|The operation couldn't be performed because object '\(identity)' couldn't be found on 'SIM01A001DC001.NAMPRD01.PROD.OUTLOOK.COM'.",
            exceptionType: "Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException", status: 404)
    }

    static func parameter(_ name: String) -> ExchangeError {
        ExchangeError(
            message: "A parameter cannot be found that matches parameter name '\(name)'.",
            exceptionType: "Microsoft.Exchange.AdminApi.CommandInvocation.ParameterBindingException")
    }

    static func invalidValue(_ parameter: String, _ detail: String) -> ExchangeError {
        ExchangeError(
            message: "Cannot process argument transformation on parameter '\(parameter)'. \(detail)",
            exceptionType: "Microsoft.Exchange.AdminApi.CommandInvocation.ParameterTransformationException")
    }

    static func missing(_ parameter: String) -> ExchangeError {
        ExchangeError(
            message: "Cannot process command because of one or more missing mandatory parameters: \(parameter).",
            exceptionType: "Microsoft.Exchange.AdminApi.CommandInvocation.ParameterBindingException")
    }

    static func task(_ message: String, _ type: String = "Microsoft.Exchange.Configuration.Tasks.TaskException") -> ExchangeError {
        ExchangeError(message: "Ex2E4DD1|\(type)|\(message)", exceptionType: type)
    }

    /// Parameter binding and transformation fail before the cmdlet runs; everything else is an
    /// execution error, which Exchange reports in a different envelope.
    var isParameterBinding: Bool { exceptionType.contains(".CommandInvocation.") }

    /// The message without the `ExNNNN|Type|` prefix Exchange puts in front of it.
    var plainMessage: String {
        let parts = message.split(separator: "|", maxSplits: 2)
        return parts.count == 3 ? String(parts[2]) : message
    }
}

/// One cmdlet invocation as handlers see it.
struct ExchangeCall {
    let simulator: Simulator
    let tenant: SimulatedTenant
    let app: AppRegistration
    let cmdlet: String
    /// Parameter values keyed by lowercased name.
    let parameters: [String: JSONValue]
    let now: Date
    let settings: SimulatorSettings
    var warnings: [String] = []

    func has(_ name: String) -> Bool { parameters[name.lowercased()] != nil }

    func string(_ name: String) throws -> String? {
        guard let value = parameters[name.lowercased()] else { return nil }
        switch value {
        case .null: return nil
        case .string(let text): return text
        case .int(let number): return String(number)
        case .double(let number): return String(number)
        case .bool(let flag): return flag ? "True" : "False"
        default: throw ExchangeError.invalidValue(name, "Cannot convert the value to type System.String.")
        }
    }

    func required(_ name: String) throws -> String {
        guard let value = try string(name), !value.isEmpty else { throw ExchangeError.missing(name) }
        return value
    }

    func bool(_ name: String) throws -> Bool? {
        guard let value = parameters[name.lowercased()] else { return nil }
        switch value {
        case .bool(let flag): return flag
        case .string(let text):
            switch text.lowercased() {
            case "true", "$true": return true
            case "false", "$false": return false
            default: break
            }
        case .null: return nil
        default: break
        }
        throw ExchangeError.invalidValue(
            name,
            "Cannot convert value \"\(value.jsonText)\" to type \"System.Boolean\". Boolean parameters accept only Boolean values and numbers, such as $True, $False, 1 or 0."
        )
    }

    func int(_ name: String) throws -> Int? {
        guard let value = parameters[name.lowercased()] else { return nil }
        if let number = value.intValue { return Int(number) }
        if let text = value.stringValue, let number = Int(text) { return number }
        if value.isNull { return nil }
        throw ExchangeError.invalidValue(name, "Cannot convert value \"\(value.jsonText)\" to type \"System.Int32\".")
    }

    func strings(_ name: String) throws -> [String]? {
        guard let value = parameters[name.lowercased()] else { return nil }
        switch value {
        case .null: return []
        case .string(let text): return [text]
        case .array(let items): return items.compactMap(\.stringValue)
        default: throw ExchangeError.invalidValue(name, "Cannot convert the value to type System.String[].")
        }
    }

    func date(_ name: String) throws -> Date? {
        guard let text = try string(name) else { return nil }
        if let date = GraphDate.parse(text) { return date }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        for format in ["M/d/yyyy h:mm:ss a", "M/d/yyyy H:mm", "M/d/yyyy", "yyyy-MM-dd"] {
            formatter.dateFormat = format
            if let date = formatter.date(from: text) { return date }
        }
        throw ExchangeError.invalidValue(name, "Cannot convert value \"\(text)\" to type \"System.DateTime\".")
    }

    /// The mailbox user behind a parameter, or Exchange's not-found error.
    func mailbox(_ name: String = "Identity", in data: TenantData) throws -> String {
        let identity = try required(name)
        guard let id = data.mailboxUserId(forIdentity: identity) else { throw ExchangeError.notFound(identity) }
        return id
    }

    func recipient(_ name: String, in data: TenantData) throws -> String {
        let identity = try required(name)
        guard let id = data.recipientId(forIdentity: identity) else { throw ExchangeError.notFound(identity) }
        return id
    }
}

typealias ExchangeCmdletHandler = @Sendable (inout ExchangeCall, inout TenantData) throws -> [JSONValue]

struct ExchangeCmdlet: Sendable {
    let parameters: Set<String>
    let writes: Bool
    let handler: ExchangeCmdletHandler
}

extension Simulator {
    /// `/adminapi/beta/{tenantId}/InvokeCommand` and `/adminapi/beta/{tenantId}/$batch`.
    func handleExchange(_ request: SimRequest, requestId: String, settings: SimulatorSettings) async -> (SimResponse, RequestAttribution) {
        var attribution = RequestAttribution(service: "exchange")
        let segments = request.path.split(separator: "/").map(String.init)
        guard segments.count == 4, segments[1].lowercased() == "beta" else {
            return (.json(404, ["error": ["code": "NotFound", "message": "The requested resource was not found."]]), attribution)
        }
        let tenantKey = segments[2]
        let action = segments[3].lowercased()
        if action == "$batch" {
            attribution.operation = "$batch"
            return await handleExchangeBatch(
                request, tenantKey: tenantKey, requestId: requestId, settings: settings, attribution: attribution)
        }
        guard action == "invokecommand" else {
            return (.json(404, ["error": ["code": "NotFound", "message": "The requested resource was not found."]]), attribution)
        }
        let outcome = await invokeCommand(request, tenantKey: tenantKey, requestId: requestId, settings: settings, applyLatency: true)
        attribution.tenantId = outcome.tenantId
        attribution.clientId = outcome.clientId
        attribution.operation = outcome.cmdlet
        attribution.injected = outcome.injected
        return (outcome.response, attribution)
    }

    struct ExchangeOutcome {
        var response: SimResponse
        var json: JSONValue?
        var tenantId: String?
        var clientId: String?
        var cmdlet: String?
        var injected: String?
    }

    func invokeCommand(
        _ request: SimRequest, tenantKey: String, requestId: String, settings: SimulatorSettings, applyLatency: Bool
    ) async -> ExchangeOutcome {
        var outcome = ExchangeOutcome(response: .dropped)
        let headers: [(String, String)] = [("request-id", requestId), ("Date", GraphDate.http(clock())), ("X-Powered-By", "ASP.NET")]
        // Authentication: an Exchange token for this tenant, with Exchange.ManageAsApp and an Exchange role.
        guard let token = request.bearerToken, let claims = try? tokens.validate(token, now: clock()) else {
            outcome.response = SimResponse(
                status: 401,
                headers: headers + [
                    ("WWW-Authenticate", "Bearer client_id=\"00000002-0000-0ff1-ce00-000000000000\", error=\"invalid_token\"")
                ], body: [])
            return outcome
        }
        outcome.tenantId = claims.tenantId
        outcome.clientId = claims.clientId
        guard claims.resource == .exchange, let tenant = tenant(forKey: tenantKey), tenant.id == claims.tenantId,
            let app = tenant.readPrimary({ $0.app(clientId: claims.clientId) })
        else {
            outcome.response = SimResponse(
                status: 401, headers: headers + [("WWW-Authenticate", "Bearer error=\"invalid_token\"")], body: [])
            return outcome
        }
        let hasRole = tenant.readPrimary { data in
            data.roleAssignments(of: app.servicePrincipalId).contains {
                Catalog.exchangeRoles.contains(data.role(id: $0.roleDefinitionId)?.displayName ?? "")
            }
        }
        guard claims.roles.contains("Exchange.ManageAsApp"), hasRole else {
            // Observed from the real service: a 403 whose body is not JSON.
            outcome.response = SimResponse(status: 403, headers: headers, body: [0, 0, 0, 0])
            return outcome
        }
        guard let body = try? JSONValue.parse(request.body), let input = body["CmdletInput"]?.objectValue,
            let cmdletName = input["CmdletName"]?.stringValue
        else {
            outcome.response = exchangeError(
                ExchangeError(
                    message: "The request body must be {\"CmdletInput\":{\"CmdletName\":…,\"Parameters\":{…}}}.",
                    exceptionType: "Microsoft.Exchange.AdminApi.CommandInvocation.InvalidRequestException"),
                headers: headers)
            return outcome
        }
        outcome.cmdlet = cmdletName
        if settings.throttling.enabled,
            let wait = limiter.consume(
                "exchange/\(tenant.id)/\(app.clientId)", cost: 1, capacity: Double(settings.throttling.exchangeCommandsPerMinute),
                window: 60, now: clock())
        {
            outcome.injected = "throttled"
            outcome.response = SimResponse(
                status: 429,
                headers: headers + [
                    ("Retry-After", String(Int(wait))), ("Rate-Limit-Limit", String(settings.throttling.exchangeCommandsPerMinute)),
                    ("Rate-Limit-Remaining", "0"), ("Rate-Limit-Reset", GraphDate.directory(clock().addingTimeInterval(wait))),
                ],
                body: Array(#"{"error":{"code":"TooManyRequests","message":"Too many requests. Please retry after some time."}}"#.utf8))
            return outcome
        }
        if applyLatency { try? await Task.sleep(for: latency(settings, .exchange)) }
        guard let cmdlet = ExchangeCmdlets.table[cmdletName.lowercased()] else {
            outcome.response = exchangeError(
                ExchangeError(
                    message:
                        "The term '\(cmdletName)' is not recognized as a name of a cmdlet, function, script file, or executable program.",
                    exceptionType: "System.Management.Automation.CommandNotFoundException"),
                headers: headers)
            return outcome
        }
        var parameters: [String: JSONValue] = [:]
        for (key, value) in input["Parameters"]?.objectValue ?? JSONObject() {
            guard cmdlet.parameters.contains(key.lowercased()) else {
                outcome.response = exchangeError(.parameter(key), headers: headers)
                return outcome
            }
            parameters[key.lowercased()] = value
        }
        var call = ExchangeCall(
            simulator: self, tenant: tenant, app: app, cmdlet: cmdletName, parameters: parameters, now: clock(), settings: settings)
        do {
            let values: [JSONValue]
            if cmdlet.writes {
                values = try tenant.write(now: call.now, replicationDelay: .milliseconds(settings.replicationDelayMilliseconds)) { data in
                    try data.runDirectorySyncIfDue(now: call.now, interval: .seconds(settings.directorySyncIntervalSeconds))
                    data.writeTime = call.now
                    defer { data.writeTime = nil }
                    return try ExchangeCmdlets.run(cmdlet, &call, data: &data)
                }
            } else {
                var snapshot = tenant.readPrimary { $0 }
                values = try ExchangeCmdlets.run(cmdlet, &call, data: &snapshot)
            }
            var selected = values
            if let select = request.query?.split(separator: "&").first(where: { $0.lowercased().hasPrefix("$select=") }) {
                let fields = PercentCoding.decodeQuery(select.dropFirst("$select=".count)).split(separator: ",").map { $0.lowercased() }
                selected = values.map { value in
                    guard let object = value.objectValue else { return value }
                    var reduced = JSONObject()
                    for (key, item) in object where fields.contains(key.lowercased()) { reduced[key] = item }
                    return .object(reduced)
                }
            }
            let pageSize =
                request.header("prefer").flatMap { prefer -> Int? in
                    prefer.split(separator: ",").compactMap { part -> Int? in
                        let pieces = part.trimmingCharacters(in: .whitespaces).split(separator: "=")
                        return pieces.count == 2 && pieces[0].lowercased() == "odata.maxpagesize" ? Int(pieces[1]) : nil
                    }.first
                } ?? 1_000
            var offset = 0
            if let token = request.query?.split(separator: "&").first(where: { $0.lowercased().hasPrefix("$skiptoken=") }) {
                offset = Int(token.dropFirst("$skiptoken=".count)) ?? 0
            }
            let page = Array(selected.dropFirst(offset).prefix(max(1, pageSize)))
            var json = JSONObject([
                ("@odata.context", .string("\(request.origin)/adminapi/beta/\(tenant.id)/$metadata#Collection(Exchange.GenericHashTable)")),
                ("adminapi.warnings@odata.type", "#Collection(String)"),
                ("@adminapi.warnings", .strings(call.warnings)),
            ])
            if offset + page.count < selected.count {
                json["@odata.nextLink"] = .string(
                    "\(request.origin)/adminapi/beta/\(tenant.id)/InvokeCommand?$skiptoken=\(offset + page.count)")
            }
            json["value"] = .array(page)
            outcome.json = .object(json)
            outcome.response = .json(
                200, .object(json),
                headers: headers + [
                    ("Rate-Limit-Limit", String(settings.throttling.exchangeCommandsPerMinute)),
                    (
                        "Rate-Limit-Remaining",
                        String(
                            Int(
                                Double(settings.throttling.exchangeCommandsPerMinute)
                                    * (1
                                        - limiter.usage(
                                            "exchange/\(tenant.id)/\(app.clientId)",
                                            capacity: Double(settings.throttling.exchangeCommandsPerMinute)))))
                    ),
                ])
        } catch let error as ExchangeError {
            outcome.response = exchangeError(error, headers: headers)
            outcome.json = exchangeErrorBody(error)
        } catch {
            outcome.response = exchangeError(
                ExchangeError(message: "\(error)", exceptionType: "System.Exception", status: 500), headers: headers)
        }
        return outcome
    }

    /// Parameter-binding errors carry the real text in `innererror.internalexception`; cmdlet-execution
    /// errors say only "Error executing cmdlet" there (a generic wrapper exception) and carry
    /// `ExNNNN|Type|text` in `details[0].message`, with `code` naming the failure (`NotFound`).
    func exchangeErrorBody(_ error: ExchangeError) -> JSONValue {
        if error.isParameterBinding {
            return [
                "error": [
                    "code": .string(error.status == 400 ? "BadRequest" : "InternalServerError"),
                    "message": "Invalid Operation",
                    "details": [["code": "Client", "target": "", "message": .string("|\(error.exceptionType)|\(error.plainMessage)")]],
                    "innererror": [
                        "message": "Invalid Operation",
                        "type": "Microsoft.Exchange.Admin.OData.Core.ODataServiceException",
                        "stacktrace": "",
                        "internalexception": ["message": .string(error.message), "type": .string(error.exceptionType), "stacktrace": ""],
                    ],
                    "adminapi.warnings@odata.type": "#Collection(String)",
                    "@adminapi.warnings": [],
                ]
            ]
        }
        let wrapper = "Microsoft.Exchange.AdminApi.CommandInvocation.DirectInvokeCmdletExecutionException"
        let code: String =
            switch error.status {
            case 404: "NotFound"
            case 400: "BadRequest"
            default: "InternalServerError"
            }
        let detail = error.message.contains("|") ? error.message : "Ex000000|\(error.exceptionType)|\(error.message)"
        return [
            "error": [
                "code": .string(code),
                "message": "Error executing cmdlet",
                "details": [["code": "Context", "target": "", "message": .string(detail)]],
                "innererror": [
                    "message": "Error executing cmdlet",
                    "type": "Microsoft.Exchange.Admin.OData.Core.ODataServiceException",
                    "stacktrace": "",
                    "internalexception": [
                        "message": .string("Exception of type '\(wrapper)' was thrown."), "type": .string(wrapper), "stacktrace": "",
                    ],
                ],
                "adminapi.warnings@odata.type": "#Collection(String)",
                "@adminapi.warnings": [],
            ]
        ]
    }

    private func exchangeError(_ error: ExchangeError, headers: [(String, String)]) -> SimResponse {
        .json(error.status, exchangeErrorBody(error), headers: headers)
    }

    private func handleExchangeBatch(
        _ request: SimRequest, tenantKey: String, requestId: String, settings: SimulatorSettings, attribution: RequestAttribution
    ) async -> (SimResponse, RequestAttribution) {
        var attribution = attribution
        if let token = request.bearerToken, let claims = try? tokens.validate(token, now: clock()) {
            attribution.tenantId = claims.tenantId
            attribution.clientId = claims.clientId
        }
        guard let body = try? JSONValue.parse(request.body), let requests = body["requests"]?.arrayValue else {
            return (.json(400, ["error": ["code": "BadRequest", "message": "Invalid batch payload."]]), attribution)
        }
        guard requests.count <= 10 else {
            return (
                .json(400, ["error": ["code": "BadRequest", "message": "The batch contains more than the maximum of 10 requests."]]),
                attribution
            )
        }
        try? await Task.sleep(for: latency(settings, .exchange))
        var responses: [JSONValue] = []
        for entry in requests {
            let id = entry["id"]?.stringValue ?? ""
            let itemRequestId = UUID().uuidString.lowercased()
            var headers = request.headers
            for (key, value) in entry["headers"]?.objectValue ?? JSONObject() { headers[key.lowercased()] = value.stringValue ?? "" }
            let url = entry["url"]?.stringValue ?? ""
            let query = url.split(separator: "?", maxSplits: 1).dropFirst().first.map(String.init)
            let inner = SimRequest(
                method: "POST", path: request.path.replacingOccurrences(of: "$batch", with: "InvokeCommand"), query: query,
                headers: headers,
                body: entry["body"]?.serialized() ?? [], origin: request.origin)
            let outcome: ExchangeOutcome
            if settings.transientFaultRate > 0, randomUnit() < settings.transientFaultRate {
                outcome = ExchangeOutcome(response: SimResponse(status: 503, headers: [], body: []), injected: "fault")
            } else {
                outcome = await invokeCommand(
                    inner, tenantKey: tenantKey, requestId: itemRequestId, settings: settings, applyLatency: false)
            }
            var response = JSONObject([("id", .string(id)), ("status", .int(Int64(outcome.response.status)))])
            if let json = outcome.json { response["body"] = json }
            if let retryAfter = outcome.response.headers.first(where: { $0.0 == "Retry-After" }) {
                response["headers"] = ["Retry-After": .string(retryAfter.1)]
            }
            responses.append(.object(response))
            recordBatchItem(
                inner,
                attribution: RequestAttribution(
                    service: "exchange-batch-item", tenantId: outcome.tenantId, clientId: outcome.clientId, operation: outcome.cmdlet,
                    injected: outcome.injected),
                status: outcome.response.status, requestId: itemRequestId, batchRequestId: requestId)
        }
        return (.json(200, ["responses": .array(responses)], headers: [("request-id", requestId)]), attribution)
    }
}
