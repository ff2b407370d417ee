@testable import Secretsmith
import Testing

@Suite struct CircuitBreakerTests {
    let clock = TestClock()

    func makeBreaker(threshold: Int = 3, recovery: Duration = .seconds(30)) -> CircuitBreaker {
        CircuitBreaker(
            policy: CircuitBreakerPolicy(failureThreshold: threshold, recoveryTimeout: recovery), clock: clock.clock)
    }

    @Test func opensAfterThresholdConsecutiveUnhealthyFailures() async {
        let breaker = makeBreaker(threshold: 3)
        for _ in 0..<2 {
            #expect(await breaker.permit() == .proceed)
            await breaker.record(unhealthy: true)
        }
        #expect(await breaker.state == .closed(consecutiveFailures: 2))
        #expect(await breaker.permit() == .proceed)
        await breaker.record(unhealthy: true)
        guard case .open = await breaker.state else {
            Issue.record("expected open, got \(await breaker.state)")
            return
        }
        guard case .rejected(let retryAt) = await breaker.permit() else {
            Issue.record("an open breaker must reject")
            return
        }
        #expect(retryAt != nil)
        #expect(await breaker.openings == 1)
    }

    @Test func healthyAnswerResetsTheCount() async {
        let breaker = makeBreaker(threshold: 2)
        await breaker.record(unhealthy: true)
        await breaker.record(unhealthy: false)  // e.g. a 404: the service answered
        await breaker.record(unhealthy: true)
        #expect(await breaker.state == .closed(consecutiveFailures: 1))
    }

    @Test func halfOpenLetsOneTrialThroughAndClosesOnSuccess() async {
        let breaker = makeBreaker(threshold: 1, recovery: .seconds(30))
        await breaker.record(unhealthy: true)
        clock.advance(by: .seconds(29))
        #expect(await breaker.permit() != .proceed)
        clock.advance(by: .seconds(1))
        #expect(await breaker.permit() == .proceed)  // the trial
        #expect(await breaker.state == .halfOpen)
        #expect(await breaker.permit() == .rejected(retryAt: nil))  // only one trial at a time
        await breaker.record(unhealthy: false)
        #expect(await breaker.state == .closed(consecutiveFailures: 0))
        #expect(await breaker.permit() == .proceed)
    }

    @Test func failedTrialOpensAgain() async {
        let breaker = makeBreaker(threshold: 1, recovery: .seconds(10))
        await breaker.record(unhealthy: true)
        clock.advance(by: .seconds(10))
        #expect(await breaker.permit() == .proceed)
        await breaker.record(unhealthy: true)
        guard case .open = await breaker.state else {
            Issue.record("a failed trial must reopen the breaker")
            return
        }
        #expect(await breaker.openings == 2)
    }
}
