import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOSSL
import Secretsmith
import SecretsmithTestSupport
import ServiceLifecycle
import Testing

@testable import SecretsmithServer

/// HTTPS with `serve.tls`: HTTP/2 by ALPN, and a certificate replaced without a restart.
@Suite(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/openssl"), "openssl is needed to make test certificates"))
struct ServeTLSTests {
    /// A self-signed certificate for localhost and 127.0.0.1, written to `directory`.
    static func makeCertificate(named name: String, in directory: URL) throws -> (certificate: String, key: String) {
        let certificate = directory.appendingPathComponent("\(name).crt").path
        let key = directory.appendingPathComponent("\(name).key").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = [
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key,
            "-out", certificate, "-days", "1", "-subj", "/CN=\(name)", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        return (certificate, key)
    }

    /// Asks `/healthz` over a new connection trusting only `root`; returns the HTTP major
    /// version. A refused certificate fails only at the timeout (the client retries the
    /// connection until then).
    static func healthz(port: Int, trusting root: String, timeout: TimeAmount = .seconds(10)) async throws -> Int {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .file(root)
        var configuration = HTTPClient.Configuration(tlsConfiguration: tls)
        configuration.httpVersion = .automatic
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        do {
            let response = try await client.execute(HTTPClientRequest(url: "https://localhost:\(port)/healthz"), timeout: timeout)
            _ = try await response.body.collect(upTo: 1 << 16)
            try await client.shutdown()
            #expect(response.status == .ok)
            return response.version.major
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    @Test func servesHTTP2AndTakesANewCertificateOnReload() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("serve-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let first = try Self.makeCertificate(named: "first", in: directory)
        let second = try Self.makeCertificate(named: "second", in: directory)
        let live = (certificate: directory.appendingPathComponent("live.crt").path, key: directory.appendingPathComponent("live.key").path)
        try FileManager.default.copyItem(atPath: first.certificate, toPath: live.certificate)
        try FileManager.default.copyItem(atPath: first.key, toPath: live.key)

        let configuration = try Configuration.parse(
            Array("version: 1\nenvironments: {}\nserve:\n  listen: 0.0.0.0:0\n".utf8), file: "t.yaml", environment: [:],
            directory: "/tmp")
        let server = SecretServer(
            configuration: configuration, manager: MultiEnvironmentSecretManager(configuration: configuration),
            authenticators: [], registry: nil, auditLogger: Logger(label: "audit", factory: { _ in SwiftLogNoOpLogHandler() }))
        let certificates = try TLSCertificateStore(.init(certificateFile: live.certificate, privateKeyFile: live.key))
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        // With TLS, a non-loopback address is fine.
        let application = try server.makeApplication(
            listen: .init(host: "127.0.0.1", port: 0), certificates: certificates,
            serverLogger: Logger(label: "s", factory: { _ in SwiftLogNoOpLogHandler() })
        ) { continuation.yield($0) }
        let group = ServiceGroup(
            configuration: .init(services: [application], logger: Logger(label: "g", factory: { _ in SwiftLogNoOpLogHandler() })))
        let task = Task { try await group.run() }
        defer { task.cancel() }
        var iterator = ports.makeAsyncIterator()
        let port = try #require(await iterator.next())

        #expect(try await Self.healthz(port: port, trusting: first.certificate) == 2)
        await #expect(throws: (any Error).self) { _ = try await Self.healthz(port: port, trusting: second.certificate, timeout: .seconds(2)) }

        // Replace the files and reload (what SIGHUP does): new handshakes take the new certificate.
        try FileManager.default.removeItem(atPath: live.certificate)
        try FileManager.default.removeItem(atPath: live.key)
        try FileManager.default.copyItem(atPath: second.certificate, toPath: live.certificate)
        try FileManager.default.copyItem(atPath: second.key, toPath: live.key)
        await ReloadService(certificates: certificates, others: [], logger: Logger(label: "r")).reload()
        #expect(try await Self.healthz(port: port, trusting: second.certificate) == 2)
        await #expect(throws: (any Error).self) { _ = try await Self.healthz(port: port, trusting: first.certificate, timeout: .seconds(2)) }

        // A certificate replaced before its key (a rotation half done) is refused, and the
        // previous pair stays in use: handshakes still succeed with it.
        try FileManager.default.removeItem(atPath: live.certificate)
        try FileManager.default.copyItem(atPath: first.certificate, toPath: live.certificate)
        let mismatch = #expect(throws: ServeStartError.self) { try certificates.reload() }
        #expect(mismatch?.description.contains("does not belong to the certificate") == true)
        #expect(try await Self.healthz(port: port, trusting: second.certificate) == 2)

        // A file that cannot be read keeps the certificate in use.
        try "not a certificate".write(toFile: live.certificate, atomically: true, encoding: .utf8)
        #expect(throws: ServeStartError.self) { try certificates.reload() }
        #expect(try await Self.healthz(port: port, trusting: second.certificate) == 2)

        await group.triggerGracefulShutdown()
        _ = await task.result
    }

    @Test func aKeyThatDoesNotBelongToTheCertificateIsRefusedAtStartUp() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("serve-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let first = try Self.makeCertificate(named: "first", in: directory)
        let second = try Self.makeCertificate(named: "second", in: directory)
        _ = try TLSCertificateStore(.init(certificateFile: first.certificate, privateKeyFile: first.key))
        let error = #expect(throws: ServeStartError.self) {
            _ = try TLSCertificateStore(.init(certificateFile: second.certificate, privateKeyFile: first.key))
        }
        #expect(error?.kind == .configuration)
        #expect(error?.description.contains("The TLS private key in \(first.key) does not belong to the certificate in \(second.certificate)") == true)
    }

    @Test func plainHTTPIsRefusedOnAPublicAddressUnlessAllowed() throws {
        for (text, allowed) in [("allow_insecure_http: false", false), ("allow_insecure_http: true", true)] {
            let configuration = try Configuration.parse(
                Array("version: 1\nenvironments: {}\nserve:\n  \(text)\n".utf8), file: "t.yaml", environment: [:],
                directory: "/tmp")
            let server = SecretServer(
                configuration: configuration, manager: MultiEnvironmentSecretManager(configuration: configuration),
                authenticators: [], registry: nil, auditLogger: Logger(label: "audit"))
            let logger = Logger(label: "s")
            if allowed {
                _ = try server.makeApplication(listen: .init(host: "0.0.0.0", port: 0), certificates: nil, serverLogger: logger)
            } else {
                let error = #expect(throws: ServeStartError.self) {
                    _ = try server.makeApplication(listen: .init(host: "0.0.0.0", port: 0), certificates: nil, serverLogger: logger)
                }
                #expect(error?.description.contains("allow_insecure_http") == true)
                _ = try server.makeApplication(listen: .init(host: "127.0.0.1", port: 0), certificates: nil, serverLogger: logger)
            }
        }
    }
}
