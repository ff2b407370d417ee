import Logging
@testable import Secretsmith
import SecretsmithTestSupport
import Synchronization
import Testing

/// Caching, early refresh, single flight, invalidation and failure hold-off, with a
/// source that counts its calls and a clock the test moves.
@Suite struct CachingAccessTokenProviderTests {
    /// A source that returns `token-N` living `lifetime`, after an optional pause, or fails.
    final class CountingSource: AccessTokenSource {
        let lifetime: Duration?
        let failing: Bool
        let calls = Mutex(0)
        let source = "counting source"
        let tokenEndpoint: String? = nil

        init(lifetime: Duration? = .seconds(3600), failing: Bool = false) {
            self.lifetime = lifetime
            self.failing = failing
        }

        var count: Int { calls.withLock { $0 } }

        func fetchToken() async throws -> FetchedAccessToken {
            let number = calls.withLock { value -> Int in
                value += 1
                return value
            }
            // Let every concurrent caller arrive before answering.
            try await Task.sleep(for: .milliseconds(50))
            if failing { throw AuthenticationError(source: source, message: "refused") }
            return FetchedAccessToken(value: "token-\(number)", expiresIn: lifetime)
        }
    }

    /// A source whose exchange hangs (10 minutes at most) until it is cancelled.
    final class HangingSource: AccessTokenSource {
        let started = Mutex(0)
        let cancelled = Mutex(0)
        let source = "hanging source"
        let tokenEndpoint: String? = nil

        func fetchToken() async throws -> FetchedAccessToken {
            started.withLock { $0 += 1 }
            do {
                try await Task.sleep(for: .seconds(600))
            } catch {
                cancelled.withLock { $0 += 1 }
                throw error
            }
            return FetchedAccessToken(value: "late", expiresIn: nil)
        }
    }

    @Test func anExchangeIsCancelledWhenEveryWaiterIsAndTheNextCallStartsAnother() async throws {
        let source = HangingSource()
        let provider = CachingAccessTokenProvider(
            tokenSource: source, credentialType: "test", clock: TestClock().clock, logger: Logger(label: "test"))
        let start = ContinuousClock.now
        let waiters = (0..<2).map { _ in Task { try await provider.accessToken() } }
        while source.started.withLock({ $0 }) == 0 { try? await Task.sleep(for: .milliseconds(1)) }
        for waiter in waiters {
            waiter.cancel()
            await #expect(throws: CancellationError.self) { _ = try await waiter.value }
        }
        // Far below the 10-minute exchange, far above what a loaded machine takes.
        while source.cancelled.withLock({ $0 }) == 0 && ContinuousClock.now - start < .seconds(300) {
            try? await Task.sleep(for: .milliseconds(1))
        }
        #expect(ContinuousClock.now - start < .seconds(300), "bounded by the 10-minute exchange if it were not cancelled")
        #expect(source.cancelled.withLock { $0 } == 1)
        // A cancelled exchange is not a failure to hold off: the next call tries again.
        let next = Task { try await provider.accessToken() }
        while source.started.withLock({ $0 }) < 2 { try? await Task.sleep(for: .milliseconds(1)) }
        next.cancel()
        _ = try? await next.value
    }

    /// Records what it is told of each exchange.
    final class RecordingObserver: TokenExchangeObserver {
        let outcomes = Mutex<[String]>([])
        func tokenExchangeFinished(credentialType: String, succeeded: Bool) {
            outcomes.withLock { $0.append("\(credentialType) \(succeeded ? "ok" : "error")") }
        }
    }

