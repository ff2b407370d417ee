import Secretsmith
import Synchronization

/// A clock tests move by hand; `sleep` advances it instead of waiting.
package final class TestClock: Sendable {
    private let offset = Mutex(Duration.zero)
    private let origin = ContinuousClock.now
    private let sleeps = Mutex<[Duration]>([])

    package init() {}

    package func advance(by duration: Duration) {
        offset.withLock { $0 += duration }
    }

    /// Every duration `sleep` was asked for, in order.
    package var recordedSleeps: [Duration] { sleeps.withLock { $0 } }

    package var clock: SecretManagerClock {
        SecretManagerClock(
            now: { [self] in origin + offset.withLock { $0 } },
            sleep: { [self] duration in
                sleeps.withLock { $0.append(duration) }
                advance(by: duration)
            })
    }
}
