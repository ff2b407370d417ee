/// How an emulator listens, which faults it starts with, and how strict its
/// authentication is.
public struct EmulatorConfiguration: Sendable, Equatable {
    /// The address to bind. Default `127.0.0.1` (loopback only).
    public var host: String
    /// The TCP port; 0 (the default) picks a free ephemeral port, reported by
    /// ``SecretManagerEmulator/start()``.
    public var port: Int
    /// The fault rules in force from the start. Default none.
    public var faults: FaultConfiguration
    /// Whether Secret Manager routes require a valid bearer token issued by this emulator
    /// (401 UNAUTHENTICATED otherwise) and enforce the seed's `access` lists (403
    /// PERMISSION_DENIED). Default off, so clients without credentials work. The token
    /// endpoints, the metadata server and IAM Credentials work either way.
    public var requireAuthentication: Bool
    /// How long issued access tokens live (`expires_in`). Default one hour, like Google's;
    /// shorter values let tests see tokens refreshed. Impersonated tokens live the
    /// requested lifetime or this, whichever is shorter.
    public var tokenLifetime: Duration
    /// Added to the wall clock for every authentication check and expiry, to test
    /// assertions that are expired (a positive offset) or issued in the future (negative).
    /// Default zero.
    public var clockOffset: Duration
    /// The JWT `aud` values the token endpoint accepts, or `nil` (the default) for
    /// Google's token URLs and the emulator's own `http://HOST:PORT/token`.
    public var tokenAudiences: [String]?
    /// `HOST:PORT` of a Pub/Sub emulator (the form of `PUBSUB_EMULATOR_HOST`) that receives
    /// the secrets' event notifications, or `nil` (the default): topics are then stored and
    /// returned, and nothing is published.
    public var pubSubEmulatorHost: String?
    /// How often due rotation schedules are checked, or `nil` to check only on request
    /// (``SecretManagerEmulator/runDueRotations()``, `POST /_emulator/rotations:run`).
    /// Default 1 second.
    public var rotationCheckInterval: Duration?
    /// HTTPS with this certificate (HTTP/2 by ALPN, else HTTP/1.1), or `nil` (the
    /// default): plain HTTP/1.1.
    public var tls: EmulatorTLS?

    public init(
        host: String = "127.0.0.1", port: Int = 0, faults: FaultConfiguration = .none,
        requireAuthentication: Bool = false, tokenLifetime: Duration = .seconds(3600), clockOffset: Duration = .zero,
        tokenAudiences: [String]? = nil, pubSubEmulatorHost: String? = nil,
        rotationCheckInterval: Duration? = .seconds(1), tls: EmulatorTLS? = nil
    ) {
        self.tls = tls
        self.pubSubEmulatorHost = pubSubEmulatorHost
        self.rotationCheckInterval = rotationCheckInterval
        self.host = host
        self.port = port
        self.faults = faults
        self.requireAuthentication = requireAuthentication
        self.tokenLifetime = tokenLifetime
        self.clockOffset = clockOffset
        self.tokenAudiences = tokenAudiences
    }
}
