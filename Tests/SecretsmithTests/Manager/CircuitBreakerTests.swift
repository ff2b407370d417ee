@testable import Secretsmith
import SecretsmithTestSupport
import Synchronization
import Testing

@Suite struct CircuitBreakerTests {
    let clock = TestClock()

    func makeBreaker(
        rate: Double = 50, minimumCalls: Int = 4, window: Duration = .seconds(60), recovery: Duration = .seconds(30),
        halfOpenCalls: Int = 2
    ) -> CircuitBreaker {
        CircuitBreaker(
            policy: CircuitBreakerPolicy(
                failureRateThreshold: rate, minimumCalls: minimumCalls, window: window, recoveryTimeout: recovery,
                halfOpenCalls: halfOpenCalls),
            clock: clock.clock)
    }

    /// Admits one access and records its outcome.
    func access(_ breaker: CircuitBreaker, unhealthy: Bool) async {
        guard case .proceed(let ticket) = await breaker.permit() else {
            Issue.record("the breaker refused an access")
            return
        }
        await breaker.record(ticket, unhealthy: unhealthy, cause: unhealthy ? "UNAVAILABLE (HTTP 503): down" : nil)
    }

    func isOpen(_ breaker: CircuitBreaker) async -> Bool {
        if case .open = await breaker.state { true } else { false }
    }

    @Test func opensWhenTheRateReachesTheThresholdOverTheMinimumCalls() async {
        let breaker = makeBreaker(rate: 50, minimumCalls: 4)
        // Three failures in a row are fewer than the minimum number of calls: no verdict.
        for _ in 0..<3 { await access(breaker, unhealthy: true) }
        #expect(await breaker.state == .closed)
        // The fourth access fills the minimum; 4 of 4 failed.
        await access(breaker, unhealthy: true)
        #expect(await isOpen(breaker))
        #expect(await breaker.lastOpening == .init(failures: 4, calls: 4))
        guard case .rejected(let retryAt) = await breaker.permit() else {
            Issue.record("an open breaker must reject")
            return
        }
        #expect(retryAt == clock.clock.now() + .seconds(30))
        #expect(await breaker.openings == 1)
    }

    @Test func aRateBelowTheThresholdKeepsItClosedHoweverManyFailures() async {
        // 30% failures in runs of three: a consecutive-failure breaker with threshold 3
        // would open on the first run; the rate (at most 6 of 13 once 10 calls are in) never
        // reaches 50%.
        let breaker = makeBreaker(rate: 50, minimumCalls: 10)
        for n in 0..<1000 {
            await access(breaker, unhealthy: n % 10 < 3)
        }
        #expect(await breaker.state == .closed)
        #expect(await breaker.openings == 0)
        #expect(await breaker.windowCounts() == .init(failures: 300, calls: 1000))
    }

    @Test func exactlyTheThresholdOpens() async {
        let breaker = makeBreaker(rate: 50, minimumCalls: 4)
        await access(breaker, unhealthy: false)
        await access(breaker, unhealthy: true)
        await access(breaker, unhealthy: false)
        #expect(await breaker.state == .closed)
        await access(breaker, unhealthy: true)  // 2 of 4 = 50%
        #expect(await isOpen(breaker))
    }

    @Test func answersThatProveTheServiceIsUpCountAsSuccesses() async {
        let breaker = makeBreaker(rate: 50, minimumCalls: 4)
        await access(breaker, unhealthy: true)
        for _ in 0..<3 { await access(breaker, unhealthy: false) }  // e.g. NOT_FOUND
        #expect(await breaker.windowCounts() == .init(failures: 1, calls: 4))
        #expect(await breaker.state == .closed)
    }

    @Test func outcomesOlderThanTheWindowAreForgotten() async {
        let breaker = makeBreaker(rate: 50, minimumCalls: 4, window: .seconds(10))
        for _ in 0..<3 { await access(breaker, unhealthy: true) }
        clock.advance(by: .seconds(11))
        #expect(await breaker.windowCounts() == .init(failures: 0, calls: 0))
        await access(breaker, unhealthy: true)  // 1 of 1 in the window: below the minimum
        #expect(await breaker.state == .closed)
        // Within the window the counts add up again.
        clock.advance(by: .seconds(5))
        for _ in 0..<3 { await access(breaker, unhealthy: true) }
        #expect(await isOpen(breaker))
    }

