import AsyncHTTPClient
import Foundation
import NIOCore
import NIOSSL
import SecretManagerEmulator
import SecretsmithTestSupport
import Testing

/// HTTPS: a self-signed certificate made at start or PEM files, HTTP/2 by ALPN, and the
/// connection and HTTP version counters.
@Suite struct TLSTests {
    /// A client trusting only `certificatePEM`.
    static func client(trusting certificatePEM: String) throws -> HTTPClient {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(certificatePEM.utf8)))
        var configuration = HTTPClient.Configuration(tlsConfiguration: tls)
        configuration.httpVersion = .automatic
        var pool = HTTPClient.Configuration.ConnectionPool()
        pool.retryConnectionEstablishment = false
        configuration.connectionPool = pool
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    /// `GET` of `url`: status, HTTP major version and body.
    static func get(_ url: String, with client: HTTPClient) async throws -> (status: Int, version: Int, body: String) {
        let response = try await client.execute(HTTPClientRequest(url: url), timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 1 << 20)
        return (Int(response.status.code), response.version.major, String(buffer: body))
    }

    /// The subject hash OpenSSL names a certificate by in a hashed directory
    /// (`openssl x509 -hash`), or nil without the `openssl` tool.
    static func subjectHash(of certificatePEM: String, in directory: String) throws -> String? {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/openssl") else { return nil }
        let file = directory + "/certificate.pem"
        try Data(certificatePEM.utf8).write(to: URL(fileURLWithPath: file))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = ["x509", "-hash", "-noout", "-in", file]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        process.waitUntilExit()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test func aClientTrustingAHashedDirectoryFindsTheIssuerInIt() async throws {
        // How secretsmith reads the system's roots where they are a hashed directory.
        try await withTLSEmulator { emulator in
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hashed-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: directory) }
            guard let hash = try Self.subjectHash(of: emulator.tls.certificatePEM, in: directory) else { return }
            func client() -> HTTPClient {
                var tls = TLSConfiguration.makeClientConfiguration()
                tls.trustRoots = .file(directory)
                var configuration = HTTPClient.Configuration(tlsConfiguration: tls)
                configuration.connectionPool.retryConnectionEstablishment = false
                return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
            }
            let url = "https://127.0.0.1:\(emulator.port)/v1/projects/acme-billing-dev/secrets/api-key/versions/1:access"
            // Not yet under its hash name: refused.
            try await withCleanup(client(), cleanup: { try? await $0.shutdown() }) { client in
                let refused = await #expect(throws: (any Error).self) { _ = try await Self.get(url, with: client) }
                _ = refused
            }
            try FileManager.default.moveItem(atPath: directory + "/certificate.pem", toPath: directory + "/\(hash).0")
            try await withCleanup(client(), cleanup: { try? await $0.shutdown() }) { client in
                let answer = try await Self.get(url, with: client)
                #expect(answer.status == 200)
            }
        }
    }

    @Test func selfSignedCertificateNamesTheLoopbackAddressesAndTheHost() throws {
        let tls = try EmulatorTLS.selfSigned(hosts: ["emulator.test", "0.0.0.0", "10.1.2.3"])
        #expect(tls.subjectAlternativeNames == ["127.0.0.1", "::1", "localhost", "emulator.test", "10.1.2.3"])
        let certificates = try NIOSSLCertificate.fromPEMBytes(Array(tls.certificatePEM.utf8))
        #expect(certificates.count == 1)
        // The private key is not in the description.
        #expect(!tls.description.contains("PRIVATE"))
        #expect(!tls.certificatePEM.contains("PRIVATE"))
    }

    @Test func servesHTTP2ByALPNAndOneConnectionCarriesConcurrentRequests() async throws {
        try await withTLSEmulator { emulator in
            #expect(await emulator.emulator.baseURL == "https://127.0.0.1:\(emulator.port)")
            let client = try Self.client(trusting: emulator.tls.certificatePEM)
            try await withCleanup(client, cleanup: { try? await $0.shutdown() }) { client in
                let path = "/v1/projects/acme-billing-dev/secrets/api-key/versions/1:access"
                // The first request opens the connection and learns HTTP/2 from ALPN.
                let first = try await Self.get("https://localhost:\(emulator.port)\(path)", with: client)
                #expect(first.status == 200)
                #expect(first.version == 2)
                try await withThrowingTaskGroup(of: Int.self) { group in
                    for _ in 0..<50 {
                        group.addTask { try await Self.get("https://localhost:\(emulator.port)\(path)", with: client).version }
                    }
                    for try await version in group { #expect(version == 2) }
                }
                let stats = await emulator.emulator.stats()
                #expect(stats.connections == 1)
                #expect(stats.httpVersions == ["2": 51])
                #expect(stats.count(.access) == 51)
            }
        }
    }

    @Test func plainHTTPCountsHTTP11AndItsConnections() async throws {
        try await EmulatorHarness.with { harness async throws in
            _ = try await harness.access("api-key", "1")
            _ = try await harness.access("api-key", "1")
            let stats = await harness.emulator.stats()
            #expect(stats.httpVersions == ["1.1": 2])
            #expect(stats.connections == 1)
            let admin = try JSONDecoder().decode(
                EmulatorStats.self, from: Data(try await harness.send("GET", "/_emulator/stats").body))
            #expect(admin.connections == 1)
            await harness.emulator.resetStats()
            #expect(await harness.emulator.stats().connections == 0)
        }
    }

    /// A key file's `token_uri` names the emulator as clients reach it: under TLS the
    /// assertion's audience is `https://HOST:PORT/token`, and the `http://` form is refused.
    @Test func theJWTBearerGrantOverTLSTakesTheHTTPSTokenURLAsAudience() async throws {
        let tls = try EmulatorTLS.selfSigned()
        let emulator = SecretManagerEmulator(
            seed: AuthHarness.seed, configuration: EmulatorConfiguration(requireAuthentication: true, tls: tls))
        let port = try await emulator.start()
        let client = try Self.client(trusting: tls.certificatePEM)
        try await withCleanup((emulator, client), cleanup: { try? await $0.1.shutdown(); await $0.0.stop() }) { _ async throws in
            func exchange(audience: String) async throws -> Int {
                let now = Int(Date().timeIntervalSince1970)
                let assertion = try AuthHarness.ci.signedJWT(claims: [
                    "iss": AuthHarness.ci.email, "scope": AuthHarness.scope, "aud": audience, "iat": now, "exp": now + 3600,
                ])
                var request = HTTPClientRequest(url: "https://127.0.0.1:\(port)/token")
                request.method = .POST
                request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
                request.body = .bytes(ByteBuffer(string: "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=\(assertion)"))
                let response = try await client.execute(request, timeout: .seconds(30))
                _ = try await response.body.collect(upTo: 1 << 20)
                return Int(response.status.code)
            }
            #expect(try await exchange(audience: "https://127.0.0.1:\(port)/token") == 200)
            #expect(try await exchange(audience: "http://127.0.0.1:\(port)/token") == 400)
            #expect(await emulator.stats().tokensIssued("jwt-bearer") == 1)
        }
    }

    @Test func aClientThatDoesNotTrustTheCertificateIsRefused() async throws {
        try await withTLSEmulator { emulator in
            let other = try EmulatorTLS.selfSigned()
            let client = try Self.client(trusting: other.certificatePEM)
            _ = try await withCleanup(client, cleanup: { try? await $0.shutdown() }) { client in
                await #expect(throws: (any Error).self) {
                    _ = try await Self.get("https://127.0.0.1:\(emulator.port)/_emulator/health", with: client)
                }
            }
            #expect(await emulator.emulator.stats().requests == 0)
        }
    }

    @Test func servesCertificateFilesAndRefusesUnusableOnes() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("emulator-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let made = try EmulatorTLS.selfSigned()
        let other = try EmulatorTLS.selfSigned()
        let certificate = directory.appendingPathComponent("cert.pem").path
        let key = directory.appendingPathComponent("key.pem").path
        let otherKey = directory.appendingPathComponent("other-key.pem").path
        try made.certificatePEM.write(toFile: certificate, atomically: true, encoding: .utf8)
        try made.privateKeyPEM.write(toFile: key, atomically: true, encoding: .utf8)
        try other.privateKeyPEM.write(toFile: otherKey, atomically: true, encoding: .utf8)

        let loaded = try EmulatorTLS.load(certificateFile: certificate, privateKeyFile: key)
        let emulator = SecretManagerEmulator(seed: StandardSeed.seed, configuration: EmulatorConfiguration(tls: loaded))
        let port = try await emulator.start()
        let client = try Self.client(trusting: made.certificatePEM)
        try await withCleanup(client, cleanup: { try? await $0.shutdown(); await emulator.stop() }) { client in
            let health = try await Self.get("https://127.0.0.1:\(port)/_emulator/health", with: client)
            #expect(health.status == 200)
            #expect(health.version == 2)
        }

        #expect(throws: EmulatorTLSError.self) {
            _ = try EmulatorTLS.load(certificateFile: directory.appendingPathComponent("missing.pem").path, privateKeyFile: key)
        }
        let notPEM = try #require(#expect(throws: EmulatorTLSError.self) {
            _ = try EmulatorTLS.load(certificateFile: key, privateKeyFile: key)
        })
        #expect(notPEM.message.contains("holds no PEM certificate"))
        // A key of another certificate: refused at start, before listening.
        let mismatched = try EmulatorTLS.load(certificateFile: certificate, privateKeyFile: otherKey)
        let refused = SecretManagerEmulator(configuration: EmulatorConfiguration(tls: mismatched))
        await #expect(throws: EmulatorTLSError.self) { _ = try await refused.start() }
        #expect(await refused.port == nil)
    }
}
