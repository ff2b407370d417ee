import Secretsmith
import Synchronization

/// A clock tests move by hand; `sleep` advances it instead of waiting.
final class TestClock: Sendable {
    private let offset = Mutex(Duration.zero)
    private let origin = ContinuousClock.now
    private let sleeps = Mutex<[Duration]>([])

    func advance(by duration: Duration) {
        offset.withLock { $0 += duration }
    }

    /// Every duration `sleep` was asked for, in order.
    var recordedSleeps: [Duration] { sleeps.withLock { $0 } }

    var clock: SecretManagerClock {
        SecretManagerClock(
            now: { [self] in origin + offset.withLock { $0 } },
            sleep: { [self] duration in
                sleeps.withLock { $0.append(duration) }
                advance(by: duration)
            })
    }
}
