import Foundation
import Synchronization

/// Secret Manager's clock in the emulator: the wall clock plus an offset that only moves
/// forward, so a test can make a rotation schedule due without waiting
/// (`POST /_emulator/clock`, ``SecretManagerEmulator/advanceClock(by:)``). It stamps
/// `createTime` and `destroyTime` and decides which rotations are due; token checks keep
/// the wall clock (shifted by ``EmulatorConfiguration/clockOffset`` instead).
final class EmulatorClock: Sendable {
    private let wallClock: @Sendable () -> Date
    /// Seconds added to the wall clock.
    private let offset = Mutex<TimeInterval>(0)

    init(wallClock: @escaping @Sendable () -> Date) {
        self.wallClock = wallClock
    }

    /// The current time of Secret Manager's clock.
    func now() -> Date {
        wallClock().addingTimeInterval(offset.withLock { $0 })
    }

    /// How far ahead of the wall clock it runs, in seconds.
    var offsetSeconds: TimeInterval { offset.withLock { $0 } }

    /// Moves the clock ahead by `seconds` (negative values are ignored: time never goes back).
    func advance(by seconds: TimeInterval) {
        guard seconds > 0 else { return }
        offset.withLock { $0 += seconds }
    }
}
