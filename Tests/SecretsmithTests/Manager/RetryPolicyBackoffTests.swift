@testable import Secretsmith
import Testing

@Suite struct RetryPolicyBackoffTests {
    let policy = RetryPolicy(
        maxAttempts: 5, initialBackoff: .milliseconds(250), maxBackoff: .seconds(2), multiplier: 2)

    @Test func ceilingsGrowExponentiallyUpToTheCap() {
        let ceilings = (1...6).map { policy.backoffCeiling(forRetry: $0) }
        #expect(ceilings == [.milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2), .seconds(2), .seconds(2)])
    }

    @Test func fullJitterStaysWithinZeroAndTheCeiling() {
        var generator = SystemRandomNumberGenerator()
        var seen = Set<Duration>()
        for _ in 0..<200 {
            let delay = policy.delay(forRetry: 3, retryAfter: nil, using: &generator)
            #expect(delay >= .zero && delay <= .seconds(1))
            seen.insert(delay)
        }
        #expect(seen.count > 10, "jitter must spread delays")
    }

    @Test func retryAfterIsAFloor() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<50 {
            #expect(policy.delay(forRetry: 1, retryAfter: .seconds(1), using: &generator) >= .seconds(1))
        }
    }
}