    @Test func halfOpenAdmitsTheTrialCallsOnlyAndClosesWhenThatRateStaysBelow() async {
        let breaker = makeBreaker(rate: 50, minimumCalls: 1, recovery: .seconds(30), halfOpenCalls: 3)
        await access(breaker, unhealthy: true)
        #expect(await isOpen(breaker))
        clock.advance(by: .seconds(29))
        #expect(await !breaker.permit().proceeds)
        clock.advance(by: .seconds(1))
        var tickets: [CircuitBreaker.Ticket] = []
        for _ in 0..<3 {
            guard case .proceed(let ticket) = await breaker.permit() else {
                Issue.record("a half-open breaker admits its trial calls")
                return
            }
            tickets.append(ticket)
        }
        #expect(await breaker.state == .halfOpen)
        #expect(await breaker.permit() == .rejected(retryAt: nil), "only the trial calls")
        await breaker.record(tickets[0], unhealthy: true)  // 1 of 3 failed: below 50%
        #expect(await breaker.state == .halfOpen)
        await breaker.record(tickets[1], unhealthy: false)
        await breaker.record(tickets[2], unhealthy: false)
        #expect(await breaker.state == .closed)
        #expect(await breaker.windowCounts() == .init(failures: 0, calls: 0), "closing starts a fresh window")
        #expect(await breaker.permit().proceeds)
    }

    @Test func trialFailuresThatReachTheThresholdOpenItAgainAtOnce() async {
        let breaker = makeBreaker(rate: 50, minimumCalls: 1, recovery: .seconds(10), halfOpenCalls: 4)
        await access(breaker, unhealthy: true)
        clock.advance(by: .seconds(10))
        var tickets: [CircuitBreaker.Ticket] = []
        for _ in 0..<4 {
            if case .proceed(let ticket) = await breaker.permit() { tickets.append(ticket) }
        }
        await breaker.record(tickets[0], unhealthy: true)
        #expect(await breaker.state == .halfOpen)
        await breaker.record(tickets[1], unhealthy: true)  // 2 of 4 failed whatever the rest do
        #expect(await isOpen(breaker))
        #expect(await breaker.openings == 2)
        // The late trials of the finished round change nothing.
        await breaker.record(tickets[2], unhealthy: false)
        await breaker.record(tickets[3], unhealthy: false)
        #expect(await isOpen(breaker))
    }

    @Test func anAbandonedTrialFreesItsPlace() async {
        let breaker = makeBreaker(minimumCalls: 1, recovery: .seconds(1), halfOpenCalls: 1)
        await access(breaker, unhealthy: true)
        clock.advance(by: .seconds(1))
        guard case .proceed(let trial) = await breaker.permit() else {
            Issue.record("expected the trial")
            return
        }
        #expect(await !breaker.permit().proceeds)
        await breaker.abandon(trial)  // cancelled: no verdict
        #expect(await breaker.state == .halfOpen)
        await access(breaker, unhealthy: false)
        #expect(await breaker.state == .closed)
    }

    @Test func anAccessAdmittedBeforeTheBreakerOpenedDoesNotCountAsATrial() async {
        let breaker = makeBreaker(minimumCalls: 1, recovery: .seconds(1), halfOpenCalls: 1)
        guard case .proceed(let early) = await breaker.permit() else { return }
        await access(breaker, unhealthy: true)
        #expect(await isOpen(breaker))
        clock.advance(by: .seconds(1))
        guard case .proceed(let trial) = await breaker.permit() else {
            Issue.record("expected the trial")
            return
        }
        await breaker.record(early, unhealthy: false)  // late, from the closed state
        #expect(await breaker.state == .halfOpen)
        await breaker.record(trial, unhealthy: false)
        #expect(await breaker.state == .closed)
    }

    @Test func transitionsAreReported() async {
        let seen = TransitionRecorder()
        let breaker = CircuitBreaker(
            policy: CircuitBreakerPolicy(minimumCalls: 1, recoveryTimeout: .seconds(1), halfOpenCalls: 1),
            clock: clock.clock
        ) { seen.append($0) }
        await access(breaker, unhealthy: true)
        clock.advance(by: .seconds(1))
        await access(breaker, unhealthy: false)
        #expect(seen.values == ["open", "half_open", "closed"])
    }

    @Test func failureThresholdAliasMeansEveryCallOfAtLeastNFailed() {
        let alias = CircuitBreakerPolicy.failureThreshold(5)
        #expect(alias.failureRateThreshold == 100)
        #expect(alias.minimumCalls == 5)
    }
}

final class TransitionRecorder: Sendable {
    private let storage = Mutex<[String]>([])
    func append(_ value: String) { storage.withLock { $0.append(value) } }
    var values: [String] { storage.withLock { $0 } }
}
