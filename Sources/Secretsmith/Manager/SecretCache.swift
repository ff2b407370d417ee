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
        package var entries = 0
    }

    private let capacity: Int
    private let clock: SecretManagerClock
    private var entries: [SecretCacheKey: Entry] = [:]
    private var inFlight: [SecretCacheKey: Task<SecretValue, any Error>] = [:]
    private var useCounter: UInt64 = 0
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
    /// - Parameters:
    ///   - ttl: how long a fetched value is fresh; zero means it is not stored.
    ///   - maxStale: how long past its TTL an entry may still answer when `fetch` fails;
    ///     zero turns stale-if-error off.
    ///   - fetch: the upstream call.
    /// - Returns: the value and how the cache answered.
    /// - Throws: whatever `fetch` threw, unless a stale entry answered.
    package func value(
        for key: SecretCacheKey,
        ttl: Duration,
        maxStale: Duration,
        fetch: @escaping @Sendable () async throws -> SecretValue
    ) async throws -> (SecretValue, CacheOutcome) {
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
        let task: Task<SecretValue, any Error>
        if let running = inFlight[key] {
            counters.joins += 1
            SecretsmithMetrics.recordCache(SecretsmithMetrics.singleFlightJoins, environment: key.environment)
            outcome = .joined
            task = running
        } else {
            counters.misses += 1
            SecretsmithMetrics.recordCache(SecretsmithMetrics.cacheMisses, environment: key.environment)
            outcome = .miss
            // An unstructured task, so that a waiter that is cancelled does not cancel the
            // call for the others; it finishes and fills the cache either way.
            task = Task { try await fetch() }
            inFlight[key] = task
        }
        do {
            let value = try await task.value
            if outcome == .miss {
                inFlight[key] = nil
                store(value, for: key, ttl: ttl)
            }
            return (value, outcome)
        } catch {
            if outcome == .miss { inFlight[key] = nil }
            if maxStale > .zero, let entry = entries[key], clock.now() < entry.expiresAt + maxStale,
                !(error is CancellationError)
            {
                counters.staleServes += 1
                SecretsmithMetrics.recordCache(SecretsmithMetrics.cacheStaleServed, environment: key.environment)
                return (entry.value, .stale)
            }
            throw error
        }
    }

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
