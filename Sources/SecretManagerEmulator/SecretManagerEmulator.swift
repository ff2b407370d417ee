import Foundation
import Hummingbird
import Logging
import NIOCore

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
/// The CLI calls ``run(onListening:)`` instead, which serves until its task is cancelled.
///
/// Served: the API routes of GCP-WIRE.md (global and regional), Google's error envelope,
/// an HTML 404 page for unknown paths, request counters (``stats()``) and fault injection
/// (``FaultRule``). Payloads never appear in its logs.
///
/// Authentication (GCP-WIRE.md), counted and faultable like the API methods:
/// - `POST /token`: the OAuth token endpoint. The JWT-bearer grant checks the RS256
///   signature against the seeded service account's public key (by `iss`, and `kid`), the
///   audience (Google's token URL or this emulator's `http://HOST:PORT/token`), the
///   `cloud-platform` scope, and `iat`/`exp` (at most an hour, covering now); the
///   refresh-token grant checks a seeded authorized user. Answers
///   `{access_token, expires_in, token_type}` or OAuth's `{error, error_description}`.
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
///   replaces it (a configuration, an array of rules or one rule, as JSON);
///   `DELETE /_emulator/faults` clears it
public actor SecretManagerEmulator {
    /// The configuration given at creation.
    public nonisolated let configuration: EmulatorConfiguration
    private let state: EmulatorState
    private let logger: Logger
    private var serverTask: Task<Void, any Error>?
    private var running = false

    /// The bound port while serving, else `nil`.
    public private(set) var port: Int?

    /// Errors of the emulator's life cycle.
    public enum LifecycleError: Error, CustomStringConvertible {
        /// `start()` or `run()` was called while the emulator is already serving.
        case alreadyRunning
        /// The server stopped before it listened.
        case stoppedBeforeListening

        public var description: String {
            switch self {
            case .alreadyRunning: "The emulator is already running."
            case .stoppedBeforeListening: "The emulator stopped before it started listening."
            }
        }
    }

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

    /// Starts serving in a background task.
    ///
    /// - Returns: The bound TCP port (the ephemeral one when the configured port is 0).
    /// - Throws: ``LifecycleError/alreadyRunning``, or the bind error (e.g. address in use).
    public func start() async throws -> Int {
        guard !running else { throw LifecycleError.alreadyRunning }
        running = true
        let (ports, continuation) = AsyncThrowingStream.makeStream(of: Int.self)
        let application = makeApplication { port in continuation.yield(port) }
        serverTask = Task {
            do {
                try await application.run()
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
                throw error
            }
        }
        do {
            for try await bound in ports {
                port = bound
                return bound
            }
            throw LifecycleError.stoppedBeforeListening
        } catch {
            serverTask = nil
            running = false
            throw error
        }
    }

    /// Serves in the calling task until it is cancelled; for the CLI. Prints nothing.
    ///
    /// - Parameter onListening: Called once with the bound port when the server listens
    ///   (the CLI prints the address there).
    /// - Throws: ``LifecycleError/alreadyRunning``, or the bind error. Cancellation is
    ///   not an error: the method returns.
    public func run(onListening: @escaping @Sendable (_ port: Int) async -> Void = { _ in }) async throws {
        guard !running else { throw LifecycleError.alreadyRunning }
        running = true
        defer {
            running = false
            port = nil
        }
        let application = makeApplication { port in
            await self.listening(on: port)
            await onListening(port)
        }
        do {
            try await application.run()
        } catch {
            if Task.isCancelled { return }
            throw error
        }
    }

    /// Stops a server started with ``start()``: closes the listener and every connection,
    /// cancelling requests in progress (stalls included), and waits until it is down.
    public func stop() async {
        guard let task = serverTask else { return }
        serverTask = nil
        task.cancel()
        _ = await task.result
        running = false
        port = nil
    }

    /// `http://HOST:PORT` while serving, else `nil`.
    public var baseURL: String? {
        port.map { "http://\(configuration.host):\($0)" }
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

    private func makeApplication(
        onListening: @escaping @Sendable (Int) async -> Void
    ) -> Application<EmulatorResponder> {
        var serverLogger = logger
        if serverLogger.logLevel > .debug {
            serverLogger.logLevel = max(serverLogger.logLevel, .notice)
        }
        let configuredPort = configuration.port
        return Application(
            responder: EmulatorResponder(
                state: state, logger: logger, requireAuthentication: configuration.requireAuthentication),
            configuration: ApplicationConfiguration(
                address: .hostname(configuration.host, port: configuration.port), serverName: nil),
            onServerRunning: { channel in
                await onListening(channel.localAddress?.port ?? configuredPort)
            },
            logger: serverLogger)
    }
}
