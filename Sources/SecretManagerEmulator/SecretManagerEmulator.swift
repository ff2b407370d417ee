import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle

/// A local Google Cloud Secret Manager speaking the REST v1 wire format, for development,
/// examples, tests and benchmarks.
///
/// ```swift
/// let emulator = SecretManagerEmulator(seed: try EmulatorSeed.load(path: "seed.yaml"))
/// let port = try await emulator.start()          // in-process, e.g. in tests
/// // … talk to http://127.0.0.1:\(port)/v1/projects/…
/// let stats = await emulator.stats()
/// await emulator.stop()
/// ```
/// It is also a swift-service-lifecycle `Service`: in a `ServiceGroup`, ``run()`` (or
/// ``run(onListening:)``, as the CLI does) serves until the group shuts down gracefully
/// (SIGTERM, SIGINT) or its task is cancelled. A graceful shutdown closes the listener,
/// lets requests in progress finish, cuts injected delays short (closing their
/// connections) and logs no error.
///
/// Served: the Secret Manager REST v1 routes (global and regional; also `PATCH` of a
/// secret's labels, annotations and other mutable fields, and `:getIamPolicy` /
/// `:setIamPolicy`, as `gcloud secrets update` and `gcloud secrets get-iam-policy` send
/// them), Google's error envelope,
/// an HTML 404 page for unknown paths, request counters (``stats()``) and fault injection
/// (``FaultRule``). Payloads never appear in its logs.
///
/// Authentication, counted and faultable like the API methods:
/// - `POST /token`: the OAuth token endpoint. The JWT-bearer grant checks the RS256
///   signature against the seeded service account's public key (by `iss`, and `kid`), the
///   audience (Google's token URL or this emulator's `http://HOST:PORT/token`), the
///   `cloud-platform` scope, and `iat`/`exp` (at most an hour, covering now); the
///   refresh-token grant checks a seeded authorized user. Answers
///   `{access_token, expires_in, token_type}` or OAuth's `{error, error_description}`.
/// - `POST /v1/token`: the Security Token Service (workload identity federation). An
///   RFC 8693 exchange of a subject token the seed's `workload_identity_providers` accept
///   for the provider named in `audience` answers `{access_token, issued_token_type,
///   token_type, expires_in}` for the principal
///   `principal://iam.googleapis.com/POOL/subject/SUBJECT`, which may then call
///   `generateAccessToken` and (on `access` lists) Secret Manager; else OAuth's error
///   (`invalid_grant`, `invalid_target`, `invalid_request`).
/// - `GET /computeMetadata/v1/instance/service-accounts/default/token` and
///   `GET /computeMetadata/v1/project/project-id`: the metadata server, which requires
///   `Metadata-Flavor: Google` (403 without) and answers with it; `GET /` with that
///   header answers a presence probe.
/// - `POST /v1/projects/-/serviceAccounts/EMAIL:generateAccessToken`: IAM Credentials,
///   with the caller's bearer token; every request is recorded (``impersonations()``).
/// - With ``EmulatorConfiguration/requireAuthentication``, the API routes need a bearer
///   token this emulator issued (401 UNAUTHENTICATED) and a principal on the seed's
///   `access` lists (403 PERMISSION_DENIED).
///
/// Admin endpoints, for tests that run the emulator in another process (not counted,
/// never faulted):
/// - `GET /_emulator/health` → `{"status":"ok"}`
/// - `GET /_emulator/stats` → ``EmulatorStats`` as JSON (with `tokens` issued per grant);
///   `POST /_emulator/reset` zeroes it
/// - `GET /_emulator/impersonations` → the recorded `generateAccessToken` requests
/// - `POST /_emulator/revoke-tokens` → forgets every issued token (``revokeTokens()``)
/// - `GET /_emulator/faults` → the ``FaultConfiguration`` in force; `POST /_emulator/faults`
///   replaces it (a configuration, an array of rules or one rule, as JSON, each rule an
///   object or a `--fault` string; or plain-text `--fault` rules, one per line);
///   `DELETE /_emulator/faults` clears it
/// - `GET /_emulator/clock`, `POST /_emulator/clock` with `{"advance": "3600s"}`: Secret
///   Manager's clock (``advanceClock(by:)``); `POST /_emulator/rotations:run` fires the
///   rotations due now (``runDueRotations()``)
///
/// Event notifications: secrets carry `topics` and a `rotation` schedule (seed keys, and
/// the REST fields of create and patch), and with ``EmulatorConfiguration/pubSubEmulatorHost``
/// every change is published as Secret Manager's event notification to each topic over
/// Pub/Sub's REST API, after the change is stored and before the answer (real Secret
/// Manager delivers asynchronously); due rotations publish `SECRET_ROTATE`, checked every
/// ``EmulatorConfiguration/rotationCheckInterval``. A failed publish is logged and counted
/// (``EmulatorStats/eventsFailed``) and never fails the request.
public actor SecretManagerEmulator: Service {
    /// The configuration given at creation.
    public nonisolated let configuration: EmulatorConfiguration
    private let state: EmulatorState
    private let logger: Logger
    /// The group serving a ``start()``ed emulator, and the task running it.
    private var started: (group: ServiceGroup, task: Task<Void, any Error>)?
    private var running = false

    /// The bound port while serving, else `nil`.
    public private(set) var port: Int?

    /// Errors of the emulator's life cycle.
    public enum LifecycleError: Error, CustomStringConvertible {
        /// `start()` or `run()` was called while the emulator is already serving.
        case alreadyRunning
        /// The server stopped before it listened.
        case stoppedBeforeListening
        /// ``EmulatorConfiguration/pubSubEmulatorHost`` is not `HOST:PORT`.
        case invalidPubSubEmulatorHost(String)

        public var description: String {
            switch self {
            case .alreadyRunning: "The emulator is already running."
            case .stoppedBeforeListening: "The emulator stopped before it started listening."
            case .invalidPubSubEmulatorHost(let host):
                "The Pub/Sub emulator host \"\(host)\" is not HOST:PORT (the form of PUBSUB_EMULATOR_HOST)."
            }
        }
    }

    /// How long a graceful shutdown may take before the server is cancelled (requests
    /// still in progress are then cut off). Injected delays end at once; this bounds a
    /// client that is slow to send its request.
    public static let maximumGracefulShutdownDuration: Duration = .seconds(10)

    /// Creates an emulator; nothing listens until ``start()`` or ``run(onListening:)``.
    ///
    /// - Parameters:
    ///   - seed: The secrets to start with.
    ///   - configuration: Address, port and initial faults.
    ///   - logger: Where to log (debug: one line per request with method, resource name,
    ///     status and faults; never a payload). The HTTP server's own messages are logged
    ///     at `notice` and above unless the logger is at `debug` or lower. The default
    ///     logs nothing.
    public init(
        seed: EmulatorSeed = EmulatorSeed(),
        configuration: EmulatorConfiguration = EmulatorConfiguration(),
        logger: Logger = Logger(label: "secretsmith.emulator", factory: { _ in SwiftLogNoOpLogHandler() })
    ) {
        self.configuration = configuration
        self.state = EmulatorState(seed: seed, configuration: configuration)
        self.logger = logger
    }

    /// Starts serving in a background task (its own `ServiceGroup`).
    ///
    /// - Returns: The bound TCP port (the ephemeral one when the configured port is 0).
    /// - Throws: ``LifecycleError/alreadyRunning``, or the bind error (e.g. address in use).
    public func start() async throws -> Int {
        guard !running else { throw LifecycleError.alreadyRunning }
        let (ports, continuation) = AsyncThrowingStream.makeStream(of: Int.self)
        let application = try makeApplication { port in continuation.yield(port) }
        let publisher = try makePublisher()
        running = true
        await state.resumeDelays()
        await state.setPublisher(publisher)
        var services: [any Service] = [application]
        if let interval = configuration.rotationCheckInterval {
            services.append(RotationScheduler(state: state, interval: interval))
        }
        var groupConfiguration = ServiceGroupConfiguration(services: services, logger: serverLogger)
        groupConfiguration.maximumGracefulShutdownDuration = Self.maximumGracefulShutdownDuration
        let group = ServiceGroup(configuration: groupConfiguration)
        let state = state
        let task = Task {
            do {
                try await group.run()
                await Self.endPublishing(state, publisher)
                continuation.finish()
            } catch {
                await Self.endPublishing(state, publisher)
                continuation.finish(throwing: error)
                throw error
            }
        }
        started = (group, task)
        do {
            for try await bound in ports {
                port = bound
                return bound
            }
            throw LifecycleError.stoppedBeforeListening
        } catch {
            started = nil
            running = false
            throw error
        }
    }

    /// Stops a server started with ``start()`` with a graceful shutdown: closes the
    /// listener and idle connections, lets requests in progress finish, cuts injected
    /// delays short (stalls included; their connections are closed without an answer),
    /// and waits until it is down.
    public func stop() async {
        guard let server = started else { return }
        started = nil
        await server.group.triggerGracefulShutdown()
        await state.cutDelays()
        _ = await server.task.result
        running = false
        port = nil
    }

    /// Serves until the service group shuts down gracefully or the task is cancelled
    /// (the `Service` requirement).
    public func run() async throws {
        try await run(onListening: { _ in })
    }

    /// Serves in the calling task until a graceful shutdown (in a `ServiceGroup`) or
    /// cancellation; for the CLI. Prints nothing.
    ///
    /// - Parameter onListening: Called once with the bound port when the server listens
    ///   (the CLI prints the address there).
    /// - Throws: ``LifecycleError/alreadyRunning``, or the bind error. A shutdown is not
    ///   an error: the method returns.
    public func run(onListening: @escaping @Sendable (_ port: Int) async -> Void) async throws {
        guard !running else { throw LifecycleError.alreadyRunning }
        let application = try makeApplication { port in
            await self.listening(on: port)
            await onListening(port)
        }
        let publisher = try makePublisher()
        running = true
        defer {
            running = false
            port = nil
        }
        await state.resumeDelays()
        await state.setPublisher(publisher)
        let state = self.state
        let scheduler = configuration.rotationCheckInterval.map { RotationScheduler(state: state, interval: $0) }
        do {
            try await withGracefulShutdownHandler {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    if let scheduler {
                        group.addTask { try await scheduler.run() }
                    }
                    // The server ends the group: the scheduler is then cancelled.
                    defer { group.cancelAll() }
                    try await application.run()
                }
            } onGracefulShutdown: {
                Task { await state.cutDelays() }
            }
        } catch {
            await Self.endPublishing(state, publisher)
            if Task.isCancelled { return }
            throw error
        }
        await Self.endPublishing(state, publisher)
    }

    /// The publisher for ``EmulatorConfiguration/pubSubEmulatorHost``, or `nil` without one;
    /// logs (notice) which of the two it is.
    private func makePublisher() throws -> EventPublisher? {
        guard let host = configuration.pubSubEmulatorHost, !host.isEmpty else {
            logger.notice(
                "No Pub/Sub emulator host (PUBSUB_EMULATOR_HOST or --pubsub-emulator-host): secrets keep their topics, and no event notification is published")
            return nil
        }
        let publisher = try EventPublisher(host: host, state: state, logger: logger)
        logger.notice(
            "Publishing event notifications to the Pub/Sub emulator", metadata: ["emulator.pubsub_host": "\(host)"])
        return publisher
    }

    /// Detaches and shuts down the publisher of a run that ended.
    private static func endPublishing(_ state: EmulatorState, _ publisher: EventPublisher?) async {
        guard let publisher else { return }
        await state.setPublisher(nil)
        await publisher.shutdown()
    }
    /// `http://HOST:PORT` while serving (`https://` with ``EmulatorConfiguration/tls``;
    /// an IPv6 host in brackets), else `nil`.
    public var baseURL: String? {
        port.map { Self.baseURL(host: configuration.host, port: $0, tls: configuration.tls != nil) }
    }

    /// `http://HOST:PORT`, or `https://` with TLS; an IPv6 host in brackets.
    public static func baseURL(host: String, port: Int, tls: Bool) -> String {
        let host = host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
        return "\(tls ? "https" : "http")://\(host):\(port)"
    }

    /// The request counters so far.
    public func stats() async -> EmulatorStats {
        await state.stats()
    }

    /// Forgets every access token issued so far: requests that present one are answered
    /// 401 UNAUTHENTICATED, as after a revocation, and clients must obtain new ones.
    public func revokeTokens() async {
        await state.revokeTokens()
    }

    /// The `generateAccessToken` requests received since the start or the last reset.
    public func impersonations() async -> [ImpersonationRecord] {
        await state.impersonations()
    }

    /// Zeroes the request counters and forgets recorded impersonation requests.
    public func resetStats() async {
        await state.resetStats()
    }

    /// Publishes `SECRET_ROTATE` for every rotation schedule due by the emulator's clock
    /// and advances them (by the period, or clears a one-time schedule), as the background
    /// check does every ``EmulatorConfiguration/rotationCheckInterval``; returns when the
    /// notifications are published.
    ///
    /// - Returns: The names of the secrets rotated (`projects/NUMBER/secrets/S`).
    @discardableResult
    public func runDueRotations() async -> [String] {
        await RotationScheduler.runDue(state)
    }

    /// Moves Secret Manager's clock in the emulator ahead (rotation schedules, `createTime`,
    /// `destroyTime`; authentication keeps the wall clock). Time never goes back: a
    /// negative or zero duration changes nothing.
    public func advanceClock(by duration: Duration) {
        let (seconds, attoseconds) = duration.components
        state.clock.advance(by: Double(seconds) + Double(attoseconds) / 1e18)
    }

    /// The current time of Secret Manager's clock in the emulator.
    public nonisolated var now: Date { state.clock.now() }

    /// The fault rules in force.
    public func faults() async -> FaultConfiguration {
        await state.faults()
    }

    /// Replaces the fault rules (restarting their counts); `.none` clears them.
    public func setFaults(_ faults: FaultConfiguration) async {
        await state.setFaults(faults)
    }

    private func listening(on port: Int) {
        self.port = port
    }

    /// The logger of the HTTP server and the service group: the emulator's, at `notice`
    /// or above unless it is at `debug` or lower.
    private var serverLogger: Logger {
        var serverLogger = logger
        if serverLogger.logLevel > .debug {
            serverLogger.logLevel = max(serverLogger.logLevel, .notice)
        }
        return serverLogger
    }

    /// The HTTP server: plain HTTP/1.1, or with ``EmulatorConfiguration/tls`` HTTPS with
    /// HTTP/2 by ALPN; accepted connections are counted (``EmulatorStats/connections``).
    ///
    /// - Throws: ``EmulatorTLSError`` when the TLS key does not belong to the certificate.
    private func makeApplication(
        onListening: @escaping @Sendable (Int) async -> Void
    ) throws -> some ApplicationProtocol {
        let configuredPort = configuration.port
        return Application(
            router: EmulatorRouter.make(
                state: state, logger: logger, requireAuthentication: configuration.requireAuthentication,
                tls: configuration.tls != nil),
            server: try .emulator(tls: configuration.tls, counter: state.connections),
            configuration: ApplicationConfiguration(
                address: .hostname(configuration.host, port: configuration.port), serverName: nil),
            onServerRunning: { channel in
                await onListening(channel.localAddress?.port ?? configuredPort)
            },
            logger: serverLogger)
    }
}
