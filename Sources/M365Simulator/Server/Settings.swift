/// What the simulator does to requests: delays, faults, throttling and Microsoft's timings.
///
/// Everything here can be set at start (`turnover sim --latency-ms …`) and changed while running
/// through `PATCH /_sim/settings`.
public struct SimulatorSettings: Codable, Sendable, Equatable {
    /// Added to every Microsoft endpoint request before it is handled.
    public var latencyMilliseconds: Int = 0
    /// Latency per service, in place of `latencyMilliseconds` where set: Exchange's admin API answers
    /// far slower than Graph.
    public var serviceLatency = ServiceLatency()
    /// Uniform random extra latency on top of `latencyMilliseconds`.
    public var latencyJitterMilliseconds: Int = 0
    /// Share of requests answered 503 or 504 before they have any effect.
    public var transientFaultRate: Double = 0
    /// Share of requests answered 429 with `Retry-After` regardless of the throttling budgets, to
    /// test a client's handling of throttling without exhausting a bucket.
    public var throttleFaultRate: Double = 0
    /// The `Retry-After` (seconds) that injected 429s carry.
    public var injectedRetryAfterSeconds: Int = 1
    /// Share of requests whose connection is dropped without a response. Half of these drops
    /// happen after the request took effect, so a client that blindly repeats it is caught.
    public var dropRate: Double = 0
    /// Whether the token endpoint is also subject to faults.
    public var faultTokenEndpoint: Bool = false
    /// Seed for fault and jitter decisions; the same seed gives the same sequence.
    public var randomSeed: UInt64 = 0x5EED
    public var throttling = Throttling()
    /// How long a write takes to reach reads (Graph's replication delay).
    public var replicationDelayMilliseconds: Int = 0
    /// How long after `Set-Mailbox -Type Shared` `Get-Mailbox` reports the new type.
    public var mailboxConversionDelayMilliseconds: Int = 3_000
    /// How long a member who left a licensing group keeps its licences (group-based licensing is
    /// processed in the background).
    public var groupLicenceRemovalDelayMilliseconds: Int = 2_000
    /// How often the simulated Entra Connect sync runs for synced users and groups.
    public var directorySyncIntervalSeconds: Int = 1_800
    public var tokenLifetimeSeconds: Int = 3_599
    /// Reject requests outside Microsoft's documented surface (unknown paths, methods, properties).
    public var strict: Bool = true
    /// Validate every Graph response against the OpenAPI subset and fail loudly on a mismatch.
    public var selfCheck: Bool = false
    /// Return `$batch` responses in an order different from the requests, as Graph may.
    public var shuffleBatchResponses: Bool = true
    /// Keep at most this many request log entries (oldest dropped first).
    public var requestLogCapacity: Int = 200_000

    public init() {}

    public struct ServiceLatency: Codable, Sendable, Equatable {
        public var tokenMilliseconds: Int?
        public var graphMilliseconds: Int?
        public var exchangeMilliseconds: Int?
        public var sharePointMilliseconds: Int?
        public init() {}
    }

    /// The simulated services, for per-service latency.
    public enum Service: Sendable {
        case token, graph, exchange, sharePoint
    }

    /// The latency a request to `service` waits, before jitter.
    public func latencyMilliseconds(for service: Service) -> Int {
        let specific: Int? =
            switch service {
            case .token: serviceLatency.tokenMilliseconds
            case .graph: serviceLatency.graphMilliseconds
            case .exchange: serviceLatency.exchangeMilliseconds
            case .sharePoint: serviceLatency.sharePointMilliseconds
            }
        return specific ?? latencyMilliseconds
    }

    public struct Throttling: Codable, Sendable, Equatable {
        public var enabled: Bool = true
        /// Identity and access resource units per app per tenant per 10 s (Microsoft: 3,500 for a small tenant).
        public var graphResourceUnitsPer10Seconds: Int = 3_500
        /// Directory writes per app per tenant per 150 s (Microsoft: 3,000).
        public var graphWritesPer150Seconds: Int = 3_000
        /// Exchange admin API commands per app per tenant per minute (not published; chosen).
        public var exchangeCommandsPerMinute: Int = 1_200
        /// Concurrent Outlook requests per app per mailbox (Microsoft: 4).
        public var outlookConcurrentRequestsPerMailbox: Int = 4
        /// Whether identity 429s carry `Retry-After` (some reports say they do not).
        public var sendRetryAfter: Bool = true

        public init() {}
    }
}

/// A small, seedable generator so fault injection is reproducible.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
