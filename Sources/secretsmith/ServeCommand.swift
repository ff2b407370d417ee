import ArgumentParser
import AsyncHTTPClient
import Foundation
import Logging
import Metrics
import Prometheus
import Secretsmith
import SecretsmithServer
import ServiceLifecycle

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the secret service: Secret Manager's REST reads and secretsmith's own API, behind authentication and a policy.",
        discussion: """
            Serves GET /v1/projects/P[/locations/L]/secrets/S/versions/V[:access] (Google's JSON), \
            GET /v1/references/ENV/PROJECT/SECRET[%40VERSION][%23POINTER] (the payload), \
            POST /v1/outputs/NAME:render?environment=E (a rendered output), POST /v1/events/pubsub, \
            GET /healthz, /readyz and /metrics, configured by the serve: section of the configuration. \
            Every API request needs Authorization: Bearer TOKEN and is checked against serve.policy. \
            SIGTERM or SIGINT stops accepting connections and lets requests in flight finish within \
            serve.shutdown_grace_period, then exits 0; SIGHUP reloads the static tokens file and the TLS \
            certificate and key. One audit event per request is logged at info on standard error.
            """)

    @Option(name: .long, help: "The configuration file (default: $SECRETSMITH_CONFIG, else ./secretsmith.yaml).")
    var config: String?

    @Option(name: .long, help: "The address to listen on, HOST:PORT (default: serve.listen, else 127.0.0.1:8200; port 0 picks a free one).")
    var listen: String?

    @Option(name: .long, help: "Write the bound port to this file once listening (for scripts using port 0).")
    var portFile: String?

    @Option(name: .long, help: "Log format on standard error: text or json.")
    var logFormat: GlobalOptions.LogFormat = .text

    @Option(name: .long, help: "Log level of messages other than the audit events (which are always written, at info).")
    var logLevel: Logger.Level = .warning

    func validate() throws {
        if let listen, ServeConfiguration.ListenAddress(parsing: listen) == nil {
            throw ValidationError("--listen \(listen): expected HOST:PORT such as 127.0.0.1:8200 or [::1]:8200 (port 0 to 65535).")
        }
        if let config, config.utf8.contains(0) {
            throw ValidationError("--config: a path must not contain a NUL byte.")
        }
    }

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        // Swift's own thread pool answers requests unless SECRETSMITH_SERVE_EVENT_LOOP_EXECUTOR=1
        // moves them onto the event loops that read them (slower on 2 cores, measured).
        if environment["SECRETSMITH_SERVE_EVENT_LOOP_EXECUTOR"] == "1" {
            SecretServer.runTasksOnEventLoops()
        }
        var options = try GlobalOptions.parse([])
        options.config = config
        options.logFormat = logFormat
        options.logLevel = logLevel
        let logger = LogSetup.bootstrap(options)
        var auditLogger = Logger(label: AuditLog.label)
        auditLogger.logLevel = .info
        // The audit events, rendered as the log handler would, buffered, written at least
        // every second and at shutdown.
        let audit = AuditLog(format: logFormat == .json ? .json : .text)
        let location = ConfigurationLocation.discover(explicit: config, environment: environment)
        let configuration = try location.load(environment: environment).applyingEnvironmentOverrides(environment)
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        let override = listen.flatMap(ServeConfiguration.ListenAddress.init(parsing:))
        let certificates = try configuration.serve?.tls.map(TLSCertificateStore.init)
        // Nothing may throw once the client exists: a client is shut down before its deinit.
        let httpClient = HTTPClient(
            eventLoopGroupProvider: .singleton,
            configuration: MultiEnvironmentSecretManager.recommendedHTTPClientConfiguration(for: configuration))
        let outcome: Result<Void, any Error>
        do {
            let manager = MultiEnvironmentSecretManager(
                configuration: configuration, httpClient: httpClient, processEnvironment: environment, logger: logger)
            let components = try ServeComponents.make(
                serve: configuration.serve ?? ServeConfiguration(), manager: manager, httpClient: httpClient, logger: logger)
            let server = SecretServer(
                configuration: configuration, manager: manager, authenticators: components.authenticators,
                registry: registry, auditLogger: auditLogger, auditLog: audit, processEnvironment: environment,
                pubSubPushHandler: components.pubSubPushHandler)
            let address = server.listenAddress(override: override)
            let portFile = self.portFile
            let scheme = certificates == nil ? "http" : "https"
            var serverLogger = logger
            serverLogger.logLevel = max(logger.logLevel, .notice)
            let application = try server.makeApplication(
                listen: address, certificates: certificates, serverLogger: serverLogger
            ) { port in
                FileHandle.standardError.write(
                    Data("secretsmith serve listening on \(scheme)://\(ServeConfiguration.ListenAddress(host: address.host, port: port))\n".utf8))
                if let portFile, let failure = PortFile.write(port: port, to: portFile) {
                    FileHandle.standardError.write(Data("secretsmith: error: cannot write --port-file \(portFile): \(failure)\n".utf8))
                }
            }
            let reload = ReloadService(certificates: certificates, others: components.reloads, logger: logger)
            // Shut down in reverse order: the reloader, the listener (requests in flight
            // finish), the audit flusher, then the webhook queues (notifications of those
            // requests are sent).
            // The audit flusher stops after the listener, so the last requests' events are written.
            var services: [ServiceGroupConfiguration.ServiceConfiguration] = []
            if let webhooks = components.webhooks { services.append(.init(service: webhooks)) }
            services += [.init(service: AuditFlushService(log: audit)), .init(service: application), .init(service: reload)]
            var groupConfiguration = ServiceGroupConfiguration(
                services: services,
                gracefulShutdownSignals: [.sigterm, .sigint], logger: serverLogger)
            groupConfiguration.maximumGracefulShutdownDuration = server.serve.shutdownGracePeriod
            let group = ServiceGroup(configuration: groupConfiguration)
            do {
                try await group.run()
            } catch let error as any SecretsmithError {
                throw error
            } catch {
                throw ServeStartError(
                    message: "secretsmith serve stopped: it could not listen on \(address) or failed while serving (\(type(of: error)))",
                    kind: .unavailable)
            }
            outcome = .success(())
        } catch {
            outcome = .failure(error)
        }
        audit.flush()
        try? await httpClient.shutdown()
        try outcome.get()
    }
}
