@testable import Secretsmith
import SecretsmithTestSupport
import Synchronization
import Testing

@Suite struct SecretCacheTests {
    let clock = TestClock()
    let key = SecretCacheKey(environment: "dev", endpoint: "http://x", versionName: "projects/p/secrets/s/versions/1")

    final class Upstream: Sendable {
        let calls = Counter()
        func fetch(_ bytes: [UInt8] = Array("v-SENTINEL".utf8)) -> @Sendable () async throws -> SecretValue {
            { [calls] in
                calls.increment()
                return SecretValue(bytes: bytes, version: 1)
            }
        }
        var count: Int { calls.value }
    }

    struct Boom: Error {}

    @Test func freshEntryAnswersUntilItsTTL() async throws {
        let cache = SecretCache(capacity: 10, clock: clock.clock)
        let upstream = Upstream()
        let (_, first) = try await cache.value(for: key, ttl: .seconds(60), maxStale: .zero, fetch: upstream.fetch())
        clock.advance(by: .seconds(59))
        let (_, second) = try await cache.value(for: key, ttl: .seconds(60), maxStale: .zero, fetch: upstream.fetch())
        clock.advance(by: .seconds(1))
        let (_, third) = try await cache.value(for: key, ttl: .seconds(60), maxStale: .zero, fetch: upstream.fetch())
        #expect([first, second, third] == [.miss, .hit, .miss])
        #expect(upstream.count == 2)
    }

    @Test func concurrentMissesMakeOneUpstreamCall() async throws {
        let cache = SecretCache(capacity: 10, clock: clock.clock)
        let calls = Counter()
        let gate = AsyncGate()
        let outcomes = try await withThrowingTaskGroup(of: CacheOutcome.self) { group in
            for _ in 0..<100 {
                group.addTask {
                    try await cache.value(for: key, ttl: .seconds(60), maxStale: .zero) {
                        calls.increment()
                        await gate.wait()  // hold the call open until all 100 asked
                        return SecretValue(bytes: [1], version: 1)
                    }.1
                }
            }
            // Let every request reach the cache before the upstream call answers.
            while cache.snapshot().joins < 99 { try? await Task.sleep(for: .milliseconds(1)) }
            await gate.open()
            return try await group.reduce(into: [CacheOutcome]()) { $0.append($1) }
        }
        #expect(calls.value == 1)
        #expect(outcomes.filter { $0 == .miss }.count == 1)
        #expect(outcomes.filter { $0 == .joined }.count == 99)
    }

    @Test func evictsTheLeastRecentlyUsedEntryWhenFull() async throws {
        let cache = SecretCache(capacity: 2, clock: clock.clock)
        let upstream = Upstream()
        func key(_ n: Int) -> SecretCacheKey {
            SecretCacheKey(environment: "dev", endpoint: "e", versionName: "projects/p/secrets/s\(n)/versions/1")
        }
        _ = try await cache.value(for: key(1), ttl: .seconds(60), maxStale: .zero, fetch: upstream.fetch())
        _ = try await cache.value(for: key(2), ttl: .seconds(60), maxStale: .zero, fetch: upstream.fetch())
        _ = try await cache.value(for: key(1), ttl: .seconds(60), maxStale: .zero, fetch: upstream.fetch())  // 1 is now newer
        _ = try await cache.value(for: key(3), ttl: .seconds(60), maxStale: .zero, fetch: upstream.fetch())  // evicts 2
        let (_, one) = try await cache.value(for: key(1), ttl: .seconds(60), maxStale: .zero, fetch: upstream.fetch())
        let (_, two) = try await cache.value(for: key(2), ttl: .seconds(60), maxStale: .zero, fetch: upstream.fetch())
        #expect(one == .hit)
        #expect(two == .miss)
        // 2 when 3 came in, then 3 when 2 came back (1 was used more recently).
        #expect(cache.snapshot().evictions == 2)
        #expect(cache.snapshot().entries == 2)
    }

