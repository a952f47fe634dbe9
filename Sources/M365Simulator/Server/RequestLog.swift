public import Foundation
import Synchronization

/// One request as the simulator saw it; read through `GET /_sim/requests`.
public struct RequestLogEntry: Codable, Sendable, Equatable {
    public var sequence: Int
    public var time: Date
    /// graph, graph-batch-item, exchange, exchange-batch-item, sharepoint, token, control
    public var service: String
    public var method: String
    /// The path and query as sent (percent-encoded).
    public var path: String
    /// The operation matched: a Graph path template (`PATCH /users/{user-id}`) or an Exchange cmdlet name.
    public var operation: String?
    /// The request body, with secrets and assertions redacted, cut at 16 KB.
    public var body: String?
    /// 0 when the connection was dropped without a response.
    public var status: Int
    /// Set when the simulator interfered: fault, throttled, dropped-before-effect, dropped-after-effect.
    public var injected: String?
    public var tenantId: String?
    public var clientId: String?
    public var requestId: String
    /// For a `$batch` item, the request id of the batch that carried it.
    public var batchRequestId: String?
    public var durationMilliseconds: Double
}

extension RequestLogEntry {
    /// A request that came on its own HTTP exchange: not an item inside a `$batch`, not the control API.
    public var isHTTPRequest: Bool { !service.hasSuffix("batch-item") && service != "control" }

    /// Whether the request asked to change the tenant: not a read, a `$batch` envelope, a token
    /// request, an Exchange `Get-` cmdlet or a Graph action that only reads.
    public var isChange: Bool {
        guard method != "GET", !["token", "control"].contains(service), !path.hasSuffix("$batch") else { return false }
        if let operation {
            if service.hasPrefix("exchange") { return !operation.hasPrefix("Get-") }
            if Self.readingActions.contains(where: operation.contains) { return false }
        }
        return true
    }

    /// Whether the tenant saw the request's effect: answered 2xx, or dropped after taking effect.
    public var tookEffect: Bool {
        injected == "dropped-after-effect" || ((200..<300).contains(status) && injected == nil)
    }

    /// For a change that took effect, a key that is the same for the same change sent twice: what
    /// tests count to prove nothing was applied twice.
    public var effectKey: String? { isChange && tookEffect ? "\(method) \(path) \(body ?? "")" : nil }

    static let readingActions = ["getByIds", "getMemberGroups", "getMemberObjects", "checkMemberGroups", "checkMemberObjects"]
}

final class RequestLog: Sendable {
    private struct Storage {
        var entries: [RequestLogEntry] = []
        var next = 1
        var dropped = 0
    }

    private let storage = Mutex(Storage())

    @discardableResult
    func append(_ entry: RequestLogEntry, capacity: Int) -> Int {
        storage.withLock { storage in
            var entry = entry
            entry.sequence = storage.next
            storage.next += 1
            storage.entries.append(entry)
            if storage.entries.count > capacity {
                let excess = storage.entries.count - capacity
                storage.entries.removeFirst(excess)
                storage.dropped += excess
            }
            return entry.sequence
        }
    }

    func entries(since sequence: Int) -> [RequestLogEntry] {
        storage.withLock { storage in
            guard let start = storage.entries.firstIndex(where: { $0.sequence > sequence }) else { return [] }
            return Array(storage.entries[start...])
        }
    }

    var count: Int { storage.withLock { $0.next - 1 } }

    func clear() {
        storage.withLock { $0.entries.removeAll() }
    }
}
