/// The manager's in-memory cache of secret versions: TTL per entry, a bound on the number
/// of entries (least recently used evicted first), single-flight de-duplication of
/// concurrent misses and stale-if-error.
///
/// Entries live only in this process's memory; nothing is written to disk.
package actor SecretCache {
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

    private let capacity: Int
    private let clock: SecretManagerClock
    private var entries: [SecretCacheKey: Entry] = [:]
    private var inFlight: [SecretCacheKey: Flight] = [:]
    private var useCounter: UInt64 = 0
    private var nextID: UInt64 = 0
    private var counters = Counters()

    /// - Parameters:
    ///   - capacity: the most entries kept (`cache.max_entries`); 0 disables storing.
    ///   - clock: the time source for expiry.
    package init(capacity: Int, clock: SecretManagerClock) {
        self.capacity = max(0, capacity)
        self.clock = clock
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
    ///   - fetch: the upstream call.
    /// - Returns: the value and how the cache answered.
    /// - Throws: whatever `fetch` threw, unless a stale entry answered; `CancellationError`
    ///   when the calling task is cancelled while waiting.
    package func value(
        for key: SecretCacheKey,
        ttl: Duration,
        maxStale: Duration,
        fetch: @escaping @Sendable () async throws -> SecretValue
    ) async throws -> (SecretValue, CacheOutcome) {
        try Task.checkCancellation()
        let now = clock.now()
        if var entry = entries[key], now < entry.expiresAt {
            useCounter += 1
            entry.lastUse = useCounter
            entries[key] = entry
            counters.hits += 1
            SecretsmithMetrics.recordCache(SecretsmithMetrics.cacheHits, environment: key.environment)
            return (entry.value, .hit)
        }
        let outcome: CacheOutcome
        let call: SharedTask<SecretValue>
        if let running = inFlight[key], !running.call.isAbandoned {
            counters.joins += 1
            SecretsmithMetrics.recordCache(SecretsmithMetrics.singleFlightJoins, environment: key.environment)
            outcome = .joined
            call = running.call
        } else {
            counters.misses += 1
            SecretsmithMetrics.recordCache(SecretsmithMetrics.cacheMisses, environment: key.environment)
            outcome = .miss
            nextID += 1
            let flightID = nextID
            // A shared task, so that one waiter's cancellation does not cancel the call for
            // the others; it is cancelled when nobody waits any more.
            call = SharedTask { [self] in
                let result: Result<SecretValue, any Error>
                do {
                    result = .success(try await fetch())
                } catch {
                    result = .failure(error)
                }
                await self.finish(key, flightID: flightID, result: result, ttl: ttl)
                return try result.get()
            }
            inFlight[key] = Flight(id: flightID, call: call)
        }
        do {
            return (try await call.value(), outcome)
        } catch is CancellationError {
            // Joined a call just as its last other waiter left (so it was cancelled), but
            // this task was not cancelled: ask again, which starts a new call.
            if !Task.isCancelled { return try await value(for: key, ttl: ttl, maxStale: maxStale, fetch: fetch) }
            throw CancellationError()
        } catch {
            if maxStale > .zero, let entry = entries[key], clock.now() < entry.expiresAt + maxStale {
                counters.staleServes += 1
                SecretsmithMetrics.recordCache(SecretsmithMetrics.cacheStaleServed, environment: key.environment)
                return (entry.value, .stale)
            }
            throw error
        }
    }

    /// The call finished: store a value and forget the flight.
    private func finish(
        _ key: SecretCacheKey, flightID: UInt64, result: Result<SecretValue, any Error>, ttl: Duration
    ) {
        // A value fetched by a call whose waiters all left is still good to keep; one fetched
        // by a call that an invalidation detached (it may predate the change) is not.
        let current = inFlight[key]?.id == flightID
        if case .success(let value) = result, current { store(value, for: key, ttl: ttl) }
        if current { inFlight[key] = nil }
    }

    /// Drops every entry whose key `isAffected` selects, and detaches the calls under way for
    /// such keys: their waiters still get their results, but those results are not stored and
    /// the next request starts a new call (a call that started before a change may return
    /// the bytes from before it).
    ///
    /// - Returns: the number of entries dropped plus the number of calls detached.
    @discardableResult
    package func invalidate(where isAffected: (SecretCacheKey) -> Bool) -> Int {
        let dropped = entries.keys.filter(isAffected)
        for key in dropped { entries[key] = nil }
        let detached = inFlight.keys.filter(isAffected)
        for key in detached { inFlight[key] = nil }
        counters.invalidations += dropped.count
        return dropped.count + detached.count
    }

    /// The requests waiting for the call under way for `key` (for tests).
    package func waiting(for key: SecretCacheKey) -> Int {
        inFlight[key]?.call.waiting ?? 0
    }

    /// The number of upstream calls under way (for tests).
    package var callsInFlight: Int { inFlight.values.filter { !$0.call.isAbandoned }.count }

    /// Drops every entry (in-flight calls finish but their results are still stored).
    package func removeAll() {
        entries.removeAll()
    }

    /// The counters, with the current number of entries.
    package func snapshot() -> Counters {
        var copy = counters
        copy.entries = entries.count
        return copy
    }

    private func store(_ value: SecretValue, for key: SecretCacheKey, ttl: Duration) {
        guard ttl > .zero, capacity > 0 else { return }
        if entries[key] == nil, entries.count >= capacity {
            evictLeastRecentlyUsed()
        }
        useCounter += 1
        entries[key] = Entry(value: value, expiresAt: clock.now() + ttl, lastUse: useCounter)
    }

    /// Evicts the least recently used entry. A linear scan: it runs only when the cache is
    /// full, and `max_entries` is in the thousands.
    private func evictLeastRecentlyUsed() {
        guard let victim = entries.min(by: { $0.value.lastUse < $1.value.lastUse })?.key else { return }
        entries[victim] = nil
        counters.evictions += 1
        SecretsmithMetrics.recordCache(SecretsmithMetrics.cacheEvictions, environment: victim.environment)
    }
}
