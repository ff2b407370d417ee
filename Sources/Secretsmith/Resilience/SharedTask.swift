import Synchronization

/// One unit of work shared by every task that waits for it (single flight), cancelled
/// when the last of them stops waiting.
///
/// The work runs in its own unstructured task (which inherits the creating task's
/// task-local values, such as the trace context), so one waiter's cancellation does not
/// cancel it for the others: a cancelled waiter leaves at once with `CancellationError`.
/// When every waiter has left before the work finished, the work's task is cancelled and
/// ``isAbandoned`` becomes true; callers then start a new `SharedTask` rather than join it.
package final class SharedTask<Value: Sendable>: Sendable {
    private struct State {
        var waiters: [UInt64: CheckedContinuation<Value, any Error>] = [:]
        var nextWaiter: UInt64 = 0
        var result: Result<Value, any Error>?
        var task: Task<Void, Never>?
        var abandoned = false
    }

    private let state = Mutex(State())

    /// Starts `operation` at once.
    package init(_ operation: @escaping @Sendable () async throws -> Value) {
        let task = Task { [self] in
            let result: Result<Value, any Error>
            do {
                result = .success(try await operation())
            } catch {
                result = .failure(error)
            }
            let waiters = state.withLock { state in
                state.result = result
                defer { state.waiters.removeAll() }
                return Array(state.waiters.values)
            }
            for waiter in waiters { waiter.resume(with: result) }
        }
        let cancelNow = state.withLock { state in
            state.task = task
            return state.abandoned
        }
        if cancelNow { task.cancel() }
    }

    /// Whether every waiter left before the work finished, so the work was cancelled.
    package var isAbandoned: Bool { state.withLock { $0.abandoned && $0.result == nil } }

    /// The tasks waiting now (for tests).
    package var waiting: Int { state.withLock { $0.waiters.count } }

    /// Waits for the work's result.
    ///
    /// - Throws: what the work threw; `CancellationError` at once when the calling task
    ///   is cancelled (the work goes on for the other waiters, or is cancelled if none is left).
    package func value() async throws -> Value {
        let id = state.withLock { state in
            state.nextWaiter += 1
            return state.nextWaiter
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Value, any Error>) in
                let immediate: Result<Value, any Error>? = state.withLock { state in
                    if let result = state.result { return result }
                    state.waiters[id] = continuation
                    return nil
                }
                if let immediate {
                    continuation.resume(with: immediate)
                } else if Task.isCancelled {
                    leave(id)
                }
            }
        } onCancel: {
            leave(id)
        }
    }

    /// A waiter leaves; the last one to leave cancels the work.
    private func leave(_ id: UInt64) {
        let (continuation, cancel): (CheckedContinuation<Value, any Error>?, Task<Void, Never>?) = state.withLock {
            state in
            guard let continuation = state.waiters.removeValue(forKey: id) else { return (nil, nil) }
            guard state.waiters.isEmpty, state.result == nil else { return (continuation, nil) }
            state.abandoned = true
            return (continuation, state.task)
        }
        continuation?.resume(throwing: CancellationError())
        cancel?.cancel()
    }
}
