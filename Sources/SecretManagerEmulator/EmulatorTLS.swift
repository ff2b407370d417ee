import Crypto
import Foundation
import NIOSSL
import SwiftASN1
import X509

/// The certificate and private key an emulator serves HTTPS with (HTTP/2 by ALPN, else
/// HTTP/1.1): either a self-signed certificate made at start (``selfSigned(hosts:)``,
/// `secretsmith emulator --tls`) or PEM files (``load(certificateFile:privateKeyFile:)``,
/// `--cert`/`--key`).
///
/// Clients trust it by its certificate: ``certificatePEM`` is public (the CLI's
/// `--cert-out` writes it, and secretsmith's `tls: { ca_file: ... }` reads it). The
/// private key never leaves the process and is not part of ``description``.
public struct EmulatorTLS: Sendable, Equatable, CustomStringConvertible {
    /// The served certificate chain, leaf first, as PEM.
    public let certificatePEM: String
    /// The leaf's private key, as PEM (for the server, and tests that write it to a file).
    package let privateKeyPEM: String
    /// The host names and IP addresses the leaf certificate names (its subject
    /// alternative names), for messages; empty when loaded from files.
    public let subjectAlternativeNames: [String]

    /// The subject alternative names of every self-signed certificate: the loopback
    /// addresses and `localhost`.
    public static let loopbackNames = ["127.0.0.1", "::1", "localhost"]

    /// How long a self-signed certificate is valid: from an hour before it is made (clocks
    /// of clients may lag) to 30 days after.
    static let validity: (before: TimeInterval, after: TimeInterval) = (3600, 30 * 86400)

    /// Makes a self-signed certificate (ECDSA P-256, SHA-256) for the loopback addresses,
    /// `localhost` and `hosts` (IP addresses become IP subject alternative names, other
    /// names DNS names; the unspecified addresses `0.0.0.0` and `::` are skipped). It is its
    /// own issuer and marked as a CA, as `openssl req -x509` makes them, so a client can
    /// name it as the one root it trusts.
    ///
    /// - Parameter hosts: More names to certify, e.g. the `--host` the emulator listens on.
    /// - Throws: An X.509 encoding error (not expected).
    public static func selfSigned(hosts: [String] = []) throws -> EmulatorTLS {
        var names: [String] = []
        for name in loopbackNames + hosts where !names.contains(name) && name != "0.0.0.0" && name != "::" && !name.isEmpty {
            names.append(name)
        }
        let key = P256.Signing.PrivateKey()
        let subject = try DistinguishedName {
            OrganizationName("secretsmith")
            CommonName("secretsmith emulator")
        }
        let alternativeNames = SubjectAlternativeNames(names.map { name in
            if let address = ipAddressBytes(name) { return .ipAddress(ASN1OctetString(contentBytes: address[...])) }
            return .dnsName(name)
        })
        let extensions = try Certificate.Extensions {
            Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
            Critical(KeyUsage(digitalSignature: true, keyCertSign: true))
            try ExtendedKeyUsage([.serverAuth])
            alternativeNames
        }
        let now = Date()
        let certificate = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: .init(key.publicKey),
            notValidBefore: now - validity.before, notValidAfter: now + validity.after, issuer: subject,
            subject: subject, signatureAlgorithm: .ecdsaWithSHA256, extensions: extensions,
            issuerPrivateKey: .init(key))
        return EmulatorTLS(
            certificatePEM: try certificate.serializeAsPEM().pemString + "\n", privateKeyPEM: key.pemRepresentation,
            subjectAlternativeNames: names)
    }

    /// Reads a certificate chain and its private key from PEM files.
    ///
    /// - Throws: ``EmulatorTLSError`` naming the file that cannot be read, holds no PEM
    ///   certificate or no PEM private key.
    public static func load(certificateFile: String, privateKeyFile: String) throws -> EmulatorTLS {
        func read(_ path: String, what: String) throws -> String {
            guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8)
            else {
                throw EmulatorTLSError(message: "the \(what) file \(path) cannot be read")
            }
            return text
        }
        let certificates = try read(certificateFile, what: "certificate")
        let key = try read(privateKeyFile, what: "private key")
        guard let chain = try? NIOSSLCertificate.fromPEMBytes(Array(certificates.utf8)), !chain.isEmpty else {
            throw EmulatorTLSError(message: "the certificate file \(certificateFile) holds no PEM certificate")
        }
        guard (try? NIOSSLPrivateKey(bytes: Array(key.utf8), format: .pem)) != nil else {
            throw EmulatorTLSError(message: "the private key file \(privateKeyFile) holds no PEM private key")
        }
        return EmulatorTLS(certificatePEM: certificates, privateKeyPEM: key, subjectAlternativeNames: [])
    }

    /// The server's TLS configuration: TLS 1.2 or later with this chain and key (the
    /// HTTP/2 server adds the ALPN protocols `h2` and `http/1.1`).
    ///
    /// - Throws: ``EmulatorTLSError`` when the key does not belong to the certificate.
    func serverConfiguration() throws -> TLSConfiguration {
        let chain = try NIOSSLCertificate.fromPEMBytes(Array(certificatePEM.utf8))
        let key = try NIOSSLPrivateKey(bytes: Array(privateKeyPEM.utf8), format: .pem)
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        configuration.minimumTLSVersion = .tlsv12
        do {
            // NIOSSL checks that the key matches the certificate when it makes the context.
            _ = try NIOSSLContext(configuration: configuration)
        } catch {
            throw EmulatorTLSError(message: "the private key does not belong to the certificate (\(error))")
        }
        return configuration
    }

    public var description: String {
        subjectAlternativeNames.isEmpty
            ? "EmulatorTLS(certificate from a file)"
            : "EmulatorTLS(self-signed for \(subjectAlternativeNames.joined(separator: ", ")))"
    }

    /// The 4 or 16 bytes of an IPv4 or IPv6 address written as text, else `nil`.
    static func ipAddressBytes(_ text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            return withUnsafeBytes(of: &v4) { Array($0) }
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 {
            return withUnsafeBytes(of: &v6) { Array($0) }
        }
        return nil
    }
}

/// A certificate or key for ``EmulatorTLS`` that cannot be used.
public struct EmulatorTLSError: Error, CustomStringConvertible {
    /// What is wrong, naming the file (never a key's content).
    public var message: String
    public var description: String { message }
}
