import AsyncHTTPClient

extension MultiEnvironmentSecretManager {
    /// The `HTTPClient` configuration secretsmith recommends for a manager's client.
    ///
    /// - Redirects are refused: Secret Manager never redirects, and a token must not follow
    ///   one to another host.
    /// - A 5 s connect timeout, and no retrying of failed connection attempts inside the
    ///   pool: AsyncHTTPClient's default (`retryConnectionEstablishment`) retries a refused
    ///   connection until the request's own timeout, so every attempt against an address
    ///   where nothing listens would wait the whole `timeout:`. Without it a refused
    ///   connection fails at once and the manager's retries (with backoff) take over.
    /// - One connection per call in flight (`concurrency`), at least 8, so the pool does not
    ///   queue requests the manager already allows.
    ///
    /// - Parameter concurrency: the largest `concurrency:` of the configuration.
    public static func recommendedHTTPClientConfiguration(concurrency: Int) -> HTTPClient.Configuration {
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: .seconds(5), read: nil)
        var pool = HTTPClient.Configuration.ConnectionPool(
            idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: max(8, concurrency))
        pool.retryConnectionEstablishment = false
        configuration.connectionPool = pool
        configuration.redirectConfiguration = .disallow
        return configuration
    }
}
