/// A snapshot of a manager's counters since it was created. Holds no secret value and no
/// secret name beyond resource-free labels.
public struct SecretManagerStats: Sendable, Hashable, Codable {
    /// The state of one circuit breaker.
    public struct Breaker: Sendable, Hashable, Codable {
        public var environment: String
        /// The Google Cloud project id.
        public var projectID: String
        /// `closed`, `open` or `half_open`.
        public var state: String
        /// How many times it opened.
        public var openings: Int
    }

    /// Accesses asked of the manager that have finished (answered or failed).
    public var requests = 0
    /// Answered from a fresh cache entry.
    public var cacheHits = 0
    /// Needed an upstream call.
    public var cacheMisses = 0
    /// Waited for another request's upstream call (single-flight).
    public var singleFlightJoins = 0
    /// Answered from an expired entry while upstream failed (stale-if-error).
    public var staleServes = 0
    /// Entries evicted because the cache was full.
    public var cacheEvictions = 0
    /// Entries in the cache now.
    public var cacheEntries = 0
    /// HTTP calls made to Secret Manager (first attempts and retries).
    public var upstreamCalls = 0
    /// Retries after a transient failure.
    public var retries = 0
    /// Calls refused at once by an open circuit breaker.
    public var breakerRejections = 0
    /// Failed accesses by error code (`NOT_FOUND`, `UNAVAILABLE`, `CIRCUIT_OPEN`, ...).
    public var errors: [String: Int] = [:]
    /// Every circuit breaker the manager has made, sorted by environment and project.
    public var breakers: [Breaker] = []
    /// How long accesses took (successful and failed), cache and retries included.
    public var accessLatency = LatencySummary()
    /// Access token exchanges made for this manager's calls.
    public var tokenRefreshes = 0
    /// Of those, the ones that failed.
    public var tokenRefreshFailures = 0
}
