import Synchronization

/// A thread-safe counter for tests.
final class Counter: Sendable {
    private let storage = Mutex(0)

    func increment() { storage.withLock { $0 += 1 } }
    var value: Int { storage.withLock { $0 } }
}
