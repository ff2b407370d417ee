import AsyncHTTPClient
import Foundation
import NIOPosix
import SecretManagerEmulator
import SecretsmithTestSupport
import Testing
import Tracing
@testable import Secretsmith

/// The manager over HTTPS: HTTP/2 by ALPN on one connection, the CA from `tls.ca_file`
/// or `SSL_CERT_FILE`, and a clean failure when the certificate is not trusted.
@Suite("Secret Manager over TLS and HTTP/2")
struct TLSManagerTests {
    static let count = 150

    /// `acme-app-dev` with secrets `s1` … `sN`.
    static let seed: EmulatorSeed = {
        EmulatorSeed(projects: [
            .init(
                id: "acme-app-dev", number: 424_242_424_242,
                secrets: (1...count).map { index in
                    .init(id: "s\(index)", versions: [.init(payload: Array("v\(index)-\(StandardSeed.sentinel)".utf8))])
                })
        ])
    }()

    static let processEnvironment = ["TLS_TEST_TOKEN": "test-token"]

    /// Runs `body` with a manager over `text` and the client secretsmith's CLI makes for it.
    ///
    /// - Parameter eventLoopGroup: the client's event loops (the most HTTP/2 connections it
    ///   opens to one host); the singleton group (one loop per core) when `nil`.
    static func withManager<Result>(
        _ text: String, processEnvironment: [String: String] = processEnvironment,
        eventLoopGroup: MultiThreadedEventLoopGroup? = nil,
        _ body: (MultiEnvironmentSecretManager) async throws -> Result
    ) async throws -> Result {
        let configuration = try Configuration.parse(
            Array(text.utf8), file: "t.yaml", environment: processEnvironment, directory: "/tmp")
        let client = HTTPClient(
            eventLoopGroup: eventLoopGroup ?? MultiThreadedEventLoopGroup.singleton,
            configuration: MultiEnvironmentSecretManager.recommendedHTTPClientConfiguration(
                for: configuration, processEnvironment: processEnvironment))
        let manager = MultiEnvironmentSecretManager(
            configuration: configuration, httpClient: client, processEnvironment: processEnvironment)
        return try await withCleanup(client, cleanup: { try? await $0.shutdown() }) { _ in try await body(manager) }
    }

    /// Reads `s1` … `sN` at once; returns the values in order.
    static func readAll(_ manager: MultiEnvironmentSecretManager, count: Int = count) async throws -> [String] {
        try await withThrowingTaskGroup(of: (Int, String).self) { group in
            for index in 1...count {
                group.addTask {
                    let value = try await manager.accessSecretVersion("dev/app/s\(index)")
                    return (index, String(decoding: value.bytes, as: UTF8.self))
                }
            }
            var values = [String](repeating: "", count: count)
            for try await (index, value) in group { values[index - 1] = value }
            return values
        }
    }

    @Test("a cold burst at concurrency 100 goes over one HTTP/2 connection, with the CA of tls.ca_file")
    func oneConnection() async throws {
        try await withTLSEmulator(seed: Self.seed, faults: FaultConfiguration(rules: [try FaultRule(parsing: "latency:20")])) {
            emulator in
            try await Self.withManager(emulator.configuration(extra: "  concurrency: 100")) { manager in
                let values = try await Self.readAll(manager)
                #expect(values == (1...Self.count).map { "v\($0)-\(StandardSeed.sentinel)" })
                #expect(manager.concurrencyLimits(ofEnvironment: "dev") == [100])
            }
            let stats = await emulator.emulator.stats()
            #expect(stats.count(.access) == Self.count)
            #expect(stats.httpVersions == ["2": Self.count])
            #expect(stats.connections == 1)
        }
    }

    @Test("with the built-in concurrency, an environment reading over HTTPS and plain HTTP has each transport's bound, whichever is read first")
    func boundPerTransport() async throws {
        try await withTLSEmulator(seed: Self.seed) { secure in
            try await withEmulator(seed: Self.seed) { plain in
                let text = secure.configuration()
                    + "\n      plain:\n        project_id: acme-app-dev\n        endpoint: http://\(plain.host)\n"
                    + "        allow_undeclared: true\n"
                for order in [["dev/plain/s1", "dev/app/s2"], ["dev/app/s2", "dev/plain/s1"]] {
                    try await Self.withManager(text) { manager in
                        for reference in order {
                            let value = try await manager.accessSecretVersion(reference)
                            #expect(String(decoding: value.bytes, as: UTF8.self).hasSuffix(StandardSeed.sentinel))
                        }
                        #expect(manager.concurrencyLimits(ofEnvironment: "dev") == [100, 200], "\(order)")
                    }
                }
                // A `concurrency:` that is set is one bound for both.
                try await Self.withManager(text.replacingOccurrences(of: "defaults:\n", with: "defaults:\n  concurrency: 7\n")) {
                    manager in
                    _ = try await manager.accessSecretVersion("dev/plain/s1")
                    _ = try await manager.accessSecretVersion("dev/app/s2")
                    #expect(manager.concurrencyLimits(ofEnvironment: "dev") == [7])
                }
            }
        }
    }