    @Test func everyExchangeIsReportedToTheObserverPassedIn() async throws {
        let clock = TestClock()
        let observer = RecordingObserver()
        let working = CachingAccessTokenProvider(
            tokenSource: CountingSource(), credentialType: "metadata", clock: clock.clock, logger: Logger(label: "test"),
            observer: observer)
        // No access and no task-local around these calls: the observer is the provider's own.
        #expect(try await working.accessToken() == "token-1")
        #expect(try await working.accessToken() == "token-1")   // cached: no exchange
        let failing = CachingAccessTokenProvider(
            tokenSource: CountingSource(failing: true), credentialType: "adc", clock: clock.clock,
            logger: Logger(label: "test"), observer: observer)
        await #expect(throws: AuthenticationError.self) { _ = try await failing.accessToken() }
        await #expect(throws: AuthenticationError.self) { _ = try await failing.accessToken() }   // held off
        #expect(observer.outcomes.withLock { $0 } == ["metadata ok", "adc error"])
    }

    func provider(_ source: CountingSource, clock: TestClock) -> CachingAccessTokenProvider {
        CachingAccessTokenProvider(tokenSource: source, credentialType: "test", clock: clock.clock, logger: Logger(label: "test"))
    }

    @Test func hundredConcurrentCallersOnAColdStartShareOneFetch() async throws {
        let source = CountingSource()
        let provider = provider(source, clock: TestClock())
        let tokens = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<100 { group.addTask { try await provider.accessToken() } }
            return try await group.reduce(into: Set<String>()) { $0.insert($1) }
        }
        #expect(tokens == ["token-1"])
        #expect(source.count == 1)
    }

    @Test func tokenIsReusedUntilThreeMinutesFortyFiveSecondsBeforeExpiry() async throws {
        let source = CountingSource(lifetime: .seconds(3600))
        let clock = TestClock()
        let provider = provider(source, clock: clock)
        #expect(try await provider.accessToken() == "token-1")
        clock.advance(by: .seconds(3600 - 226))
        #expect(try await provider.accessToken() == "token-1")
        clock.advance(by: .seconds(2))  // now 3 min 44 s before expiry
        #expect(try await provider.accessToken() == "token-2")
        #expect(source.count == 2)
    }

    @Test func shortLivedTokensAreRefreshedAtHalfTheirLifetime() async throws {
        #expect(CachingAccessTokenProvider.margin(forLifetime: .seconds(3599)) == .seconds(225))
        #expect(CachingAccessTokenProvider.margin(forLifetime: .seconds(60)) == .seconds(30))
        let source = CountingSource(lifetime: .seconds(60))
        let clock = TestClock()
        let provider = provider(source, clock: clock)
        _ = try await provider.accessToken()
        clock.advance(by: .seconds(29))
        #expect(try await provider.accessToken() == "token-1")
        clock.advance(by: .seconds(2))
        #expect(try await provider.accessToken() == "token-2")
    }

    @Test func invalidateDropsOnlyTheCachedToken() async throws {
        let source = CountingSource()
        let provider = provider(source, clock: TestClock())
        let first = try await provider.accessToken()
        await provider.invalidate("some-older-token")
        #expect(try await provider.accessToken() == first)
        await provider.invalidate(first)
        #expect(try await provider.accessToken() == "token-2")
    }

    @Test func tokenWithoutLifetimeIsKeptUntilInvalidated() async throws {
        let source = CountingSource(lifetime: nil)
        let clock = TestClock()
        let provider = provider(source, clock: clock)
        _ = try await provider.accessToken()
        clock.advance(by: .seconds(100_000))
        #expect(try await provider.accessToken() == "token-1")
    }

    @Test func failureIsSharedByWaitersAndHeldOffBriefly() async throws {
        let source = CountingSource(failing: true)
        let clock = TestClock()
        let provider = provider(source, clock: clock)
        let failures = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<20 {
                group.addTask { (try? await provider.accessToken()) == nil }
            }
            return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(failures == 20)
        #expect(source.count == 1)
        await #expect(throws: AuthenticationError.self) { _ = try await provider.accessToken() }
        #expect(source.count == 1)
        clock.advance(by: CachingAccessTokenProvider.failureHoldOff + .milliseconds(1))
        await #expect(throws: AuthenticationError.self) { _ = try await provider.accessToken() }
        #expect(source.count == 2)
    }
}
