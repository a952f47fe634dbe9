public import Logging
import Metrics
import Synchronization

/// Counters of what the client did per tenant, exported through swift-metrics and readable directly
/// (for `turnover bench` and tests).
public final class ClientTelemetry: Sendable {
    public struct Counts: Sendable, Equatable, Codable {
        /// HTTP requests sent (a `$batch` counts once).
        public var httpRequests = 0
        /// Logical operations completed for callers (a batched item counts once).
        public var operations = 0
        /// Operations that travelled inside a `$batch`.
        public var batchedOperations = 0
        public var batches = 0
        public var retries = 0
        public var throttled = 0
        public var transientFailures = 0
        public var connectionFailures = 0
        /// Repeats avoided because a state check showed the effect had already happened.
        public var verifiedInsteadOfRepeated = 0
        public var tokenRequests = 0

        public init() {}
    }

    private let counts = Mutex<[String: Counts]>([:])

    public init() {}

    public func snapshot() -> [String: Counts] { counts.withLock { $0 } }

    public func total() -> Counts {
        snapshot().values.reduce(into: Counts()) { total, next in
            total.httpRequests += next.httpRequests
            total.operations += next.operations
            total.batchedOperations += next.batchedOperations
            total.batches += next.batches
            total.retries += next.retries
            total.throttled += next.throttled
            total.transientFailures += next.transientFailures
            total.connectionFailures += next.connectionFailures
            total.verifiedInsteadOfRepeated += next.verifiedInsteadOfRepeated
            total.tokenRequests += next.tokenRequests
        }
    }

    enum Event: String {
        case httpRequest = "requests"
        case operation = "operations"
        case batchedOperation = "batched_operations"
        case batch = "batches"
        case retry = "retries"
        case throttled = "throttled"
        case transientFailure = "transient_failures"
        case connectionFailure = "connection_failures"
        case verifiedInsteadOfRepeated = "verified_instead_of_repeated"
        case tokenRequest = "token_requests"
    }

    func record(_ event: Event, tenant: String, count: Int = 1) {
        counts.withLock { map in
            var entry = map[tenant] ?? Counts()
            switch event {
            case .httpRequest: entry.httpRequests += count
            case .operation: entry.operations += count
            case .batchedOperation: entry.batchedOperations += count
            case .batch: entry.batches += count
            case .retry: entry.retries += count
            case .throttled: entry.throttled += count
            case .transientFailure: entry.transientFailures += count
            case .connectionFailure: entry.connectionFailures += count
            case .verifiedInsteadOfRepeated: entry.verifiedInsteadOfRepeated += count
            case .tokenRequest: entry.tokenRequests += count
            }
            map[tenant] = entry
        }
        Counter(label: "turnover_microsoft_\(event.rawValue)_total", dimensions: [("tenant", tenant)]).increment(by: count)
    }
}

/// Collects the request-ids of the changes made while it is the task's current trace, so a step can
/// record which Microsoft requests carried its effect (what support needs to trace it).
public final class RequestTrace: Sendable {
    @TaskLocal public static var current: RequestTrace?

    public struct Entry: Sendable, Equatable {
        public var operation: String
        public var requestId: String
    }

    private let entries = Mutex<[Entry]>([])

    public init() {}

    func record(_ operation: String, requestId: String?) {
        guard let requestId else { return }
        entries.withLock { $0.append(Entry(operation: operation, requestId: requestId)) }
    }

    public var recorded: [Entry] { entries.withLock { $0 } }
}

/// How long one piece of work (a web page, say) waited on Microsoft: the wall time during which at
/// least one of its HTTP requests was in flight, so requests made in parallel count once. A web
/// page sets one for its handling, and its `Server-Timing` tells Turnover's own time from Microsoft's.
public final class MicrosoftWaitMeter: Sendable {
    @TaskLocal public static var current: MicrosoftWaitMeter?

    private struct State {
        var inFlight = 0
        var since: ContinuousClock.Instant?
        var total: Duration = .zero
    }

    private let state = Mutex(State())

    public init() {}

    func begin() {
        state.withLock { state in
            if state.inFlight == 0 { state.since = .now }
            state.inFlight += 1
        }
    }

    func end() {
        state.withLock { state in
            state.inFlight -= 1
            if state.inFlight == 0, let since = state.since {
                state.total += ContinuousClock.now - since
                state.since = nil
            }
        }
    }

    public var milliseconds: Double {
        let total = state.withLock { $0.total }
        return Double(total.components.seconds) * 1000 + Double(total.components.attoseconds) / 1e15
    }
}
