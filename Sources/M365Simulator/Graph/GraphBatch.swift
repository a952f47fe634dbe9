import Foundation

extension Simulator {
    /// `POST /$batch`: up to 20 requests, `dependsOn` chains, 424 for a failed dependency,
    /// and inner 429s carrying their own `Retry-After` while the batch itself is 200.
    func handleGraphBatch(
        _ request: SimRequest, version: String, requestId: String, settings: SimulatorSettings, attribution: RequestAttribution
    ) async -> (SimResponse, RequestAttribution) {
        var attribution = attribution
        func fail(_ error: GraphError) -> (SimResponse, RequestAttribution) {
            (graphErrorResponse(error, requestId: requestId, request: request), attribution)
        }
        guard request.method == "POST" else { return fail(.methodNotAllowed) }
        guard let token = request.bearerToken else {
            return fail(GraphError(status: 401, code: "InvalidAuthenticationToken", message: "Access token is empty."))
        }
        if let claims = try? tokens.validate(token, now: clock()) {
            attribution.tenantId = claims.tenantId
            attribution.clientId = claims.clientId
        }
        guard let body = try? JSONValue.parse(request.body), let requests = body["requests"]?.arrayValue else {
            return fail(GraphError(status: 400, code: "BadRequest", message: "Invalid batch payload format."))
        }
        guard requests.count <= 20 else {
            return fail(GraphError(status: 400, code: "BadRequest", message: "The number of batch requests exceeds the limit of 20."))
        }
        guard !requests.isEmpty else {
            return fail(GraphError(status: 400, code: "BadRequest", message: "Batch request must contain at least one request."))
        }

        struct Item {
            var id: String
            var method: String
            var url: String
            var headers: [String: String]
            var body: JSONValue?
            var dependsOn: [String]
        }
        var items: [Item] = []
        var ids: Set<String> = []
        for entry in requests {
            guard let id = entry["id"]?.stringValue, let method = entry["method"]?.stringValue, let url = entry["url"]?.stringValue else {
                return fail(GraphError(status: 400, code: "BadRequest", message: "Each batch request needs an id, a method and a url."))
            }
            guard ids.insert(id).inserted else {
                return fail(
                    GraphError(
                        status: 400, code: "BadRequest", message: "Batch request id '\(id)' is duplicated. Request ids must be unique."))
            }
            var headers: [String: String] = [:]
            for (key, value) in entry["headers"]?.objectValue ?? JSONObject() { headers[key.lowercased()] = value.stringValue ?? "" }
            items.append(
                Item(
                    id: id, method: method.uppercased(), url: url, headers: headers, body: entry["body"],
                    dependsOn: entry["dependsOn"]?.arrayValue?.compactMap(\.stringValue) ?? []))
        }
        for item in items {
            for dependency in item.dependsOn where !ids.contains(dependency) {
                return fail(
                    GraphError(
                        status: 400, code: "BadRequest",
                        message: "Request '\(item.id)' depends on '\(dependency)', which is not in the batch."))
            }
        }

        // The batch takes as long as its slowest inner request; items run as soon as their dependencies finish.
        try? await Task.sleep(for: latency(settings, .graph))
        var statuses: [String: Int] = [:]
        var responses: [JSONValue] = []
        var remaining = items
        while !remaining.isEmpty {
            guard let index = remaining.firstIndex(where: { $0.dependsOn.allSatisfy { statuses[$0] != nil } }) else {
                return fail(GraphError(status: 400, code: "BadRequest", message: "The batch's dependsOn references form a cycle."))
            }
            let item = remaining.remove(at: index)
            let itemRequestId = UUID().uuidString.lowercased()
            var response: JSONObject = JSONObject([("id", .string(item.id))])
            if item.dependsOn.contains(where: { (statuses[$0] ?? 0) >= 400 }) {
                response["status"] = 424
                response["body"] = graphErrorBody(
                    GraphError(status: 424, code: "BadRequest", message: "Failed dependency"), requestId: itemRequestId, request: request)
                statuses[item.id] = 424
                responses.append(.object(response))
                continue
            }
            // Graph also takes an absolute URL on its own host (msgraph-core for Python sends those).
            var itemURL = item.url
            let ownPrefix = "\(request.origin)/\(version)/"
            if itemURL.lowercased().hasPrefix(ownPrefix.lowercased()) { itemURL = "/" + itemURL.dropFirst(ownPrefix.count) }
            guard itemURL.hasPrefix("/") else {
                response["status"] = 400
                response["body"] = graphErrorBody(
                    GraphError(status: 400, code: "BadRequest", message: "Batch request urls must be relative, e.g. /users."),
                    requestId: itemRequestId, request: request)
                statuses[item.id] = 400
                responses.append(.object(response))
                continue
            }
            if item.body != nil, item.headers["content-type"] == nil {
                response["status"] = 400
                response["body"] = graphErrorBody(
                    GraphError(
                        status: 400, code: "BadRequest", message: "Content-Type header must be specified for a batch request with a body."),
                    requestId: itemRequestId, request: request)
                statuses[item.id] = 400
                responses.append(.object(response))
                continue
            }
            var url = itemURL
            for prefix in ["/v1.0/", "/beta/"] where url.lowercased().hasPrefix(prefix) { url = String(url.dropFirst(prefix.count - 1)) }
            let parts = url.split(separator: "?", maxSplits: 1)
            var innerHeaders = request.headers
            for (key, value) in item.headers { innerHeaders[key] = value }
            let inner = SimRequest(
                method: item.method, path: "/\(version)\(parts[0])", query: parts.count > 1 ? String(parts[1]) : nil, headers: innerHeaders,
                body: item.body.map { $0.serialized() } ?? [], origin: request.origin)

            var outcome: GraphOutcome
            if settings.transientFaultRate > 0, randomUnit() < settings.transientFaultRate {
                let error = GraphError(
                    status: 503, code: "serviceNotAvailable", message: "The service is temporarily unavailable. Please retry later.")
                outcome = GraphOutcome(response: graphErrorResponse(error, requestId: itemRequestId, request: inner), injected: "fault")
                outcome.json = graphErrorBody(error, requestId: itemRequestId, request: inner)
            } else {
                outcome = await dispatchGraph(
                    inner, version: version, relativePath: String(parts[0]), requestId: itemRequestId, settings: settings,
                    applyLatency: false)
            }
            statuses[item.id] = outcome.response.status
            response["status"] = .int(Int64(outcome.response.status))
            var headers = JSONObject()
            for (name, value) in outcome.response.headers where ["retry-after", "content-type", "location"].contains(name.lowercased()) {
                headers[name] = .string(value)
            }
            if !headers.isEmpty { response["headers"] = .object(headers) }
            if let json = outcome.json { response["body"] = json }
            responses.append(.object(response))
            recordBatchItem(
                inner,
                attribution: RequestAttribution(
                    service: "graph-batch-item", tenantId: outcome.tenantId, clientId: outcome.clientId, operation: outcome.operation,
                    injected: outcome.injected),
                status: outcome.response.status, requestId: itemRequestId, batchRequestId: requestId)
        }
        if settings.shuffleBatchResponses, responses.count > 1 {
            responses.reverse()
        }
        return (.json(200, ["responses": .array(responses)], headers: graphHeaders(requestId: requestId, request: request)), attribution)
    }
}
