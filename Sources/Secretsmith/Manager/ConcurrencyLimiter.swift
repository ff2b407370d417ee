/// An async semaphore: at most `limit` operations run at once; the others wait in FIFO
/// order. Bounds the number of Secret Manager calls in flight (`concurrency:`).
package actor ConcurrencyLimiter {
    /// The most operations at once.
    package let limit: Int
    private var running = 0
    private var waiters: [(id: UInt64, continuation: CheckedContinuation<Void, any Error>)] = []
    private var nextID: UInt64 = 0

    /// - Parameter limit: the most operations at once; at least 1.
    package init(limit: Int) {
        self.limit = max(1, limit)
    }

    /// Runs `operation` when a slot is free.
    ///
    /// - Throws: `CancellationError` if the task is cancelled while waiting (or was
    ///   cancelled when the slot came free; the slot passes on), or what `operation` throws.
    package func run<T: Sendable>(_ operation: @Sendable () async throws -> T) async throws -> T {
        try await acquire()
        defer { release() }
        try Task.checkCancellation()
        return try await operation()
    }

    /// The operations running now (for tests).
    package var inUse: Int { running }

    /// The operations waiting for a slot (for tests).
    package var waiting: Int { waiters.count }

    private func acquire() async throws {
        if running < limit {
            running += 1
            return
        }
        nextID += 1
        let id = nextID
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                if Task.isCancelled {
                    continuation.resume(throwing: CancellationError())
                } else {
                    waiters.append((id, continuation))
                }
            }
        } onCancel: {
            Task { await self.cancelWaiter(id) }
        }
    }

    private func release() {
        if waiters.isEmpty {
            running -= 1
        } else {
            // Hand the slot straight to the next waiter; `running` stays the same.
            waiters.removeFirst().continuation.resume()
        }
    }

    private func cancelWaiter(_ id: UInt64) {
        guard let index = waiters.firstIndex(where: { $0.id == id }) else { return }
        waiters.remove(at: index).continuation.resume(throwing: CancellationError())
    }
}
