import Synchronization

/// A counting semaphore for async code: at most `limit` holders at once, waiters served in order.
actor AsyncSemaphore {
    private var available: Int
    private var waiters: [CheckedContinuation<Void, Never>] = []

    init(limit: Int) { available = limit }

    func acquire() async {
        if available > 0 {
            available -= 1
            return
        }
        await withCheckedContinuation { waiters.append($0) }
    }

    func release() {
        if waiters.isEmpty {
            available += 1
        } else {
            waiters.removeFirst().resume()
        }
    }

    func withPermit<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        await acquire()
        do {
            let result = try await body()
            release()
            return result
        } catch {
            release()
            throw error
        }
    }
}

/// One semaphore per mailbox: Outlook allows 4 concurrent requests per app and mailbox.
final class MailboxLimiters: Sendable {
    private let limit: Int
    private let semaphores = Mutex<[String: AsyncSemaphore]>([:])

    init(limit: Int) { self.limit = limit }

    func semaphore(for mailbox: String) -> AsyncSemaphore {
        semaphores.withLock { map in
            let key = mailbox.lowercased()
            if let existing = map[key] { return existing }
            let created = AsyncSemaphore(limit: limit)
            map[key] = created
            return created
        }
    }
}

/// Collects requests made at about the same time so they can travel in one batch.
///
/// A request waits at most `window` for companions; a full batch leaves at once.
actor Coalescer<Item: Sendable> {
    private let maxSize: Int
    private let window: Duration
    private let sleep: @Sendable (Duration) async throws -> Void
    private let flush: @Sendable ([Item]) async -> Void
    private var pending: [Item] = []
    private var scheduled = false

    init(
        maxSize: Int, window: Duration, sleep: @escaping @Sendable (Duration) async throws -> Void,
        flush: @escaping @Sendable ([Item]) async -> Void
    ) {
        self.maxSize = maxSize
        self.window = window
        self.sleep = sleep
        self.flush = flush
    }

    func submit(_ item: Item) {
        pending.append(item)
        if pending.count >= maxSize {
            let batch = pending
            pending = []
            let flush = self.flush
            Task { await flush(batch) }
        } else if !scheduled {
            scheduled = true
            let window = self.window
            let sleep = self.sleep
            Task {
                try? await sleep(window)
                await self.flushAfterWindow()
            }
        }
    }

    private func flushAfterWindow() {
        scheduled = false
        guard !pending.isEmpty else { return }
        let batch = pending
        pending = []
        let flush = self.flush
        Task { await flush(batch) }
    }
}