    @Test("more calls in flight than one connection's streams (default concurrency) go over a second HTTP/2 connection")
    func secondConnection() async throws {
        // A latency far above the time the calls take to start, so all of them are in
        // flight at once (the emulator announces 100 streams per connection).
        let latency = try FaultRule(parsing: "latency:1000")
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        try await withTLSEmulator(seed: Self.seed, faults: FaultConfiguration(rules: [latency])) { emulator in
            // The built-in default over HTTPS: 200 calls in flight, two connections' streams.
            try await Self.withManager(emulator.configuration(), eventLoopGroup: group) { manager in
                let values = try await Self.readAll(manager)
                #expect(values == (1...Self.count).map { "v\($0)-\(StandardSeed.sentinel)" })
                #expect(manager.concurrencyLimits(ofEnvironment: "dev") == [200])
            }
            let stats = await emulator.emulator.stats()
            #expect(stats.count(.access) == Self.count)
            #expect(stats.httpVersions == ["2": Self.count])
            #expect(stats.connections == 2)
        }
        try await group.shutdownGracefully()
    }

    @Test("a few calls keep one HTTP/2 connection however many event loops and concurrency allow")
    func fewCallsOneConnection() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        try await withTLSEmulator(seed: Self.seed) { emulator in
            try await Self.withManager(
                emulator.configuration(extra: "  concurrency: 200"), eventLoopGroup: group
            ) { manager in
                let values = try await Self.readAll(manager, count: 10)
                #expect(values == (1...10).map { "v\($0)-\(StandardSeed.sentinel)" })
            }
            let stats = await emulator.emulator.stats()
            #expect(stats.httpVersions == ["2": 10])
            #expect(stats.connections == 1)
        }
        try await group.shutdownGracefully()
    }

    @Test("with a tracer, an HTTPS request's span is a child of the caller's and carries its traceparent")
    func tracedRequestsCarryTheContext() async throws {
        try await withTLSEmulator(seed: Self.seed) { emulator in
            let configuration = try Configuration.parse(
                Array(emulator.configuration().utf8), file: "t.yaml", environment: Self.processEnvironment,
                directory: "/tmp")
            let recorder = SpanRecorder()
            let tracer = W3CTracer(recorder: recorder)
            var clientConfiguration = MultiEnvironmentSecretManager.recommendedHTTPClientConfiguration(
                for: configuration, processEnvironment: Self.processEnvironment)
            clientConfiguration.tracing.tracer = tracer
            let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: clientConfiguration)
            let manager = MultiEnvironmentSecretManager(
                configuration: configuration, httpClient: client, processEnvironment: Self.processEnvironment)
            try await withCleanup(client, cleanup: { try? await $0.shutdown() }) { _ in
                try await withTracer(tracer) {
                    try await withSpan("caller") { _ in
                        _ = try await manager.accessSecretVersion("dev/app/s1")
                    }
                }
            }
            let spans = recorder.finishedSpans
            let caller = try #require(spans.first { $0.name == "caller" })
            let request = try #require(spans.first { $0.name == "GET" })
            #expect(request.traceID == caller.traceID)
            #expect(await emulator.emulator.stats().traceparents == ["00-\(request.traceID)-\(request.spanID)-01"])
        }
    }

    @Test("SSL_CERT_FILE serves as the trust roots when no ca_file is set")
    func certificateFileVariable() async throws {
        try await withTLSEmulator(seed: Self.seed) { emulator in
            var environment = Self.processEnvironment
            environment["SSL_CERT_FILE"] = emulator.caFile
            try await Self.withManager(emulator.configuration(trust: false), processEnvironment: environment) { manager in
                let value = try await manager.accessSecretVersion("dev/app/s1")
                #expect(String(decoding: value.bytes, as: UTF8.self) == "v1-\(StandardSeed.sentinel)")
            }
            #expect(await emulator.emulator.stats().httpVersions == ["2": 1])
        }
    }

    @Test("an untrusted certificate fails at once, without a retry, with a message naming the endpoint, and no value")
    func untrusted() async throws {
        try await withTLSEmulator(seed: Self.seed) { emulator in
            let started = ContinuousClock.now
            let (error, stats) = try await Self.withManager(emulator.configuration(trust: false)) { manager in
                let failure = try #require(await #expect(throws: SecretManagerError.self) {
                    _ = try await manager.accessSecretVersion("dev/app/s1")
                })
                return (failure, await manager.stats())
            }
            // The same certificate comes back on every attempt: one call, no retry.
            #expect(stats.upstreamCalls == 1)
            #expect(stats.retries == 0)
            #expect(!error.isRetryable)
            // Generous: a hang would take the timeout (10 s).
            #expect(ContinuousClock.now - started < .seconds(8))
            #expect(error.kind == .unavailable)
            #expect(error.description.contains("127.0.0.1:\(emulator.port)"))
            #expect(error.description.contains("not trusted"))
            #expect(error.description.contains("ca_file"))
            // BoringSSL's reason code, without its error numbers and the build's source paths.
            #expect(error.description.contains("(CERTIFICATE_VERIFY_FAILED)"), "\(error.description)")
            #expect(!error.description.contains(".cc:") && !error.description.contains("/.build/"), "\(error.description)")
            #expect(!error.description.contains(StandardSeed.sentinel))
            #expect(await emulator.emulator.stats().requests == 0)
        }
    }
}
