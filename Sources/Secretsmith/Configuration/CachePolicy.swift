/// How long fetched secret versions stay in the in-memory cache.
public struct CachePolicy: Sendable, Hashable {
    /// How long a fetched value is fresh (default 5 minutes; `cache.ttl`).
    public var ttl: Duration
    /// The most cached versions (default 1000; 0 disables the cache; `cache.max_entries`).
    public var maxEntries: Int
    /// How long past its TTL a value may still be served when Secret Manager is
    /// unavailable or the circuit is open (default 0: never; `cache.max_stale`).
    public var maxStale: Duration

    public init(ttl: Duration = .seconds(300), maxEntries: Int = 1000, maxStale: Duration = .zero) {
        self.ttl = ttl
        self.maxEntries = maxEntries
        self.maxStale = maxStale
    }
}
