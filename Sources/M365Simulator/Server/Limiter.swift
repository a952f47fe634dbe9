import Foundation
import Synchronization

/// Token buckets per app and tenant, and in-flight counters per mailbox.
final class Limiter: Sendable {
    private struct Bucket {
        var tokens: Double
        var updated: Date
    }

    private let buckets = Mutex<[String: Bucket]>([:])
    private let inFlight = Mutex<[String: Int]>([:])

    /// Takes `cost` from the bucket `key`; returns the seconds to wait when it is empty.
    func consume(_ key: String, cost: Double, capacity: Double, window: TimeInterval, now: Date) -> TimeInterval? {
        guard capacity > 0, window > 0 else { return nil }
        let rate = capacity / window
        return buckets.withLock { buckets in
            var bucket = buckets[key] ?? Bucket(tokens: capacity, updated: now)
            bucket.tokens = min(capacity, bucket.tokens + max(0, now.timeIntervalSince(bucket.updated)) * rate)
            bucket.updated = now
            defer { buckets[key] = bucket }
            if bucket.tokens >= cost {
                bucket.tokens -= cost
                return nil
            }
            return max(1, ((cost - bucket.tokens) / rate).rounded(.up))
        }
    }

    /// Share of a bucket in use (0 = untouched, 1 = empty), for `x-ms-throttle-limit-percentage`.
    func usage(_ key: String, capacity: Double) -> Double {
        guard capacity > 0 else { return 0 }
        return buckets.withLock { buckets in
            guard let bucket = buckets[key] else { return 0 }
            return 1 - bucket.tokens / capacity
        }
    }

    /// Enters a concurrency slot; false when `limit` requests are already in flight.
    func enter(_ key: String, limit: Int) -> Bool {
        inFlight.withLock { counts in
            let current = counts[key, default: 0]
            guard current < limit else { return false }
            counts[key] = current + 1
            return true
        }
    }

    func leave(_ key: String) {
        inFlight.withLock { counts in
            let remaining = counts[key, default: 1] - 1
            counts[key] = remaining > 0 ? remaining : nil
        }
    }

    func reset() {
        buckets.withLock { $0.removeAll() }
    }
}
