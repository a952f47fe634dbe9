public import Foundation
public import Logging

/// How hard the client tries before it gives up.
public struct RetryPolicy: Sendable {
    public var maxAttempts: Int = 8
    /// Overall time budget for one operation, including waits.
    public var deadline: Duration = .seconds(180)
    public var baseDelay: Duration = .milliseconds(200)
    public var maxDelay: Duration = .seconds(30)

    public init() {}

    /// Exponential backoff with full jitter: a random delay up to base·2^(attempt-1), capped.
    func backoff(attempt: Int) -> Duration {
        let ceiling = min(
            Double(maxDelay.components.seconds) * 1_000,
            Double(baseDelay.components.attoseconds) / 1e15 * pow(2, Double(attempt - 1)) + Double(baseDelay.components.seconds) * 1_000)
        return .milliseconds(Int(Double.random(in: ceiling / 2...max(ceiling, 1))))
    }
}

/// Options for a tenant client.
public struct ClientOptions: Sendable {
    public var retry = RetryPolicy()
    /// Requests in flight to one tenant at once (across Graph, Exchange and SharePoint).
    public var tenantConcurrency = 16
    public var outlookConcurrencyPerMailbox = 4
    /// How long a request waits for companions to share a `$batch`.
    public var batchWindow: Duration = .milliseconds(3)
    public var autoBatching = true
    public init() {}
}

/// Everything Turnover does on one tenant goes through this: Graph, the Exchange admin API and
/// SharePoint, with tokens, throttling, retries, batching and paging handled here.
public final class MicrosoftClient: Sendable {
    public let connection: TenantConnection
    public let telemetry: ClientTelemetry
    let transport: HTTPTransport
    let clock: ClientClock
    let options: ClientOptions
    let logger: Logger
    let tokens: TokenProvider
    let tenantLimiter: AsyncSemaphore
    let mailboxLimiters: MailboxLimiters
    private let graphCoalescer: Coalescer<PendingGraph>
    private let exchangeCoalescer: Coalescer<PendingExchange>

    public init(
        connection: TenantConnection, transport: HTTPTransport, clock: ClientClock = .system, options: ClientOptions = ClientOptions(),
        telemetry: ClientTelemetry = ClientTelemetry(), logger: Logger = Logger(label: "turnover.microsoft")
    ) {
        self.connection = connection
        self.transport = transport
        self.clock = clock
        self.options = options
        self.telemetry = telemetry
        self.logger = logger
        tokens = TokenProvider(connection: connection, transport: transport, clock: clock, logger: logger)
        tenantLimiter = AsyncSemaphore(limit: options.tenantConcurrency)
        mailboxLimiters = MailboxLimiters(limit: options.outlookConcurrencyPerMailbox)
        let graphFlush = FlushTarget<PendingGraph>()
        let exchangeFlush = FlushTarget<PendingExchange>()
        graphCoalescer = Coalescer(maxSize: 20, window: options.batchWindow, sleep: clock.sleep) { await graphFlush.run($0) }
        exchangeCoalescer = Coalescer(maxSize: 10, window: options.batchWindow, sleep: clock.sleep) { await exchangeFlush.run($0) }
        graphFlush.target = { [weak self] items in await self?.sendGraphBatch(items) }
        exchangeFlush.target = { [weak self] items in await self?.sendExchangeBatch(items) }
    }

    // MARK: Graph

    /// Sends one Graph request. Independent requests made concurrently travel together in `$batch`es of 20.
    /// Throws `MicrosoftAPIError` for Microsoft's refusals (after retrying what is retryable).
    public func graph(_ request: GraphRequest) async throws -> GraphResponse {
        defer { telemetry.record(.operation, tenant: connection.name) }
        let response: GraphResponse
        if options.autoBatching, request.batchable, request.mailbox == nil, !request.path.contains("://") {
            response = try await withCheckedThrowingContinuation { continuation in
                Task { await graphCoalescer.submit(PendingGraph(request: request, continuation: continuation)) }
            }
        } else {
            response = try await performGraph(request)
        }
        if request.method != "GET" { RequestTrace.current?.record("\(request.method) \(request.template)", requestId: response.requestId) }
        return response
    }

