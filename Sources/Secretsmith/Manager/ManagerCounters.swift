import Synchronization

/// The manager's own counters, updated from many tasks at once.
package final class ManagerCounters: Sendable {
    private struct Values {
        var requests = 0
        var upstreamCalls = 0
        var retries = 0
        var breakerRejections = 0
        var errors: [String: Int] = [:]
        var latency = LatencySummary()
        var tokenRefreshes = 0
        var tokenRefreshFailures = 0
    }

    private let values = Mutex(Values())

    package init() {}

    /// One finished access (counted when it ends, under one lock): its time and, for a
    /// failure, its code (``SecretsmithMetrics/errorCode(_:)``'s).
    func recordAccess(duration: Duration, failure code: String? = nil) {
        values.withLock { values in
            values.requests += 1
            values.latency.record(duration)
            if let code { values.errors[code, default: 0] += 1 }
        }
    }
    func recordUpstreamCall() { values.withLock { $0.upstreamCalls += 1 } }
    func recordRetry() { values.withLock { $0.retries += 1 } }
    func recordBreakerRejection() { values.withLock { $0.breakerRejections += 1 } }
    func recordLatency(_ duration: Duration) { values.withLock { $0.latency.record(duration) } }
    func recordTokenRefresh(succeeded: Bool) {
        values.withLock {
            $0.tokenRefreshes += 1
            if !succeeded { $0.tokenRefreshFailures += 1 }
        }
    }
    func recordFailure(_ error: any Error) {
        recordFailure(code: SecretsmithMetrics.errorCode(error))
    }
    /// A failed access; `code` is ``SecretsmithMetrics/errorCode(_:)``'s.
    func recordFailure(code: String) {
        values.withLock { $0.errors[code, default: 0] += 1 }
    }

    /// Upstream HTTP calls so far.
    package var upstreamCalls: Int { values.withLock { $0.upstreamCalls } }

    func snapshot(cache: SecretCache.Counters, breakers: [SecretManagerStats.Breaker]) -> SecretManagerStats {
        values.withLock { values in
            var stats = SecretManagerStats()
            stats.requests = values.requests
            stats.upstreamCalls = values.upstreamCalls
            stats.retries = values.retries
            stats.breakerRejections = values.breakerRejections
            stats.errors = values.errors
            stats.accessLatency = values.latency
            stats.tokenRefreshes = values.tokenRefreshes
            stats.tokenRefreshFailures = values.tokenRefreshFailures
            stats.cacheHits = cache.hits
            stats.cacheMisses = cache.misses
            stats.singleFlightJoins = cache.joins
            stats.staleServes = cache.staleServes
            stats.cacheEvictions = cache.evictions
            stats.cacheEntries = cache.entries
            stats.breakers = breakers
            return stats
        }
    }
}

extension ManagerCounters: TokenExchangeObserver {
    /// Counts an exchange of one of the manager's token providers.
    package func tokenExchangeFinished(credentialType: String, succeeded: Bool) {
        recordTokenRefresh(succeeded: succeeded)
    }
}
