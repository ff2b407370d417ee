#if canImport(Glibc)
import Glibc
#endif
import Foundation
import NIOSSL
import YAML

extension ConfigurationDecoder {
    /// `tls.ca_file`: a path (relative to the configuration file) to a readable PEM file
    /// holding at least one certificate, checked when the configuration is loaded.
    func certificateFile(_ node: YAMLNode, at path: ConfigPath) throws(ConfigurationError) -> String {
        let file = try self.path(node, at: path)
        if let problem = TLSTrust.problem(readingCertificates: file, everyCertificate: true) {
            throw failure(
                "the CA file \(file) \(problem)", at: node, path: path,
                hint: "Name a PEM file of CA certificates, such as the one "
                    + "`secretsmith emulator --tls --cert-out PATH` writes.")
        }
        return file
    }

    /// `SSL_CERT_FILE` when the trust roots come from it (it is set and no `tls.ca_file`
    /// is): a readable PEM file of certificates, else an error naming the variable.
    func checkCertificateFileVariable(global: LayerSettings, environments: [EnvironmentConfiguration])
        -> ConfigurationError?
    {
        guard global.tlsCAFile == nil, environments.allSatisfy({ $0.settings.tlsCAFile == nil }),
            let file = environment[TLSTrust.certificateFileVariable], !file.isEmpty,
            let problem = TLSTrust.problem(readingCertificates: file, everyCertificate: false)
        else { return nil }
        return ConfigurationError(
            message: "\(TLSTrust.certificateFileVariable) names \(file), which \(problem)",
            hint: "Point \(TLSTrust.certificateFileVariable) at a PEM bundle of CA certificates, or unset it "
                + "to trust the system's roots.")
    }
}

/// Which certificate authorities secretsmith's HTTPS connections trust, from the
/// configuration (`tls: { ca_file: PATH }`), the `SSL_CERT_FILE` convention and the
/// system's roots. There is no setting that turns verification off.
///
/// NIOSSL (the TLS library of AsyncHTTPClient) reads the system bundle from its known
/// locations (such as `/etc/ssl/certs/ca-certificates.crt`) and ignores `SSL_CERT_FILE`,
/// so the variable is read here.
public struct TLSTrust: Sendable, Hashable {
    /// The variable OpenSSL-based tools read for their CA bundle.
    public static let certificateFileVariable = "SSL_CERT_FILE"

    /// PEM files of CA certificates trusted in addition to ``baseBundle`` or the system's roots.
    public var additionalCAFiles: [String]
    /// A PEM bundle trusted *instead of* the system's roots (`SSL_CERT_FILE`), or `nil`.
    public var baseBundle: String?

    public init(additionalCAFiles: [String] = [], baseBundle: String? = nil) {
        self.additionalCAFiles = additionalCAFiles
        self.baseBundle = baseBundle
    }

    /// The trust of one configuration: every `tls.ca_file` of `defaults` and of the
    /// environments is added to the system's roots (one HTTP client serves them all);
    /// when none is set, a non-empty `SSL_CERT_FILE` replaces the system's roots, as it
    /// does for OpenSSL-based tools (curl, Python's `ssl` module); else the system's roots alone.
    ///
    /// - Parameter processEnvironment: where `SSL_CERT_FILE` is read.
    public static func of(_ configuration: Configuration, processEnvironment: [String: String]) -> TLSTrust {
        var files: [String] = []
        for file in [configuration.global.tlsCAFile] + configuration.environments.map(\.settings.tlsCAFile) {
            if let file, !files.contains(file) { files.append(file) }
        }
        if files.isEmpty, let bundle = processEnvironment[certificateFileVariable], !bundle.isEmpty {
            return TLSTrust(baseBundle: bundle)
        }
        return TLSTrust(additionalCAFiles: files)
    }

    /// AsyncHTTPClient's client TLS configuration: certificate and host name verification
    /// always on; the trust roots as described by this value. ALPN (h2, http/1.1) is
    /// added by AsyncHTTPClient.
    public var configuration: TLSConfiguration {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.certificateVerification = .fullVerification
        if let baseBundle {
            tls.trustRoots = .file(baseBundle)
        } else if let directory = Self.systemRootDirectory {
            tls.trustRoots = .file(directory)
        }
        tls.additionalTrustRoots = additionalCAFiles.map { .file($0) }
        return tls
    }

    /// The system's roots as a hashed directory (`/etc/ssl/certs` on Debian, Ubuntu and
    /// Alpine: one `HASH.N` link per certificate, as `update-ca-certificates` and
    /// `openssl rehash` make them), when it holds at least as many certificates as the
    /// system bundle beside it; `nil` elsewhere (the system's default roots are used).
    ///
    /// From a directory the TLS library looks up only the issuer a server's chain needs,
    /// when it needs it; the default reads and parses the whole bundle (some 150
    /// certificates, about 200 KiB) before every process's first connection.
    static let systemRootDirectory: String? = hashedRootDirectory(
        "/etc/ssl/certs", bundle: "/etc/ssl/certs/ca-certificates.crt")

