import Foundation

/// Runs async work to its end from synchronous code (libFuzzer's callback): the work runs
/// as a task on the global executor while the calling thread waits. Never call it from a
/// task (it would hold a thread of the cooperative pool while waiting).
enum AsyncBridge {
    private final class Box<Value>: @unchecked Sendable {
        var value: Value?
    }

    static func wait<Value: Sendable>(_ work: @escaping @Sendable () async -> Value) -> Value {
        let box = Box<Value>()
        let done = DispatchSemaphore(value: 0)
        Task {
            box.value = await work()
            done.signal()
        }
        done.wait()
        return box.value!
    }
}

/// A log handler that keeps every rendered event (message and metadata) in memory, for
/// properties about what reaches a log.
final class RecordingLogHandler: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []

    func append(_ line: String) {
        lock.lock()
        lines.append(line)
        lock.unlock()
    }

    /// Returns and forgets the events recorded so far.
    func drain() -> [String] {
        lock.lock()
        defer { lock.unlock() }
        let drained = lines
        lines = []
        return drained
    }
}