    /// Sends requests as one or more `$batch`es (20 each) and returns results in the caller's order.
    /// With `sequential`, each request depends on the one before it (`dependsOn`).
    public func graphBatch(_ requests: [GraphRequest], sequential: Bool = false) async -> [Result<GraphResponse, any Error>] {
        var results: [Result<GraphResponse, any Error>] = []
        for chunkStart in stride(from: 0, to: requests.count, by: 20) {
            let chunk = Array(requests[chunkStart..<min(chunkStart + 20, requests.count)])
            results += await sendGraphChunk(chunk, sequential: sequential)
            telemetry.record(.operation, tenant: connection.name, count: chunk.count)
        }
        return results
    }

    /// Every item of a collection, page by page, following `@odata.nextLink` verbatim.
    public func graphItems(_ path: String, headers: [(String, String)] = []) -> AsyncThrowingStream<JSONValue, any Error> {
        AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    var next: String? = path
                    while let current = next {
                        // The first page may share a `$batch` with other requests; next links are
                        // absolute URLs, which Graph's `$batch` does not take, so they go on their own.
                        let page =
                            current == path && !current.contains("://")
                            ? try await self.graph(GraphRequest("GET", current, headers: headers))
                            : try await self.performGraph(GraphRequest("GET", current, headers: headers, batchable: false))
                        for item in page.body?["value"]?.array ?? [] { continuation.yield(item) }
                        next = page.body?["@odata.nextLink"]?.string
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    /// All items of a collection, decoded.
    public func graphAll<T: Decodable>(_ path: String, as type: T.Type, headers: [(String, String)] = []) async throws -> [T] {
        var items: [T] = []
        for try await item in graphItems(path, headers: headers) { items.append(try item.decode(T.self)) }
        return items
    }

    func graphURL(_ request: GraphRequest) -> String {
        request.path.contains("://") ? request.path : "\(connection.cloud.graphHost)/\(request.version)\(request.path)"
    }

    /// One request with retries, outside any batch.
    func performGraph(_ request: GraphRequest, ambiguousBefore: Bool = false) async throws -> GraphResponse {
        var headers = request.headers
        if let body = request.body, body != .null, !headers.contains(where: { $0.0.lowercased() == "content-type" }) {
            headers.append(("Content-Type", "application/json"))
        }
        let exchange = HTTPExchangeRequest(
            method: request.method, url: graphURL(request), headers: headers, body: request.body.map { $0.encoded() })
        let response = try await perform(
            exchange, service: .graph, scope: connection.cloud.graphScope, operation: "\(request.method) \(request.template)",
            idempotency: request.idempotency, mailbox: request.mailbox, ambiguousBefore: ambiguousBefore)
        return GraphResponse(
            status: response.status, headers: response.headers, body: JSONValue.parse(response.body),
            requestId: response.header("request-id"),
            confirmedByCheck: response.status == 0)
    }

    // MARK: The retry loop shared by every service

    struct AmbiguousOutcome: Error, CustomStringConvertible {
        var operation: String
        var description: String {
            "\(operation): the connection failed after the request was sent and it is not safe to repeat; check the tenant"
        }
    }

    /// Sends with retries. Returns a response with status 0 when a state check confirmed that an
    /// ambiguous earlier attempt had already taken effect.
    func perform(
        _ exchange: HTTPExchangeRequest, service: MicrosoftAPIError.Service, scope: String, operation: String, idempotency: Idempotency,
        mailbox: String?, ambiguousBefore: Bool
    ) async throws -> HTTPExchangeResponse {
        let started = clock.now()
        let deadline = started.addingTimeInterval(Double(options.retry.deadline.components.seconds))
        var attempt = 0
        var ambiguous = ambiguousBefore
        var refreshedAfter401 = false
        var lastFailure = ""
        while true {
            attempt += 1
            if attempt > 1 { telemetry.record(.retry, tenant: connection.name) }
            if ambiguous {
                switch idempotency {
                case .safe, .deleteIfExists: break
                case .checkFirst(let check):
                    if try await check() {
                        telemetry.record(.verifiedInsteadOfRepeated, tenant: connection.name)
                        logger.info("not repeated: state shows it already happened", metadata: ["operation": "\(operation)"])
                        return HTTPExchangeResponse(status: 0, headers: [], body: Data())
                    }
                case .never:
                    throw AmbiguousOutcome(operation: operation)
                }
            }
            let token = try await tokens.token(scope: scope)
            var request = exchange
            request.headers.append(("Authorization", "Bearer \(token.value)"))
            if !request.headers.contains(where: { $0.0.lowercased() == "client-request-id" }) {
                request.headers.append(("client-request-id", UUID().uuidString.lowercased()))
            }
            let sendStarted = clock.now()
            let prepared = request
            var outcome: Result<HTTPExchangeResponse, any Error>
            do {
                outcome = .success(
                    try await tenantLimiter.withPermit {
                        if let mailbox {
                            return try await self.mailboxLimiters.semaphore(for: mailbox).withPermit {
                                try await self.transport.execute(prepared)
                            }
                        }
                        return try await self.transport.execute(prepared)
                    })
            } catch {
                outcome = .failure(error)
            }
            telemetry.record(.httpRequest, tenant: connection.name)
            let elapsedMs = Int(clock.now().timeIntervalSince(sendStarted) * 1_000)
            var wait: Duration
            switch outcome {
            case .failure(let error):
                if error is CancellationError { throw error }
                telemetry.record(.connectionFailure, tenant: connection.name)
                logger.notice("connection failed", metadata: ["operation": "\(operation)", "error": "\(error)", "ms": "\(elapsedMs)"])
                // The request may have reached Microsoft: only a GET is surely harmless to repeat.
                if exchange.method != "GET" { ambiguous = true }
                lastFailure = "connection: \(error)"
                wait = options.retry.backoff(attempt: attempt)
            case .success(let response):
                logger.debug(
                    "\(exchange.method) \(operation)",
                    metadata: [
                        "status": "\(response.status)", "ms": "\(elapsedMs)", "request-id": "\(response.header("request-id") ?? "-")",
                    ])
                if response.status == 401, !refreshedAfter401 {
                    refreshedAfter401 = true
                    await tokens.invalidate(scope: scope, token: token.value)
                    lastFailure = "401"
                    wait = .zero
                } else if response.status == 429 || [500, 502, 503, 504].contains(response.status) {
                    telemetry.record(response.status == 429 ? .throttled : .transientFailure, tenant: connection.name)
                    lastFailure = "\(response.status)"
                    if let retryAfter = response.header("Retry-After").flatMap(Double.init) {
                        wait = .milliseconds(Int(retryAfter * 1_000))
                    } else {
                        wait = options.retry.backoff(attempt: attempt)
                    }
                } else if response.status == 404, ambiguous, case .deleteIfExists = idempotency {
                    telemetry.record(.verifiedInsteadOfRepeated, tenant: connection.name)
                    return HTTPExchangeResponse(status: 0, headers: response.headers, body: Data())
                } else if response.status >= 400 {
                    throw MicrosoftAPIError.decode(
                        service: service, status: response.status, headers: response.headers, body: response.body, operation: operation)
                } else {
                    return response
                }
            }
            let waitSeconds = Double(wait.components.seconds) + Double(wait.components.attoseconds) / 1e18
            if attempt >= options.retry.maxAttempts || clock.now().addingTimeInterval(waitSeconds) > deadline {
                throw RetriesExhausted(operation: operation, attempts: attempt, lastFailure: lastFailure)
            }
            if wait > .zero { try await clock.sleep(wait) }
        }
    }

    // MARK: Graph batching

    struct PendingGraph: Sendable {
        var request: GraphRequest
        var continuation: CheckedContinuation<GraphResponse, any Error>
    }

    private func sendGraphBatch(_ items: [PendingGraph]) async {
        if items.count == 1 {
            do { items[0].continuation.resume(returning: try await performGraph(items[0].request)) } catch {
                items[0].continuation.resume(throwing: error)
            }
            return
        }
        let results = await sendGraphChunk(items.map(\.request), sequential: false)
        for (item, result) in zip(items, results) { item.continuation.resume(with: result) }
    }

    /// Sends up to 20 requests as one `$batch`; items throttled or failed transiently are retried on their own.
    func sendGraphChunk(_ requests: [GraphRequest], sequential: Bool) async -> [Result<GraphResponse, any Error>] {
        telemetry.record(.batch, tenant: connection.name)
        telemetry.record(.batchedOperation, tenant: connection.name, count: requests.count)
        var entries: [JSONValue] = []
        for (index, request) in requests.enumerated() {
            var entry: [String: JSONValue] = [
                "id": .string(String(index + 1)), "method": .string(request.method), "url": .string(request.path),
            ]
            var headers: [String: JSONValue] = [:]
            for (name, value) in request.headers { headers[name] = .string(value) }
            if let body = request.body {
                entry["body"] = body
                if headers.keys.allSatisfy({ $0.lowercased() != "content-type" }) { headers["Content-Type"] = "application/json" }
            }
            if !headers.isEmpty { entry["headers"] = .object(headers) }
            if sequential, index > 0 { entry["dependsOn"] = [.string(String(index))] }
            entries.append(.object(entry))
        }
        let batch = GraphRequest("POST", "/$batch", body: ["requests": .array(entries)], idempotency: .never, batchable: false)
        let responses: [String: JSONValue]
        let batchRequestId: String?
        do {
            let reply = try await performGraph(batch)
            batchRequestId = reply.requestId
            responses = Dictionary(
                (reply.body?["responses"]?.array ?? []).compactMap { item in item["id"]?.string.map { ($0, item) } },
                uniquingKeysWith: { $1 })
        } catch is AmbiguousOutcome {
            // The batch may or may not have run: each item goes again on its own, with its own safety rules.
            return await withTaskGroup(of: (Int, Result<GraphResponse, any Error>).self) { group in
                for (index, request) in requests.enumerated() {
                    group.addTask {
                        (index, await Result { try await self.performGraph(request, ambiguousBefore: request.method != "GET") })
                    }
                }
                var results = [Result<GraphResponse, any Error>](repeating: .failure(CancellationError()), count: requests.count)
                for await (index, result) in group { results[index] = result }
                return results
            }
        } catch {
            return requests.map { _ in .failure(error) }
        }
        return await withTaskGroup(of: (Int, Result<GraphResponse, any Error>).self) { group in
            for (index, request) in requests.enumerated() {
                let item = responses[String(index + 1)]
                group.addTask { (index, await self.settleBatchItem(request, item: item, batchRequestId: batchRequestId)) }
            }
            var results = [Result<GraphResponse, any Error>](repeating: .failure(CancellationError()), count: requests.count)
            for await (index, result) in group { results[index] = result }
            return results
        }
    }

    private func settleBatchItem(
        _ request: GraphRequest, item: JSONValue?, batchRequestId: String?
    ) async -> Result<GraphResponse, any Error> {
        guard let item, let status = item["status"]?.int else {
            return await Result { try await self.performGraph(request) }
        }
        let headers = (item["headers"]?.object ?? [:]).compactMap { key, value in value.string.map { (key, $0) } }
        if (200..<300).contains(status) {
            // Items rarely carry their own request-id; the batch's is the one Microsoft support can trace.
            let requestId = headers.first { $0.0.lowercased() == "request-id" }?.1 ?? batchRequestId
            return .success(GraphResponse(status: status, headers: headers, body: item["body"], requestId: requestId))
        }
        if status == 429 || status == 424 || [500, 502, 503, 504].contains(status) {
            telemetry.record(status == 429 ? .throttled : .transientFailure, tenant: connection.name)
            telemetry.record(.retry, tenant: connection.name)
            if let retryAfter = headers.first(where: { $0.0.lowercased() == "retry-after" }).flatMap({ Double($0.1) }) {
                try? await clock.sleep(.milliseconds(Int(retryAfter * 1_000)))
            }
            return await Result { try await self.performGraph(request) }
        }
        let body = item["body"].map { $0.encoded() } ?? Data()
        return .failure(
            MicrosoftAPIError.decode(
                service: .graph, status: status, headers: headers, body: body, operation: "\(request.method) \(request.template)"))
    }

    // MARK: Exchange admin API

    struct PendingExchange: Sendable {
        var command: ExchangeCommand
        var continuation: CheckedContinuation<ExchangeOutput, any Error>
    }

    struct ExchangeOutput: Sendable {
        var values: [JSONValue]
        var requestId: String?
    }

    var invokeCommandURL: String { "\(connection.cloud.exchangeHost)/adminapi/beta/\(connection.tenantId)/InvokeCommand" }

    /// Runs one Exchange cmdlet; independent cmdlets made concurrently travel in `$batch`es of 10.
    /// Returns every output object (following `@odata.nextLink`).
    public func exchange(_ command: ExchangeCommand) async throws -> [JSONValue] {
        defer { telemetry.record(.operation, tenant: connection.name) }
        let output: ExchangeOutput
        if options.autoBatching, command.select == nil {
            output = try await withCheckedThrowingContinuation { continuation in
                Task { await exchangeCoalescer.submit(PendingExchange(command: command, continuation: continuation)) }
            }
        } else {
            output = try await performExchange(command)
        }
        if !command.cmdlet.hasPrefix("Get-") { RequestTrace.current?.record(command.cmdlet, requestId: output.requestId) }
        return output.values
    }

    func exchangeBody(_ command: ExchangeCommand) -> JSONValue {
        ["CmdletInput": ["CmdletName": .string(command.cmdlet), "Parameters": .object(command.parameters)]]
    }

    func performExchange(_ command: ExchangeCommand, ambiguousBefore: Bool = false) async throws -> ExchangeOutput {
        var url = invokeCommandURL
        if let select = command.select { url += "?$select=" + select.joined(separator: ",") }
        var values: [JSONValue] = []
        var requestId: String?
        var next: String? = url
        while let current = next {
            let exchange = HTTPExchangeRequest(
                method: "POST", url: current,
                headers: [
                    ("Content-Type", "application/json; charset=utf-8"), ("Prefer", "odata.maxpagesize=1000"),
                    (
                        "X-AnchorMailbox",
                        command.anchorMailbox.map { "UPN:\($0)" }
                            ?? "APP:SystemMailbox{bb558c35-97f1-4cb9-8ff7-d53741dc928c}@\(connection.tenantId)"
                    ),
                ],
                body: exchangeBody(command).encoded())
            let response = try await perform(
                exchange, service: .exchange, scope: connection.cloud.exchangeScope, operation: "InvokeCommand \(command.cmdlet)",
                idempotency: command.idempotency, mailbox: nil, ambiguousBefore: ambiguousBefore)
            if response.status == 0 { return ExchangeOutput(values: [], requestId: nil) }
            requestId = requestId ?? response.header("request-id")
            let json = JSONValue.parse(response.body)
            values += json?["value"]?.array ?? []
            next = json?["@odata.nextLink"]?.string
        }
        return ExchangeOutput(values: values, requestId: requestId)
    }

    private func sendExchangeBatch(_ items: [PendingExchange]) async {
        if items.count == 1 {
            do { items[0].continuation.resume(returning: try await performExchange(items[0].command)) } catch {
                items[0].continuation.resume(throwing: error)
            }
            return
        }
        telemetry.record(.batch, tenant: connection.name)
        telemetry.record(.batchedOperation, tenant: connection.name, count: items.count)
        let entries: [JSONValue] = items.enumerated().map { index, item in
            [
                "id": .string(String(index + 1)), "method": "POST", "url": .string(invokeCommandURL),
                "headers": ["Content-Type": "application/json"], "body": exchangeBody(item.command),
            ]
        }
        let url = "\(connection.cloud.exchangeHost)/adminapi/beta/\(connection.tenantId)/$batch"
        let exchange = HTTPExchangeRequest(
            method: "POST", url: url, headers: [("Content-Type", "application/json")],
            body: JSONValue.object(["requests": .array(entries)]).encoded())
        var responses: [String: JSONValue] = [:]
        var ambiguous = false
        var batchRequestId: String?
        do {
            let response = try await perform(
                exchange, service: .exchange, scope: connection.cloud.exchangeScope, operation: "Exchange $batch", idempotency: .never,
                mailbox: nil,
                ambiguousBefore: false)
            batchRequestId = response.header("request-id")
            for item in JSONValue.parse(response.body)?["responses"]?.array ?? [] {
                if let id = item["id"]?.string { responses[id] = item }
            }
        } catch is AmbiguousOutcome {
            ambiguous = true
        } catch {
            for item in items { item.continuation.resume(throwing: error) }
            return
        }
        let wasAmbiguous = ambiguous
        let settled = responses
        let outerRequestId = batchRequestId
        await withTaskGroup(of: Void.self) { group in
            for (index, item) in items.enumerated() {
                let reply = settled[String(index + 1)]
                group.addTask {
                    guard let reply, let status = reply["status"]?.int else {
                        item.continuation.resume(
                            with: await Result { try await self.performExchange(item.command, ambiguousBefore: wasAmbiguous) })
                        return
                    }
                    if (200..<300).contains(status), reply["body"]?["@odata.nextLink"] == nil {
                        item.continuation.resume(
                            returning: ExchangeOutput(values: reply["body"]?["value"]?.array ?? [], requestId: outerRequestId))
                    } else if (200..<300).contains(status) || status == 429 || [500, 502, 503, 504].contains(status) {
                        if status >= 300 {
                            self.telemetry.record(status == 429 ? .throttled : .transientFailure, tenant: self.connection.name)
                            self.telemetry.record(.retry, tenant: self.connection.name)
                            if let retryAfter = reply["headers"]?["Retry-After"]?.string.flatMap(Double.init) {
                                try? await self.clock.sleep(.milliseconds(Int(retryAfter * 1_000)))
                            }
                        }
                        item.continuation.resume(with: await Result { try await self.performExchange(item.command) })
                    } else {
                        let headers = (reply["headers"]?.object ?? [:]).compactMap { key, value in value.string.map { (key, $0) } }
                        item.continuation.resume(
                            throwing: MicrosoftAPIError.decode(
                                service: .exchange, status: status, headers: headers, body: reply["body"]?.encoded() ?? Data(),
                                operation: "InvokeCommand \(item.command.cmdlet)"))
                    }
                }
            }
        }
    }

    // MARK: SharePoint

    /// A SharePoint REST call on a site (`{siteURL}/_api/…`). SharePoint accepts certificate app tokens only.
    public func sharePoint(
        siteURL: String, method: String, apiPath: String, body: JSONValue?, headers: [(String, String)] = [],
        idempotency: Idempotency = .safe
    )
        async throws -> JSONValue?
    {
        let url = connection.cloud.sharePointRequestBase(siteURL: siteURL) + apiPath
        var allHeaders = [("Accept", "application/json;odata=nometadata")] + headers
        if body != nil { allHeaders.append(("Content-Type", "application/json;odata=nometadata")) }
        let response = try await perform(
            HTTPExchangeRequest(method: method, url: url, headers: allHeaders, body: body?.encoded()), service: .sharePoint,
            scope: connection.cloud.sharePointScope(siteURL: siteURL), operation: "\(method) /_api\(PathTemplate.template(of: apiPath))",
            idempotency: idempotency, mailbox: nil, ambiguousBefore: false)
        if method != "GET" {
            // SharePoint's correlation id, which its support traces (it sends it as request-id as well).
            RequestTrace.current?.record(
                "\(method) /_api\(PathTemplate.template(of: apiPath))",
                requestId: response.header("SPRequestGuid") ?? response.header("request-id"))
        }
        return JSONValue.parse(response.body)
    }

    /// How many token requests this client made (for tests of the cache).
    public func tokenRequestCount() async -> Int { await tokens.tokenRequests }
}

/// One Exchange cmdlet invocation.
public struct ExchangeCommand: Sendable {
    public var cmdlet: String
    public var parameters: [String: JSONValue]
    public var select: [String]?
    public var anchorMailbox: String?
    public var idempotency: Idempotency

    public init(
        _ cmdlet: String, _ parameters: [String: JSONValue] = [:], select: [String]? = nil, anchorMailbox: String? = nil,
        idempotency: Idempotency? = nil
    ) {
        self.cmdlet = cmdlet
        self.parameters = parameters
        self.select = select
        self.anchorMailbox = anchorMailbox
        self.idempotency = idempotency ?? (cmdlet.hasPrefix("Get-") || cmdlet.hasPrefix("Set-") ? .safe : .never)
    }
}

/// Late-bound flush target so the coalescers can call back into the client that owns them.
final class FlushTarget<Item: Sendable>: @unchecked Sendable {
    // Set once in MicrosoftClient.init before any request can be submitted.
    var target: (@Sendable ([Item]) async -> Void)?
    func run(_ items: [Item]) async { await target?(items) }
}

extension Result where Failure == any Error {
    init(catching body: () async throws -> Success) async {
        do { self = .success(try await body()) } catch { self = .failure(error) }
    }
}

extension MicrosoftClient {
    public enum Resource: Sendable { case graph, exchange }

    /// The application permissions (`roles`) in a fresh token for a resource, for `turnover tenant test`.
    public func grantedPermissions(_ resource: Resource) async throws -> [String] {
        let scope = resource == .graph ? connection.cloud.graphScope : connection.cloud.exchangeScope
        let token = try await tokens.token(scope: scope)
        let parts = token.value.split(separator: ".")
        guard parts.count == 3 else { return [] }
        var base64 = parts[1].replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        guard let data = Data(base64Encoded: base64), let payload = JSONValue.parse(data) else { return [] }
        return payload["roles"]?.array?.compactMap(\.string) ?? []
    }
}
