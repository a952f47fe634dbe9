public import Foundation

/// How a span of the simulator's request log divides into round trips: an HTTP request's depth is
/// one more than the deepest request that had finished before it started, and the deepest is the
/// number of round trips that had to happen one after another.
public struct RoundTrips: Sendable {
    /// The HTTP requests, in the order they started.
    public let outer: [RequestLogEntry]
    /// Requests carried inside `$batch`es.
    public let items: [RequestLogEntry]
    /// Round trip of each HTTP request, by request id.
    public let depths: [String: Int]

    public init(_ entries: [RequestLogEntry]) {
        outer = entries.filter(\.isHTTPRequest).sorted { $0.time < $1.time }
        items = entries.filter { $0.service.hasSuffix("batch-item") }
        var depths: [String: Int] = [:]
        for (index, entry) in outer.enumerated() {
            let previous = outer[..<index].filter { $0.time.addingTimeInterval($0.durationMilliseconds / 1_000) <= entry.time }
            depths[entry.requestId] = 1 + (previous.compactMap { depths[$0.requestId] }.max() ?? 0)
        }
        self.depths = depths
    }

    public var requests: Int { outer.count }
    public var sequential: Int { depths.values.max() ?? 0 }

    /// Get-Mailbox calls after a conversion to shared was requested: the polls that wait for Exchange
    /// and any other step's verification that reads the mailbox.
    public var mailboxReadsAfterConversion: Int {
        guard let conversion = (outer + items).filter({ $0.body?.contains("\"Type\":\"Shared\"") == true }).map(\.time).min() else {
            return 0
        }
        return (outer + items).filter { $0.time > conversion && $0.operation == "Get-Mailbox" }.count
    }

    /// One line per HTTP request: its round trip, what it was, and what it carried.
    public func trace() -> [String] {
        outer.map { entry in
            let carried = items.filter { $0.batchRequestId == entry.requestId }.map { "\($0.method) \($0.operation ?? $0.path)" }
            return "#\(depths[entry.requestId] ?? 0) \(entry.method) \(entry.operation ?? entry.path)"
                + (carried.isEmpty ? "" : ": " + carried.joined(separator: "; "))
        }
    }

    /// The round trip by which every request matching `matches` had been sent (directly or in a batch).
    public func depth(of matches: (RequestLogEntry) -> Bool) -> Int? {
        let carriers = (outer + items).filter(matches).compactMap { depths[$0.batchRequestId ?? $0.requestId] }
        return carriers.max()
    }
}
