import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdHTTP2
import HummingbirdTLS
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import Secretsmith
import ServiceLifecycle
import Synchronization
import UnixSignals
import X509

/// The TLS certificate and key of `serve.tls`, read from their files and replaced on
/// ``reload()`` (SIGHUP) without restarting the listener.
///
/// NIOSSL fixes a server's `TLSConfiguration` when the listener starts; what it offers for
/// changing certificates later is `sslContextCallback`, asked once per TLS ClientHello for
/// overrides. Every handshake therefore takes the chain and key held here at that moment:
/// connections opened after a reload use the new certificate, connections already open keep
/// the old one.
package final class TLSCertificateStore: Sendable {
    package let tls: ServeConfiguration.TLS
    private let current: Mutex<(chain: [NIOSSLCertificate], key: NIOSSLPrivateKey)>

    /// Reads the files.
    ///
    /// - Throws: ``ServeStartError`` naming the file that cannot be read or parsed.
    package init(_ tls: ServeConfiguration.TLS) throws {
        self.tls = tls
        current = Mutex(try Self.read(tls))
    }

    /// Reads the files again; on failure keeps the certificate in use.
    ///
    /// - Throws: ``ServeStartError`` naming the file (the old certificate stays in use).
    package func reload() throws {
        let loaded = try Self.read(tls)
        current.withLock { $0 = loaded }
    }

    /// The server's TLS configuration (TLS 1.2 or later) whose handshakes take the current
    /// certificate and key.
    package func configuration() -> TLSConfiguration {
        let (chain, key) = current.withLock { $0 }
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        configuration.minimumTLSVersion = .tlsv12
        configuration.sslContextCallback = { [self] _, promise in
            let (chain, key) = current.withLock { $0 }
            var override = NIOSSLContextConfigurationOverride()
            override.certificateChain = chain.map { .certificate($0) }
            override.privateKey = .privateKey(key)
            promise.succeed(override)
        }
        return configuration
    }

    private static func read(_ tls: ServeConfiguration.TLS) throws -> (chain: [NIOSSLCertificate], key: NIOSSLPrivateKey) {
        let chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMFile(tls.certificateFile)
        } catch {
            throw ServeStartError(message: "the TLS certificate file \(tls.certificateFile) cannot be read as PEM certificates")
        }
        guard !chain.isEmpty else {
            throw ServeStartError(message: "the TLS certificate file \(tls.certificateFile) holds no certificate")
        }
        // Read once: the key in use and the key checked are the same bytes.
        let pem: String
        let key: NIOSSLPrivateKey
        do {
            pem = try String(contentsOfFile: tls.privateKeyFile, encoding: .utf8)
            key = try NIOSSLPrivateKey(bytes: Array(pem.utf8), format: .pem)
        } catch {
            throw ServeStartError(message: "the TLS private key file \(tls.privateKeyFile) cannot be read as a PEM private key")
        }
        try checkKeyMatches(chain[0], key: key, pem: pem, keyFile: tls.privateKeyFile, certificateFile: tls.certificateFile)
        return (chain, key)
    }

    /// Checks that the private key is the one of the certificate (the first of the chain),
    /// by comparing their public keys: a mismatched pair would fail every TLS handshake.
    ///
    /// - Throws: ``ServeStartError`` naming both files when the keys differ.
    private static func checkKeyMatches(
        _ certificate: NIOSSLCertificate, key: NIOSSLPrivateKey, pem: String, keyFile: String, certificateFile: String
    ) throws {
        let mismatch = ServeStartError(
            message: "the TLS private key in \(keyFile) does not belong to the certificate in \(certificateFile) "
                + "(their public keys differ)")
        // A key type swift-certificates does not parse is left to NIOSSL's own check (a TLS
        // context refuses a key that does not match its certificate).
        guard let privateKey = try? Certificate.PrivateKey(pemEncoded: pem),
            let spki = try? certificate.extractPublicKey().toSPKIBytes(),
            let publicKey = try? Certificate.PublicKey(derEncoded: spki)
        else {
            let configuration = TLSConfiguration.makeServerConfiguration(
                certificateChain: [.certificate(certificate)], privateKey: .privateKey(key))
            if (try? NIOSSLContext(configuration: configuration)) == nil { throw mismatch }
            return
        }
        guard publicKey == privateKey.publicKey else { throw mismatch }
    }
}

