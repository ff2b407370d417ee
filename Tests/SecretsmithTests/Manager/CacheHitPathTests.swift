import Foundation
import SecretManagerEmulator
@testable import Secretsmith
import SecretsmithTestSupport
import Testing

/// The short paths of an access (a cache hit; a refusal by an open breaker, decided without
/// a task or closure) keep the cache's TTL and stale-if-error rules and are counted.
@Suite struct CacheHitPathTests {
    static let sentinel = EmulatorFixture.sentinel

    /// The standard configuration with a 10 s TTL and 5 s of stale-if-error (shorter than
    /// the breaker's 30 s recovery), and a breaker opened by one failure after one success.
    static let configuration = EmulatorFixture.standardConfiguration.replacingOccurrences(
        of: "defaults:\n", with: "defaults:\n  cache: { ttl: 10s, max_stale: 5s }\n"
    ).replacingOccurrences(of: "failure_rate_threshold: 100%", with: "failure_rate_threshold: 50%")

    @Test func hitsAreCountedAsRequestsHitsAndLatencies() async throws {
        try await withEmulator { fixture in
            let manager = try fixture.manager(configuration: Self.configuration)
            let resolved = try manager.resolve("dev/app/api-key")
            for _ in 0..<5 { _ = try await manager.accessSecretVersion(resolved) }
            _ = try await manager.accessSecretVersion("dev/app/api-key")
            let stats = await manager.stats()
            #expect(stats.requests == 6)
            #expect(stats.cacheHits == 5 && stats.cacheMisses == 1)
            #expect(stats.accessLatency.count == 6)
            #expect(stats.errors.isEmpty)
            #expect(await fixture.accessCalls() == 1)
        }
    }

    @Test func anExpiredEntryIsNotServed() async throws {
        try await withEmulator { fixture in
            let manager = try fixture.manager(configuration: Self.configuration)
            let resolved = try manager.resolve("dev/app/api-key")
            _ = try await manager.accessSecretVersion(resolved)
            fixture.clock.advance(by: .seconds(9))
            _ = try await manager.accessSecretVersion(resolved)
            #expect(await fixture.accessCalls() == 1, "fresh for 10 s")
            fixture.clock.advance(by: .seconds(1))
            _ = try await manager.accessSecretVersion(resolved)
            #expect(await fixture.accessCalls() == 2, "at its TTL the entry is fetched again")
            #expect(await manager.stats().cacheMisses == 2)
        }
    }

    @Test func anOpenBreakerServesAStaleEntryWithinMaxStaleThenRefuses() async throws {
        try await withEmulator { fixture in
            let manager = try fixture.manager(configuration: Self.configuration)
            let resolved = try manager.resolve("dev/app/db-password-v2")
            let fresh = try await manager.accessSecretVersion(resolved)
            #expect(fresh.bytes == Array("pw2-\(Self.sentinel)\n".utf8))
            // Expired (within max_stale): the call fails after its retries, which opens the
            // breaker, and the stale entry answers.
            await fixture.faults([FaultRule(.error(httpStatus: 503))])
            fixture.clock.advance(by: .seconds(10))
            #expect(try await manager.accessSecretVersion(resolved) == fresh)
            let calls = await fixture.accessCalls()
            #expect(await manager.stats().breakers.map(\.state) == ["open"])

            // While open: answered stale at once, without a call.
            for _ in 0..<3 { #expect(try await manager.accessSecretVersion(resolved) == fresh) }
            #expect(await fixture.accessCalls() == calls)
            var stats = await manager.stats()
            #expect(stats.breakerRejections == 3)
            #expect(stats.staleServes == 4)
            #expect(manager.cache.callsInFlight == 0)

            // Past max_stale the breaker's error is thrown, with its whole message.
            fixture.clock.advance(by: .seconds(5))
            let error = await #expect(throws: SecretManagerError.self) { _ = try await manager.accessSecretVersion(resolved) }
            #expect(error?.code == .circuitOpen)
            #expect(error?.message.hasPrefix(
                "not called: the circuit breaker for project acme-app-dev in environment dev is open after 1 of the last 2 accesses failed (last: UNAVAILABLE (HTTP 503)") == true)
            #expect(error?.message.contains("; it lets trial calls through in 2") == true)
            #expect(await fixture.accessCalls() == calls)
            stats = await manager.stats()
            #expect(stats.breakerRejections == 4)
            #expect(stats.errors["CIRCUIT_OPEN"] == 1)
        }
    }

    @Test func aRefusedLookUpJoinsACallUnderWayAndCountsWhatItServes() async throws {
        let clock = TestClock()
        let cache = SecretCache(capacity: 10, clock: clock.clock)
        let key = SecretCacheKey(environment: "dev", endpoint: "http://x", versionName: "projects/p/secrets/s/versions/1")
        let value = SecretValue(bytes: Array("v-\(Self.sentinel)".utf8), version: 1)
        #expect(cache.lookUpRefused(for: key, maxStale: .seconds(5), now: clock.clock.now())
            .isRefused, "no entry: refused")
        _ = try await cache.value(for: key, ttl: .seconds(10), maxStale: .seconds(5)) { value }
        #expect(cache.lookUpRefused(for: key, maxStale: .seconds(5), now: clock.clock.now()).served == value)
        #expect(cache.snapshot().hits == 1)
        clock.advance(by: .seconds(12))
        #expect(cache.lookUpRefused(for: key, maxStale: .seconds(5), now: clock.clock.now()).served == value)
        #expect(cache.snapshot().staleServes == 1)
        clock.advance(by: .seconds(4))
        #expect(cache.lookUpRefused(for: key, maxStale: .seconds(5), now: clock.clock.now()).isRefused)
        // A call under way is left to be joined, and nothing is counted for it.
        let started = AsyncStream<Void>.makeStream()
        let release = AsyncStream<Void>.makeStream()
        let call = Task {
            try await cache.value(for: key, ttl: .seconds(10), maxStale: .zero) {
                started.continuation.yield()
                for await _ in release.stream { break }
                return value
            }
        }
        for await _ in started.stream { break }
        let before = cache.snapshot()
        if case .callUnderWay = cache.lookUpRefused(for: key, maxStale: .seconds(5), now: clock.clock.now()) {} else {
            Issue.record("a call under way must be joined")
        }
        #expect(cache.snapshot() == before)
        release.continuation.yield()
        _ = try await call.value
    }
}

extension SecretCache.RefusedAnswer {
    var isRefused: Bool { if case .refused = self { true } else { false } }
    var served: SecretValue? {
        switch self {
        case .hit(let value), .stale(let value): value
        case .refused, .callUnderWay: nil
        }
    }
}
