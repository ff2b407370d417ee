import AsyncHTTPClient
import NIOSSL

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
    /// - Over plain HTTP/1.1 (the emulator), one connection per call in flight
    ///   (`concurrency`), at least 8, so the pool does not queue requests the manager
    ///   already allows. Over HTTPS, HTTP/2 is negotiated by ALPN (`h2`, then `http/1.1`)
    ///   and one connection carries up to the server's stream limit (100 at Google's front
    ///   ends) of concurrent calls: AsyncHTTPClient treats an HTTPS origin as HTTP/2 until
    ///   told otherwise, so a cold burst waits for one connection instead of starting one
    ///   TLS handshake per call (if the server answers ALPN with `http/1.1`, the pool then
    ///   opens a connection per call in flight, up to the same limit). The manager's
    ///   Secret Manager calls beyond 100 in flight go over a further connection, one per
    ///   event loop of the client at most (``HTTP2ConnectionSpread``).
    /// - TLS: certificates and host names are always verified, against `tls` (the system's
    ///   roots by default).
    ///
    /// - Parameters:
    ///   - concurrency: the largest `concurrency:` of the configuration.
    ///   - tls: the trusted certificate authorities (``TLSTrust``).
    public static func recommendedHTTPClientConfiguration(concurrency: Int, tls: TLSTrust = TLSTrust())
        -> HTTPClient.Configuration
    {
        var configuration = HTTPClient.Configuration()
        configuration.tlsConfiguration = tls.configuration
        configuration.httpVersion = .automatic
        configuration.timeout = .init(connect: .seconds(5), read: nil)
        var pool = HTTPClient.Configuration.ConnectionPool(
            idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: max(8, concurrency))
        pool.retryConnectionEstablishment = false
        configuration.connectionPool = pool
        configuration.redirectConfiguration = .disallow
        return configuration
    }
}