    @Test func environmentsNeverShareEntries() async throws {
        let cache = SecretCache(capacity: 10, clock: clock.clock)
        let upstream = Upstream()
        let dev = SecretCacheKey(environment: "dev", endpoint: "e", versionName: "projects/p/secrets/s/versions/1")
        let prod = SecretCacheKey(environment: "prod", endpoint: "e", versionName: "projects/p/secrets/s/versions/1")
        _ = try await cache.value(for: dev, ttl: .seconds(60), maxStale: .zero, fetch: upstream.fetch())
        let (_, outcome) = try await cache.value(for: prod, ttl: .seconds(60), maxStale: .zero, fetch: upstream.fetch())
        #expect(outcome == .miss)
        #expect(upstream.count == 2)
    }

    @Test func staleIfErrorServesWithinMaxStaleAndRefusesBeyond() async throws {
        let cache = SecretCache(capacity: 10, clock: clock.clock)
        let upstream = Upstream()
        _ = try await cache.value(for: key, ttl: .seconds(60), maxStale: .seconds(30), fetch: upstream.fetch())
        clock.advance(by: .seconds(80))  // 20 s past the TTL
        let (value, outcome) = try await cache.value(for: key, ttl: .seconds(60), maxStale: .seconds(30)) {
            throw Boom()
        }
        #expect(outcome == .stale)
        #expect(value.bytes == Array("v-SENTINEL".utf8))
        clock.advance(by: .seconds(11))  // 31 s past the TTL
        await #expect(throws: Boom.self) {
            _ = try await cache.value(for: key, ttl: .seconds(60), maxStale: .seconds(30)) { throw Boom() }
        }
        #expect(cache.snapshot().staleServes == 1)
    }

    @Test func zeroTTLStoresNothing() async throws {
        let cache = SecretCache(capacity: 10, clock: clock.clock)
        let upstream = Upstream()
        _ = try await cache.value(for: key, ttl: .zero, maxStale: .zero, fetch: upstream.fetch())
        _ = try await cache.value(for: key, ttl: .zero, maxStale: .zero, fetch: upstream.fetch())
        #expect(upstream.count == 2)
    }

    /// An upstream call that runs until it is cancelled (10 minutes at most) and says whether it was.
    final class Endless: Sendable {
        let started = Counter()
        let cancelled = Counter()
        var fetch: @Sendable () async throws -> SecretValue {
            { [started, cancelled] in
                started.increment()
                do {
                    try await Task.sleep(for: .seconds(600))
                } catch {
                    cancelled.increment()
                    throw error
                }
                return SecretValue(bytes: [1], version: 1)
            }
        }
    }

    @Test func theCallIsCancelledWhenItsLastWaiterLeaves() async throws {
        let cache = SecretCache(capacity: 10, clock: clock.clock)
        let upstream = Endless()
        let start = ContinuousClock.now
        let waiters = (0..<3).map { _ in
            Task { try await cache.value(for: key, ttl: .seconds(60), maxStale: .zero, fetch: upstream.fetch) }
        }
        while cache.waiting(for: key) < 3 { try? await Task.sleep(for: .milliseconds(1)) }
        for waiter in waiters {
            waiter.cancel()
            await #expect(throws: CancellationError.self) { _ = try await waiter.value }
        }
        // The waiters left at once, and the call they shared was cancelled, not left running.
        // The bound is far below the 10-minute call and far above what a loaded machine takes
        // (the whole suite in parallel on two cores once took 38 s here).
        while upstream.cancelled.value == 0 && ContinuousClock.now - start < .seconds(300) {
            try? await Task.sleep(for: .milliseconds(1))
        }
        #expect(ContinuousClock.now - start < .seconds(300), "bounded by the 10-minute call if it were not cancelled")
        #expect(upstream.started.value == 1)
        #expect(upstream.cancelled.value == 1)
        #expect(cache.callsInFlight == 0)
        // A later request starts a new call rather than joining the cancelled one.
        let later = Task { try await cache.value(for: key, ttl: .seconds(60), maxStale: .zero, fetch: upstream.fetch) }
        while upstream.started.value < 2 { try? await Task.sleep(for: .milliseconds(1)) }
        #expect(cache.snapshot().misses == 2)
        later.cancel()
        _ = try? await later.value
    }

    @Test func aWaiterLeavingDoesNotCancelTheCallForTheOthers() async throws {
        let cache = SecretCache(capacity: 10, clock: clock.clock)
        let calls = Counter()
        let cancelledCalls = Counter()
        let gate = AsyncGate()
        let fetch: @Sendable () async throws -> SecretValue = {
            calls.increment()
            await gate.wait()
            if Task.isCancelled { cancelledCalls.increment() }
            return SecretValue(bytes: [7], version: 3)
        }
        let leaving = Task { try await cache.value(for: key, ttl: .seconds(60), maxStale: .zero, fetch: fetch) }
        let staying = Task { try await cache.value(for: key, ttl: .seconds(60), maxStale: .zero, fetch: fetch) }
        while cache.waiting(for: key) < 2 { try? await Task.sleep(for: .milliseconds(1)) }
        leaving.cancel()
        await #expect(throws: CancellationError.self) { _ = try await leaving.value }
        await gate.open()
        let (value, _) = try await staying.value
        #expect(value.bytes == [7])
        #expect(calls.value == 1)
        #expect(cancelledCalls.value == 0)
        // The value was stored for later requests.
        #expect(try await cache.value(for: key, ttl: .seconds(60), maxStale: .zero, fetch: fetch).1 == .hit)
    }

    @Test func invalidationDropsTheSelectedEntriesOnly() async throws {
        let cache = SecretCache(capacity: 10, clock: clock.clock)
        let upstream = Upstream()
        let other = SecretCacheKey(environment: "dev", endpoint: "http://x", versionName: "projects/p/secrets/t/versions/1")
        _ = try await cache.value(for: key, ttl: .seconds(60), maxStale: .zero, fetch: upstream.fetch())
        _ = try await cache.value(for: other, ttl: .seconds(60), maxStale: .zero, fetch: upstream.fetch())
        let dropped = cache.invalidate { $0 == key }
        #expect(dropped == 1)
        let (_, again) = try await cache.value(for: key, ttl: .seconds(60), maxStale: .zero, fetch: upstream.fetch())
        let (_, untouched) = try await cache.value(for: other, ttl: .seconds(60), maxStale: .zero, fetch: upstream.fetch())
        #expect(again == .miss)
        #expect(untouched == .hit)
        #expect(cache.snapshot().invalidations == 1)
    }

    /// A call that started before the change may bring the old bytes: its waiters get them,
    /// but they are not stored, and the next request fetches again.
    @Test func aCallUnderWayWhenInvalidatedIsNotStored() async throws {
        let cache = SecretCache(capacity: 10, clock: clock.clock)
        let upstream = Upstream()
        let (gate, opener) = AsyncStream<Void>.makeStream()
        let slow: @Sendable () async throws -> SecretValue = {
            upstream.calls.increment()
            for await _ in gate { break }
            return SecretValue(bytes: Array("old".utf8), version: 1)
        }
        let first = Task { try await cache.value(for: key, ttl: .seconds(60), maxStale: .zero, fetch: slow) }
        while cache.waiting(for: key) == 0 { await Task.yield() }
        #expect(cache.invalidate { $0 == key } == 1)
        opener.yield()
        let (old, _) = try await first.value
        #expect(old.bytes == Array("old".utf8))
        let (fresh, outcome) = try await cache.value(
            for: key, ttl: .seconds(60), maxStale: .zero, fetch: upstream.fetch(Array("new".utf8)))
        #expect(outcome == .miss)
        #expect(fresh.bytes == Array("new".utf8))
        #expect(upstream.count == 2)
    }

    @Test func freshValueAnswersOnlyFreshEntriesAndCountsHits() async throws {
        let cache = SecretCache(capacity: 10, clock: clock.clock)
        let upstream = Upstream()
        #expect(cache.freshValue(for: key) == nil)
        #expect(cache.snapshot().hits == 0, "a look-up that finds nothing is not a hit")
        _ = try await cache.value(for: key, ttl: .seconds(60), maxStale: .zero, fetch: upstream.fetch())
        #expect(cache.freshValue(for: key)?.bytes == Array("v-SENTINEL".utf8))
        #expect(cache.snapshot().hits == 1)
        clock.advance(by: .seconds(60))
        #expect(cache.freshValue(for: key) == nil, "expired at its TTL")
        #expect(cache.snapshot().hits == 1)
        cache.removeAll()
        #expect(cache.freshValue(for: key) == nil)
    }

    struct Refused: Error {}

    @Test func aRefusalFailsAMissAtOnceWithoutACall() async throws {
        let cache = SecretCache(capacity: 10, clock: clock.clock)
        let upstream = Upstream()
        await #expect(throws: Refused.self) {
            _ = try await cache.value(
                for: key, ttl: .seconds(60), maxStale: .seconds(30), refusal: { Refused() }, fetch: upstream.fetch())
        }
        #expect(upstream.count == 0)
        #expect(cache.callsInFlight == 0)
        #expect(cache.snapshot().misses == 1)
        // Without a refusal the next miss calls upstream.
        let (_, outcome) = try await cache.value(
            for: key, ttl: .seconds(60), maxStale: .seconds(30), refusal: { nil }, fetch: upstream.fetch())
        #expect(outcome == .miss)
        #expect(upstream.count == 1)
        // A fresh entry answers whatever the refusal says.
        let (_, hit) = try await cache.value(
            for: key, ttl: .seconds(60), maxStale: .seconds(30), refusal: { Refused() }, fetch: upstream.fetch())
        #expect(hit == .hit)
        // Past its TTL but within max_stale, a refused miss is answered stale.
        clock.advance(by: .seconds(70))
        let (value, stale) = try await cache.value(
            for: key, ttl: .seconds(60), maxStale: .seconds(30), refusal: { Refused() }, fetch: upstream.fetch())
        #expect(stale == .stale)
        #expect(value.bytes == Array("v-SENTINEL".utf8))
        #expect(cache.snapshot().staleServes == 1)
        // Beyond max_stale the refusal's error is thrown.
        clock.advance(by: .seconds(30))
        await #expect(throws: Refused.self) {
            _ = try await cache.value(
                for: key, ttl: .seconds(60), maxStale: .seconds(30), refusal: { Refused() }, fetch: upstream.fetch())
        }
        #expect(upstream.count == 1)
    }

    @Test func aRefusedRequestStillJoinsACallUnderWay() async throws {
        let cache = SecretCache(capacity: 10, clock: clock.clock)
        let gate = AsyncGate()
        let calls = Counter()
        let slow: @Sendable () async throws -> SecretValue = {
            calls.increment()
            await gate.wait()
            return SecretValue(bytes: [9], version: 2)
        }
        let first = Task { try await cache.value(for: key, ttl: .seconds(60), maxStale: .zero, fetch: slow) }
        while cache.waiting(for: key) == 0 { await Task.yield() }
        let second = Task {
            try await cache.value(for: key, ttl: .seconds(60), maxStale: .zero, refusal: { Refused() }, fetch: slow)
        }
        while cache.waiting(for: key) < 2 { await Task.yield() }
        await gate.open()
        #expect(try await first.value.1 == .miss)
        let (value, outcome) = try await second.value
        #expect(outcome == .joined)
        #expect(value.bytes == [9])
        #expect(calls.value == 1)
    }
}

/// Suspends waiters until opened.
actor AsyncGate {
    private var isOpen = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    func wait() async {
        if isOpen { return }
        await withCheckedContinuation { waiters.append($0) }
    }

    func open() {
        isOpen = true
        waiters.forEach { $0.resume() }
        waiters.removeAll()
    }
}
