import Synchronization

/// The manager's in-memory cache of secret versions: TTL per entry, a bound on the number
/// of entries (least recently used evicted first), single-flight de-duplication of
/// concurrent misses and stale-if-error.
///
/// Its storage sits behind one `Mutex`, so a cache hit is a synchronous lookup
/// (``freshValue(for:)``: no actor hop, no suspension, no allocation); only a miss
/// suspends, to wait for the shared upstream call.
///
/// Entries live only in this process's memory; nothing is written to disk.
package final class SecretCache: Sendable {
    private struct Entry {
        var value: SecretValue
        var expiresAt: ContinuousClock.Instant
        var lastUse: UInt64
    }

    /// Counters since the cache was created.
    package struct Counters: Sendable, Hashable {
        package var hits = 0
        package var misses = 0
        package var joins = 0
        package var staleServes = 0
        package var evictions = 0
        /// Entries dropped by ``invalidate(where:)`` (change events).
        package var invalidations = 0
        package var entries = 0
    }

    /// One upstream call, shared by the requests waiting for it (single-flight).
    private struct Flight {
        var id: UInt64
        var call: SharedTask<SecretValue>
    }

    private struct State {
        var entries: [SecretCacheKey: Entry] = [:]
        var inFlight: [SecretCacheKey: Flight] = [:]
        var useCounter: UInt64 = 0
        var nextID: UInt64 = 0
        var counters = Counters()
    }

    private let capacity: Int
    private let clock: SecretManagerClock
    private let state = Mutex(State())

    /// - Parameters:
    ///   - capacity: the most entries kept (`cache.max_entries`); 0 disables storing.
    ///   - clock: the time source for expiry.
    package init(capacity: Int, clock: SecretManagerClock) {
        self.capacity = max(0, capacity)
        self.clock = clock
    }

    /// The fresh entry for `key`, counted as a hit (and marked as recently used), or `nil`
    /// when there is none (nothing is counted then). Synchronous: the cache-hit path.
    ///
    /// Records no metric; the caller records the hit (``value(for:ttl:maxStale:refusal:fetch:)``
    /// records its own).
    package func freshValue(for key: SecretCacheKey) -> SecretValue? {
        freshValue(for: key, now: clock.now())
    }

    /// ``freshValue(for:)`` at an instant the caller read from the cache's clock.
    package func freshValue(for key: SecretCacheKey, now: ContinuousClock.Instant) -> SecretValue? {
        state.withLock { state in
            guard let index = state.entries.index(forKey: key), now < state.entries.values[index].expiresAt else {
                return nil
            }
            state.useCounter += 1
            state.entries.values[index].lastUse = state.useCounter
            state.counters.hits += 1
            return state.entries.values[index].value
        }
    }

    /// How the cache answers an access that an open circuit breaker refuses to call for.
    package enum RefusedAnswer {
        /// A fresh entry (stored since the caller's look-up), counted as a hit.
        case hit(SecretValue)
        /// An expired entry within `maxStale`, counted as a miss served stale.
        case stale(SecretValue)
        /// Nothing answers: counted as a miss; the access fails with the breaker's error.
        case refused
        /// A call is under way: nothing is counted; join it with
        /// ``value(for:ttl:maxStale:refusal:fetch:)``.
        case callUnderWay
    }

    /// The locked part of ``value(for:ttl:maxStale:refusal:fetch:)`` for an access whose
    /// call a refusal stops, decided without a task, closure or suspension.
    package func lookUpRefused(for key: SecretCacheKey, maxStale: Duration, now: ContinuousClock.Instant) -> RefusedAnswer {
        state.withLock { state in
            if let index = state.entries.index(forKey: key), now < state.entries.values[index].expiresAt {
                state.useCounter += 1
                state.entries.values[index].lastUse = state.useCounter
                state.counters.hits += 1
                return .hit(state.entries.values[index].value)
            }
            if let running = state.inFlight[key], !running.call.isAbandoned { return .callUnderWay }
            state.counters.misses += 1
            guard maxStale > .zero, let entry = state.entries[key], now < entry.expiresAt + maxStale else {
                return .refused
            }
            state.counters.staleServes += 1
            return .stale(entry.value)
        }
    }

    /// What the locked part of ``value(for:ttl:maxStale:refusal:fetch:)`` decided.
    private enum Decision {
        case hit(SecretValue)
        case wait(SharedTask<SecretValue>, CacheOutcome)
        case refused(stale: SecretValue?)
    }

    /// Returns the cached value for `key`, or calls `fetch` once however many callers ask
    /// concurrently, and stores its result for `ttl`.
    ///
    /// The call runs in its own task, shared by every request waiting for it: a waiter
    /// that is cancelled leaves at once (throwing `CancellationError`) without disturbing
    /// the others, and when the last waiter leaves the call itself is cancelled (its
    /// retries, backoff sleeps and HTTP request stop). A later request starts a new call.
    ///
    /// - Parameters:
    ///   - ttl: how long a fetched value is fresh; zero means it is not stored.
    ///   - maxStale: how long past its TTL an entry may still answer when `fetch` fails;
    ///     zero turns stale-if-error off.
    ///   - refusal: asked (without the cache's lock held) when no fresh entry answers; an
    ///     error it returns (an open circuit breaker) is what a new call would fail with at
    ///     once, so no call is started: a stale entry within `maxStale` answers, else the
    ///     error is thrown. A call already under way is still joined.
    ///   - fetch: the upstream call.
    /// - Returns: the value and how the cache answered.
    /// - Throws: whatever `fetch` (or `refusal`) gave, unless a stale entry answered;
    ///   `CancellationError` when the calling task is cancelled while waiting.
    package func value(
        for key: SecretCacheKey,
        ttl: Duration,
        maxStale: Duration,
        refusal: (() -> (any Error)?)? = nil,
        fetch: @escaping @Sendable () async throws -> SecretValue
    ) async throws -> (SecretValue, CacheOutcome) {
        try Task.checkCancellation()
        if let value = freshValue(for: key) {
            SecretsmithMetrics.recordCache(SecretsmithMetrics.cacheHits, environment: key.environment)
            return (value, .hit)
        }
        let refused = refusal?()
        let now = clock.now()
        let decision: Decision = state.withLock { state in
            if let index = state.entries.index(forKey: key), now < state.entries.values[index].expiresAt {
                // Stored by a call that finished since the look-up above.
                state.useCounter += 1
                state.entries.values[index].lastUse = state.useCounter
                state.counters.hits += 1
                return .hit(state.entries.values[index].value)
            }
            if let running = state.inFlight[key], !running.call.isAbandoned {
                state.counters.joins += 1
                return .wait(running.call, .joined)
            }
            state.counters.misses += 1
            if refused != nil {
                guard maxStale > .zero, let entry = state.entries[key], now < entry.expiresAt + maxStale else {
                    return .refused(stale: nil)
                }
                state.counters.staleServes += 1
                return .refused(stale: entry.value)
            }
            state.nextID += 1
            let flightID = state.nextID
            // A shared task, so that one waiter's cancellation does not cancel the call for
            // the others; it is cancelled when nobody waits any more.
            let call = SharedTask { [self] in
                let result: Result<SecretValue, any Error>
                do {
                    result = .success(try await fetch())
                } catch {
                    result = .failure(error)
                }
                self.finish(key, flightID: flightID, result: result, ttl: ttl)
                return try result.get()
            }
            state.inFlight[key] = Flight(id: flightID, call: call)
            return .wait(call, .miss)
        }
        let call: SharedTask<SecretValue>
        let outcome: CacheOutcome
        switch decision {
        case .hit(let value):
            SecretsmithMetrics.recordCache(SecretsmithMetrics.cacheHits, environment: key.environment)
            return (value, .hit)
        case .refused(let stale):
            SecretsmithMetrics.recordCache(SecretsmithMetrics.cacheMisses, environment: key.environment)
            if let stale {
                SecretsmithMetrics.recordCache(SecretsmithMetrics.cacheStaleServed, environment: key.environment)
                return (stale, .stale)
            }
            guard let refused else { preconditionFailure("a refusal without an error") }
            throw refused
        case .wait(let running, let how):
            SecretsmithMetrics.recordCache(
                how == .joined ? SecretsmithMetrics.singleFlightJoins : SecretsmithMetrics.cacheMisses,
                environment: key.environment)
            call = running
            outcome = how
        }
        do {
            return (try await call.value(), outcome)
        } catch is CancellationError {
            // Joined a call just as its last other waiter left (so it was cancelled), but
            // this task was not cancelled: ask again, which starts a new call.
            if !Task.isCancelled {
                return try await value(for: key, ttl: ttl, maxStale: maxStale, refusal: refusal, fetch: fetch)
            }
            throw CancellationError()
        } catch {
            let now = clock.now()
            let stale: SecretValue? = state.withLock { state in
                guard maxStale > .zero, let entry = state.entries[key], now < entry.expiresAt + maxStale else { return nil }
                state.counters.staleServes += 1
                return entry.value
            }
            if let stale {
                SecretsmithMetrics.recordCache(SecretsmithMetrics.cacheStaleServed, environment: key.environment)
                return (stale, .stale)
            }
            throw error
        }
    }

    /// The call finished: store a value and forget the flight.
    private func finish(
        _ key: SecretCacheKey, flightID: UInt64, result: Result<SecretValue, any Error>, ttl: Duration
    ) {
        let now = clock.now()
        let evicted: String? = state.withLock { state in
            // A value fetched by a call whose waiters all left is still good to keep; one
            // fetched by a call that an invalidation detached (it may predate the change) is not.
            let current = state.inFlight[key]?.id == flightID
            guard current else { return nil }
            state.inFlight[key] = nil
            guard case .success(let value) = result else { return nil }
            return store(value, for: key, ttl: ttl, now: now, in: &state)
        }
        if let evicted {
            SecretsmithMetrics.recordCache(SecretsmithMetrics.cacheEvictions, environment: evicted)
        }
    }

    /// Drops every entry whose key `isAffected` selects, and detaches the calls under way for
    /// such keys: their waiters still get their results, but those results are not stored and
    /// the next request starts a new call (a call that started before a change may return
    /// the bytes from before it).
    ///
    /// - Returns: the number of entries dropped plus the number of calls detached.
    @discardableResult
    package func invalidate(where isAffected: (SecretCacheKey) -> Bool) -> Int {
        state.withLock { state in
            let dropped = state.entries.keys.filter(isAffected)
            for key in dropped { state.entries[key] = nil }
            let detached = state.inFlight.keys.filter(isAffected)
            for key in detached { state.inFlight[key] = nil }
            state.counters.invalidations += dropped.count
            return dropped.count + detached.count
        }
    }

    /// The requests waiting for the call under way for `key` (for tests).
    package func waiting(for key: SecretCacheKey) -> Int {
        state.withLock { $0.inFlight[key]?.call }?.waiting ?? 0
    }

    /// The number of upstream calls under way (for tests).
    package var callsInFlight: Int {
        state.withLock { Array($0.inFlight.values) }.filter { !$0.call.isAbandoned }.count
    }

    /// Drops every entry (in-flight calls finish but their results are still stored).
    package func removeAll() {
        state.withLock { $0.entries.removeAll() }
    }

    /// The counters, with the current number of entries.
    package func snapshot() -> Counters {
        state.withLock { state in
            var copy = state.counters
            copy.entries = state.entries.count
            return copy
        }
    }

    /// Stores a value; returns the environment of the entry evicted to make room, if any.
    private func store(
        _ value: SecretValue, for key: SecretCacheKey, ttl: Duration, now: ContinuousClock.Instant,
        in state: inout State
    ) -> String? {
        guard ttl > .zero, capacity > 0 else { return nil }
        var evicted: String?
        if state.entries[key] == nil, state.entries.count >= capacity {
            evicted = evictLeastRecentlyUsed(&state)
        }
        state.useCounter += 1
        state.entries[key] = Entry(value: value, expiresAt: now + ttl, lastUse: state.useCounter)
        return evicted
    }

    /// Evicts the least recently used entry. A linear scan: it runs only when the cache is
    /// full, and `max_entries` is in the thousands.
    private func evictLeastRecentlyUsed(_ state: inout State) -> String? {
        guard let victim = state.entries.min(by: { $0.value.lastUse < $1.value.lastUse })?.key else { return nil }
        state.entries[victim] = nil
        state.counters.evictions += 1
        return victim.environment
    }
}
