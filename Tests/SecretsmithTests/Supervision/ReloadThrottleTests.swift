import Secretsmith
import SecretsmithTestSupport
import Testing

@Suite("Reload throttle")
struct ReloadThrottleTests {
    @Test("admits once per window")
    func admitsOncePerWindow() {
        let time = TestClock()
        var throttle = ReloadThrottle(window: .seconds(10), clock: time.clock)
        #expect(throttle.delayUntilAdmission == .zero)
        #expect(admit(&throttle))
        #expect(!admit(&throttle))
        #expect(throttle.delayUntilAdmission == .seconds(10))
        time.advance(by: .seconds(4))
        #expect(!admit(&throttle))
        #expect(throttle.delayUntilAdmission == .seconds(6))
        time.advance(by: .seconds(6) - .nanoseconds(1))
        #expect(!admit(&throttle))
        time.advance(by: .nanoseconds(1))
        #expect(admit(&throttle))
        #expect(!admit(&throttle))
        time.advance(by: .seconds(25))
        #expect(admit(&throttle))
    }

    @Test("a zero window admits every reload")
    func zeroWindow() {
        var throttle = ReloadThrottle(window: .zero, clock: TestClock().clock)
        #expect(admit(&throttle))
        #expect(admit(&throttle))
    }

    @Test("waitForAdmission sleeps for the rest of the window, then records the reload")
    func waitsForTheRestOfTheWindow() async throws {
        let time = TestClock()
        var throttle = ReloadThrottle(window: .seconds(30), clock: time.clock)
        try await throttle.waitForAdmission()
        #expect(time.recordedSleeps.isEmpty)
        time.advance(by: .seconds(12))
        try await throttle.waitForAdmission()
        #expect(time.recordedSleeps == [.seconds(18)])
        #expect(!admit(&throttle))
        #expect(throttle.delayUntilAdmission == .seconds(30))
    }
}

/// `throttle.admit()` outside `#expect` (the macro cannot call a mutating method).
private func admit(_ throttle: inout ReloadThrottle) -> Bool {
    throttle.admit()
}
