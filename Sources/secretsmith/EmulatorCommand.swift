import ArgumentParser
import Foundation
import Logging
import SecretManagerEmulator
import Secretsmith
import ServiceLifecycle

struct EmulatorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "emulator",
        abstract: "Run a local Secret Manager speaking the REST v1 wire format.",
        discussion: """
            Serves /v1/projects/... (access, get, list, addVersion, enable, disable, destroy, create, \
            update (PATCH), delete, getIamPolicy, setIamPolicy; global and regional paths) and admin \
            endpoints under /_emulator/ (GET health, GET stats, POST reset, GET/POST/DELETE faults). \
            Point secretsmith at it with SECRET_MANAGER_EMULATOR_HOST=HOST:PORT, and gcloud with \
            `gcloud config set api_endpoint_overrides/secretmanager http://HOST:PORT/`. Stops \
            gracefully on SIGINT or SIGTERM (requests in progress finish; injected stalls are cut short).

            Authentication: POST /token (JWT-bearer assertions of the seed's service_accounts, \
            refresh tokens of its authorized_users), the Security Token Service (POST /v1/token: \
            RFC 8693 exchanges of the subject tokens its workload_identity_providers accept), \
            the metadata server (/computeMetadata/v1/...; \
            point clients at it with GCE_METADATA_HOST=HOST:PORT) and IAM Credentials \
            generateAccessToken (SECRETSMITH_IAM_CREDENTIALS_ENDPOINT=http://HOST:PORT). With --auth, \
            Secret Manager routes need a token the emulator issued (or a self-signed JWT of a seeded \
            service account, as clients with a key file send) and enforce the seed's access lists; \
            clients then use `endpoint: http://HOST:PORT` instead of SECRET_MANAGER_EMULATOR_HOST.

            Fault rules (--fault, repeatable): latency:MS[+JITTER], error:HTTP[/STATUS], quota:SECONDS \
            (429 with Retry-After), drop, stall:SECONDS, checksum; then optional ,method=access \
            ,resource=PATTERN ,rate=0.3 ,count=N. Example: --fault error:503,method=access,rate=0.3. \
            At run time, POST the same strings to /_emulator/faults (one per line, or as JSON strings).

            Event notifications: secrets carry topics and rotation schedules (seed keys topics and \
            rotation, or the REST fields), and every change is published as Secret Manager's event \
            notification to a Pub/Sub emulator, over its REST API, before the request is answered: \
            --pubsub-emulator-host HOST:PORT, else PUBSUB_EMULATOR_HOST. Without either, topics are \
            stored and nothing is published. A failed publish is logged and counted in \
            /_emulator/stats (eventsFailed) and never fails the request. Due rotations publish \
            SECRET_ROTATE (checked every second; POST /_emulator/rotations:run fires them now, \
            POST /_emulator/clock {"advance": "3600s"} moves the emulator's clock ahead).

            TLS: --tls serves HTTPS (HTTP/2 by ALPN, else HTTP/1.1) with a self-signed certificate \
            made at start for 127.0.0.1, ::1, localhost and --host; --cert PATH --key PATH (PEM) serve \
            a given certificate instead. --cert-out PATH writes the served certificate (PEM, mode 0644) \
            before listening, for clients to trust: `tls: { ca_file: PATH }` in secretsmith's \
            configuration, SSL_CERT_FILE, or gcloud's core/custom_ca_certs_file. The emulator then \
            announces https://HOST:PORT; clients use `endpoint: https://HOST:PORT` (not \
            SECRET_MANAGER_EMULATOR_HOST, which means plain HTTP).

            Service account keys for the seed: --generate-service-account EMAIL --key-file KEY.json \
            [--public-key-file KEY.pem] [--token-uri URL] [--project-id ID] writes a key file (mode \
            0600) and the public key the seed's public_key_file names, then exits.
            """)

    @Option(name: .long, help: "The address to listen on (loopback by default).")
    var host = "127.0.0.1"

    @Option(name: .long, help: "The TCP port; 0 picks a free one.")
    var port = 8085

    @Option(name: .long, help: "Write the bound port to this file once listening (for scripts using --port 0).")
    var portFile: String?

    @Option(name: .long, help: "A YAML file of projects, secrets and versions to start with.")
    var seed: String?

    @Option(name: .long, help: "A fault injection rule (repeatable); see the discussion above.")
    var fault: [String] = []

    @Option(name: .long, help: "Seed for the fault injector's random numbers, for reproducible runs.")
    var faultSeed: UInt64?

    @Option(name: .long, help: "Log level for the emulator's request log on standard error.")
    var logLevel: Logger.Level = .notice

    @Flag(name: .long, help: "Require a bearer token issued by the emulator, or a seeded service account's self-signed JWT, on Secret Manager routes, and enforce the seed's access lists.")
    var auth = false

    @Option(name: .long, help: "Lifetime of issued access tokens (e.g. 1h, 30s).")
    var tokenLifetime = "1h"

    @Option(name: .long, help: "Shift the emulator's clock for authentication checks, to test expired assertions (e.g. 2h; --clock-offset=-10m runs it behind).")
    var clockOffset: String?

    @Option(name: .long, help: "A JWT audience the token endpoint accepts (repeatable); default: Google's token URL and this emulator's /token.")
    var tokenAudience: [String] = []

    @Option(name: .customLong("pubsub-emulator-host"), help: "HOST:PORT of a Pub/Sub emulator that receives the secrets' event notifications (default: PUBSUB_EMULATOR_HOST; none: nothing is published).")
    var pubSubEmulatorHost: String?

    @Flag(name: .long, help: "Serve HTTPS (HTTP/2 by ALPN) with a self-signed certificate made at start.")
    var tls = false

    @Option(name: .long, help: "Serve HTTPS with this PEM certificate chain (with --key).")
    var cert: String?

    @Option(name: .long, help: "With --cert: the PEM private key of the certificate.")
    var key: String?

    @Option(name: .long, help: "With --tls or --cert: write the served certificate (PEM, mode 0644) here before listening, for clients to trust.")
    var certOut: String?

    @Option(name: .long, help: "Write a new service account key file for EMAIL (with --key-file) and exit.")
    var generateServiceAccount: String?

    @Option(name: .long, help: "With --generate-service-account: the key file to write.")
    var keyFile: String?

    @Option(name: .long, help: "With --generate-service-account: the public key PEM file to write.")
    var publicKeyFile: String?

    @Option(name: .long, help: "With --generate-service-account: the key file's token_uri.")
    var tokenURI = "https://oauth2.googleapis.com/token"

    @Option(name: .long, help: "With --generate-service-account: the key file's project_id.")
    var projectID = "emulator-project"

    func validate() throws {
        guard (0...65535).contains(port) else {
            throw ValidationError("--port \(port) is outside 0–65535 (0 picks a free port).")
        }
        if (cert == nil) != (key == nil) {
            throw ValidationError("--cert and --key go together: give both, or --tls for a self-signed certificate.")
        }
        if certOut != nil, !tls, cert == nil {
            throw ValidationError("--cert-out needs --tls (or --cert and --key): plain HTTP serves no certificate.")
        }
    }

    /// The TLS certificate to serve: `--cert`/`--key`, else with `--tls` a self-signed one
    /// for the loopback names and `--host`; `nil` for plain HTTP. Writes `--cert-out`.
    func loadTLS() throws -> EmulatorTLS? {
        let served: EmulatorTLS
        if let cert, let key {
            do {
                served = try EmulatorTLS.load(certificateFile: cert, privateKeyFile: key)
            } catch {
                throw UsageError("--cert \(cert) --key \(key): \(error)")
            }
        } else if tls {
            served = try EmulatorTLS.selfSigned(hosts: [host])
        } else {
            return nil
        }
        if let certOut {
            try Self.write(served.certificatePEM, to: certOut, mode: 0o644)
        }
        return served
    }

    func run() async throws {
        if let email = generateServiceAccount {
            try generate(email: email)
            return
        }
        var faults = FaultConfiguration(rules: [], seed: faultSeed)
        for text in fault {
            do {
                faults.rules.append(try FaultRule(parsing: text))
            } catch {
                throw UsageError("--fault \(text): \(error)")
            }
        }
            if let portFile { try PortFile.check(portFile, seed: seed) }
        let seedData = try seed.map { try EmulatorSeed.load(path: $0) } ?? EmulatorSeed()
        var logger = Logger(label: "secretsmith.emulator") { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = logLevel
        let configuration = EmulatorConfiguration(
            host: host, port: port, faults: faults, requireAuthentication: auth,
            tokenLifetime: try Self.duration(tokenLifetime, option: "--token-lifetime"),
            clockOffset: try clockOffset.map { try Self.duration($0, option: "--clock-offset", signed: true) } ?? .zero,
            tokenAudiences: tokenAudience.isEmpty ? nil : tokenAudience,
            pubSubEmulatorHost: try resolvedPubSubEmulatorHost(), tls: try loadTLS())
        let emulator = SecretManagerEmulator(seed: seedData, configuration: configuration, logger: logger)
        let portFile = self.portFile
        let host = self.host
        let secure = configuration.tls != nil
        let service = ListeningEmulator(emulator: emulator) { bound in
            let url = SecretManagerEmulator.baseURL(host: host, port: bound, tls: secure)
            FileHandle.standardError.write(Data("secretsmith emulator listening on \(url)\n".utf8))
                if let portFile, let failure = PortFile.write(port: bound, to: portFile) {
                    FileHandle.standardError.write(
                        Data("secretsmith: error: cannot write --port-file \(portFile): \(failure)\n".utf8))
            }
        }
        // SIGTERM and SIGINT shut the server down gracefully: a requested stop, not an error.
        var groupConfiguration = ServiceGroupConfiguration(
            services: [service], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        groupConfiguration.maximumGracefulShutdownDuration = SecretManagerEmulator.maximumGracefulShutdownDuration
        let group = ServiceGroup(configuration: groupConfiguration)
        do {
            try await group.run()
        } catch let error as any SecretsmithError {
            throw error
        } catch {
            throw EmulatorStartError(host: host, port: port, underlying: error)
        }
    }
}

/// The emulator as the CLI's service: serves, and reports the bound port once listening.
struct ListeningEmulator: Service {
    let emulator: SecretManagerEmulator
    let onListening: @Sendable (Int) async -> Void

    func run() async throws {
        try await emulator.run(onListening: onListening)
    }
}

extension EmulatorCommand {
    /// `--generate-service-account EMAIL --key-file F [--public-key-file P]`: writes a key
    /// file (mode 0600) and the public key PEM for the seed's `public_key_file`.
    func generate(email: String) throws {
        guard let keyFile else {
            throw UsageError("--generate-service-account needs --key-file PATH")
        }
        let account = try GeneratedServiceAccount(email: email)
        try Self.write(account.keyFileJSON(tokenURI: tokenURI, projectID: projectID), to: keyFile, mode: 0o600)
        if let publicKeyFile {
            try Self.write(account.publicKeyPEM, to: publicKeyFile, mode: 0o644)
        }
        print("private_key_id: \(account.privateKeyID)")
    }

    /// `--pubsub-emulator-host`, else a non-empty `PUBSUB_EMULATOR_HOST`, checked to be
    /// `HOST:PORT`; `nil` when neither is given.
    func resolvedPubSubEmulatorHost() throws -> String? {
        let (host, source): (String?, String) =
            if let pubSubEmulatorHost { (pubSubEmulatorHost, "--pubsub-emulator-host") } else {
                (ProcessInfo.processInfo.environment[PubSubEndpoint.emulatorHostVariable], PubSubEndpoint.emulatorHostVariable)
            }
        guard let host, !host.isEmpty else { return nil }
        do {
            _ = try PubSubEndpoint.resolve(environment: [PubSubEndpoint.emulatorHostVariable: host])
        } catch {
            throw UsageError("\(source) \(host): expected HOST:PORT of the Pub/Sub emulator, like 127.0.0.1:8681")
        }
        return host
    }

    private static func write(_ text: String, to path: String, mode: mode_t) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        guard descriptor >= 0 else { throw UsageError("cannot write \(path): \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        _ = fchmod(descriptor, mode)
        let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: false)
        try handle.write(contentsOf: Data(text.utf8))
    }

    /// A duration option such as `30s` or `1h`; with `signed`, a leading `-` is allowed.
    static func duration(_ text: String, option: String, signed: Bool = false) throws -> Duration {
        let negative = signed && text.hasPrefix("-")
        do {
            let value = try DurationSyntax.parse(negative ? String(text.dropFirst()) : text)
            return negative ? .zero - value : value
        } catch {
            throw UsageError("\(option) \(text): \(error.message)")
        }
    }
}

/// The emulator could not listen: the address is in use, the host does not resolve, or
/// the system refused the socket.
struct EmulatorStartError: SecretsmithError {
    var host: String
    var port: Int
    var underlying: any Error

    private var detail: String { String(describing: underlying) }

    var kind: FailureKind { detail.contains("UnknownHost") ? .usage : .unavailable }

    var description: String {
        if detail.contains("UnknownHost") {
            return "the emulator cannot listen on \(host): the host name does not resolve"
        }
        if detail.contains("already in use") || detail.contains("EADDRINUSE") || detail.contains("errno: 98") {
            return "the emulator cannot listen on \(host):\(port): the address is already in use (try --port 0)"
        }
        return "the emulator cannot listen on \(host):\(port): \(detail)"
    }
}