/// `secretsmith serve` could not start: the listen address, TLS files or the bind.
package struct ServeStartError: SecretsmithError {
    package var message: String
    package var kind: FailureKind = .configuration
    package var shortDescription: String { "SERVE_START" }
    package var underlyingError: (any Error)? { nil }
    package var description: String { ServeError.sentence(message) }

    package init(message: String, kind: FailureKind = .configuration) {
        self.message = message
        self.kind = kind
    }
}

extension SecretServer {
    /// Makes NIO's event loops (`MultiThreadedEventLoopGroup.singleton`, one thread per core,
    /// which the listener and the HTTP client use) Swift concurrency's global executor for
    /// the rest of the process, so that a request's handler runs on the event loop that read
    /// it instead of hopping to the default thread pool and back. Call once, before serving.
    ///
    /// - Returns: whether the executor was installed.
    @discardableResult
    package static func runTasksOnEventLoops() -> Bool {
        NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
    }

    /// The address to listen on: `override` (`--listen`), else `serve.listen`, else 127.0.0.1:8200.
    package func listenAddress(override: ServeConfiguration.ListenAddress?) -> ServeConfiguration.ListenAddress {
        override ?? serve.listen ?? ServeConfiguration.defaultListen
    }

    /// The Hummingbird application: HTTPS (HTTP/2 by ALPN, else HTTP/1.1) with `serve.tls`,
    /// else plain HTTP/1.1, which is refused on an address that is not loopback unless
    /// `serve.allow_insecure_http: true`.
    ///
    /// - Parameters:
    ///   - certificates: the TLS certificate store (``TLSCertificateStore``), when `serve.tls` is set.
    ///   - onListening: called with the bound port once the server listens.
    /// - Throws: ``ServeStartError`` for plain HTTP on a public address.
    package func makeApplication(
        listen: ServeConfiguration.ListenAddress, certificates: TLSCertificateStore?, serverLogger: Logger,
        onListening: @escaping @Sendable (Int) async -> Void = { _ in }
    ) throws -> some ApplicationProtocol {
        let server: HTTPServerBuilder
        if let certificates {
            server = try .http2Upgrade(tlsConfiguration: certificates.configuration())
        } else {
            guard listen.isLoopback || serve.allowInsecureHTTP else {
                throw ServeStartError(
                    message: "refusing to serve plain HTTP on \(listen), which is not a loopback address: "
                        + "configure serve.tls, listen on 127.0.0.1, or set serve.allow_insecure_http: true "
                        + "when a proxy or mesh in front terminates TLS")
            }
            server = .http1()
        }
        // Hummingbird gives every request a logger with its own id: set lazily (see
        // DeferredMetadataLogHandler), not rendered per request.
        var logger = serverLogger
        logger.handler = DeferredMetadataLogHandler(wrapping: serverLogger.handler)
        return Application(
            router: makeRouter(), server: server,
            configuration: ApplicationConfiguration(address: .hostname(listen.host, port: listen.port), serverName: nil),
            onServerRunning: { channel in await onListening(channel.localAddress?.port ?? listen.port) },
            logger: logger)
    }
}

/// Reloads on SIGHUP until a graceful shutdown: the TLS certificate and key, and whatever
/// else registers (the static tokens file).
package struct ReloadService: Service {
    package let certificates: TLSCertificateStore?
    package let others: [@Sendable () async -> Void]
    package let logger: Logger

    package init(certificates: TLSCertificateStore?, others: [@Sendable () async -> Void], logger: Logger) {
        self.certificates = certificates
        self.others = others
        self.logger = logger
    }

    package func run() async throws {
        for await _ in await UnixSignalsSequence(trapping: .sighup).cancelOnGracefulShutdown() {
            await reload()
        }
    }

    /// One reload: logs what was reloaded, or why the certificate stays.
    package func reload() async {
        if let certificates {
            do {
                try certificates.reload()
                logger.notice("reloaded the TLS certificate and key", metadata: ["file": "\(certificates.tls.certificateFile)"])
            } catch {
                logger.error("the TLS certificate was not reloaded; the previous one stays in use: \(error)")
            }
        }
        for other in others { await other() }
    }
}