    /// `directory` if it holds at least one `HASH.N` entry (8 hexadecimal digits, a dot, a
    /// number) per certificate of `bundle`, else `nil` (also when either cannot be read,
    /// or off Linux, where the platform's own trust store is used).
    static func hashedRootDirectory(_ directory: String, bundle: String) -> String? {
        #if os(Linux)
        guard case .success(let bytes) = FileSystemCalls.readRegularFile(bundle, limit: maxBundleBytes),
            let entries = FileSystemCalls.directoryEntries(directory)
        else { return nil }
        let marker = Array("-----BEGIN CERTIFICATE-----".utf8)
        var certificates = 0
        bytes.withUnsafeBytes { text in
            guard let base = text.baseAddress else { return }
            var index = 0
            while index + marker.count <= text.count,
                let found = memchr(base + index, Int32(marker[0]), text.count - index)
            {
                let offset = base.distance(to: UnsafeRawPointer(found))
                if offset + marker.count <= text.count, memcmp(base + offset, marker, marker.count) == 0 {
                    certificates += 1
                    index = offset + marker.count
                } else {
                    index = offset + 1
                }
            }
        }
        let hashed = entries.count { name in
            let parts = name.utf8.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
            return parts.count == 2 && parts[0].count == 8 && !parts[1].isEmpty
                && parts[0].allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }
                && parts[1].allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
        }
        return certificates > 0 && hashed >= certificates ? directory : nil
        #else
        return nil
        #endif
    }

    /// Why `path` cannot serve as trusted certificates ("cannot be read: …", "holds no
    /// PEM certificate"), or `nil` when it can.
    ///
    /// - Parameter everyCertificate: whether every certificate of the file is parsed (a
    ///   `tls.ca_file`, a few certificates chosen by the user: a broken one is an error at
    ///   load, not a handshake failure later), or only the first (`SSL_CERT_FILE`, usually
    ///   the system bundle of some 150, which NIOSSL parses whole when it opens a TLS
    ///   connection; parsing it at every start cost a few milliseconds of CPU, and reading
    ///   it whole a few hundred microseconds).
    static func problem(readingCertificates path: String, everyCertificate: Bool) -> String? {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            return "is a directory"
        }
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return "cannot be read (\(String(cString: strerror(errno))))" }
        let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        if !everyCertificate { return problem(readingFirstCertificateOf: handle, descriptor: descriptor) }
        let bytes: [UInt8]
        do {
            bytes = Array(try handle.read(upToCount: maxBundleBytes + 1) ?? Data())
        } catch {
            return "cannot be read"
        }
        guard bytes.count <= maxBundleBytes else { return "is larger than \(maxBundleBytes / (1 << 20)) MiB" }
        guard firstPEMCertificate(in: bytes) != nil else { return "holds no PEM certificate" }
        guard let certificates = try? NIOSSLCertificate.fromPEMBytes(bytes) else {
            return "holds a PEM block that is not a valid certificate"
        }
        return certificates.isEmpty ? "holds no PEM certificate" : nil
    }

    /// The first-certificate check of ``problem(readingCertificates:everyCertificate:)``:
    /// the file is read in 16 KiB pieces only up to the end of its first certificate (a
    /// system bundle's first certificate lies in its first few KiB of some 200), its size
    /// taken from `fstat`.
    private static func problem(readingFirstCertificateOf handle: FileHandle, descriptor: Int32) -> String? {
        var status = stat()
        if fstat(descriptor, &status) == 0, Int(status.st_size) > maxBundleBytes {
            return "is larger than \(maxBundleBytes / (1 << 20)) MiB"
        }
        var bytes: [UInt8] = []
        while true {
            let piece: Data
            do {
                piece = try handle.read(upToCount: 16 << 10) ?? Data()
            } catch {
                return "cannot be read"
            }
            if piece.isEmpty { return "holds no PEM certificate" }
            bytes.append(contentsOf: piece)
            guard bytes.count <= maxBundleBytes else { return "is larger than \(maxBundleBytes / (1 << 20)) MiB" }
            if let first = firstPEMCertificate(in: bytes) {
                return (try? NIOSSLCertificate(bytes: first, format: .pem)) == nil ? "holds no PEM certificate" : nil
            }
        }
    }

    /// The first `-----BEGIN CERTIFICATE-----` … `-----END CERTIFICATE-----` block of a PEM
    /// file, markers included, or `nil` when there is none.
    /// Searched over the bytes directly (the generic `firstRange(of:)` cost more than the
    /// rest of the check).
    static func firstPEMCertificate(in bytes: [UInt8]) -> [UInt8]? {
        let beginMarker = Array("-----BEGIN CERTIFICATE-----".utf8)
        let endMarker = Array("-----END CERTIFICATE-----".utf8)
        return bytes.withUnsafeBufferPointer { buffer -> [UInt8]? in
            func find(_ marker: [UInt8], from: Int) -> Int? {
                guard buffer.count - from >= marker.count, let base = buffer.baseAddress else { return nil }
                var index = from
                let last = buffer.count - marker.count
                while index <= last {
                    guard let candidate = buffer[index...last].firstIndex(of: marker[0]) else { return nil }
                    if memcmp(base + candidate, marker, marker.count) == 0 { return candidate }
                    index = candidate + 1
                }
                return nil
            }
            guard let begin = find(beginMarker, from: 0), let end = find(endMarker, from: begin) else { return nil }
            return Array(buffer[begin..<(end + endMarker.count)])
        }
    }

    /// The largest CA file read (a system bundle is about 200 KiB).
    static let maxBundleBytes = 16 << 20
}
