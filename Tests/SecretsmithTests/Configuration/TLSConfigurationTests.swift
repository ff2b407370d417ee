import Foundation
import NIOSSL
import SecretManagerEmulator
import Testing
@testable import Secretsmith

/// `tls: { ca_file: PATH }` at `defaults` and environments, and `SSL_CERT_FILE`.
@Suite("TLS trust settings")
struct TLSConfigurationTests {
    /// A directory with `ca.pem` (a certificate), `other.pem` (another one), `bad.pem`
    /// (not PEM) and `secretsmith.yaml` written from `text`; returns the directory.
    static func workspace(_ text: String) throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tls-config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try EmulatorTLS.selfSigned().certificatePEM.write(
            to: directory.appendingPathComponent("ca.pem"), atomically: true, encoding: .utf8)
        try EmulatorTLS.selfSigned().certificatePEM.write(
            to: directory.appendingPathComponent("other.pem"), atomically: true, encoding: .utf8)
        try "not a certificate\n".write(to: directory.appendingPathComponent("bad.pem"), atomically: true, encoding: .utf8)
        try text.write(to: directory.appendingPathComponent("secretsmith.yaml"), atomically: true, encoding: .utf8)
        return directory.path
    }

    static func load(_ directory: String, environment: [String: String] = [:]) throws(ConfigurationError) -> Configuration {
        try Configuration.load(path: directory + "/secretsmith.yaml", environment: environment)
    }

    @Test("ca_file resolves against the configuration's directory, layers like endpoint and shows its origin")
    func layered() throws {
        let directory = try Self.workspace("""
            version: 1
            defaults:
              tls: { ca_file: ca.pem }
            environments:
              dev:
                projects: { app: { project_id: acme-app-dev, allow_undeclared: true } }
              staging:
                tls:
                  ca_file: ./other.pem
                projects: { app: { project_id: acme-app-dev, allow_undeclared: true } }
            """)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let configuration = try Self.load(directory)
        #expect(configuration.global.tlsCAFile == directory + "/ca.pem")
        let dev = try configuration.resolve(SecretReference.parse("dev/app/s"), activeEnvironment: nil)
        #expect(dev.settings.tlsCAFile == directory + "/ca.pem")
        #expect(dev.origins["tls.ca_file"] == .global)
        let staging = try configuration.resolve(SecretReference.parse("staging/app/s"), activeEnvironment: nil)
        #expect(staging.settings.tlsCAFile == directory + "/other.pem")
        #expect(staging.origins["tls.ca_file"] == .environment)

        // One client serves every environment: both files are added to the system's roots.
        let trust = TLSTrust.of(configuration, processEnvironment: ["SSL_CERT_FILE": "/elsewhere.pem"])
        #expect(trust.additionalCAFiles == [directory + "/ca.pem", directory + "/other.pem"])
        #expect(trust.baseBundle == nil)
        let tls = trust.configuration
        #expect(tls.certificateVerification == .fullVerification)
        #expect(tls.trustRoots == TLSTrust.systemRootDirectory.map { .file($0) } ?? .default)
        #expect(tls.additionalTrustRoots == [.file(directory + "/ca.pem"), .file(directory + "/other.pem")])

        let explanation = try Explanation.make(
            reference: "staging/app/s", configuration: configuration,
            context: .init(
                activeEnvironment: nil, activeEnvironmentLayer: .builtIn, processEnvironment: [:],
                commandLineDeadline: nil))
        #expect(explanation.row("tls.ca_file")?.value == directory + "/other.pem (added to the system's roots)")
        #expect(explanation.row("tls.ca_file")?.layer == SettingLayer.environment.description)
    }

    @Test("without ca_file, SSL_CERT_FILE replaces the system's roots; without either, the system's roots")
    func certificateFileVariable() throws {
        let directory = try Self.workspace("""
            version: 1
            environments:
              dev:
                projects: { app: { project_id: acme-app-dev, allow_undeclared: true } }
            """)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let bundle = directory + "/ca.pem"
        let configuration = try Self.load(directory, environment: ["SSL_CERT_FILE": bundle])
        let trust = TLSTrust.of(configuration, processEnvironment: ["SSL_CERT_FILE": bundle])
        #expect(trust == TLSTrust(baseBundle: bundle))
        #expect(trust.configuration.trustRoots == .file(bundle))
        #expect(trust.configuration.additionalTrustRoots.isEmpty)
        #expect(TLSTrust.of(configuration, processEnvironment: ["SSL_CERT_FILE": ""]) == TLSTrust())
        #expect(TLSTrust.of(configuration, processEnvironment: [:]) == TLSTrust())

        let explanation = try Explanation.make(
            reference: "dev/app/s", configuration: configuration,
            context: .init(
                activeEnvironment: nil, activeEnvironmentLayer: .builtIn,
                processEnvironment: ["SSL_CERT_FILE": bundle], commandLineDeadline: nil))
        #expect(explanation.row("tls.ca_file")?.value.contains("SSL_CERT_FILE \(bundle) replaces the system's roots") == true)

        // An SSL_CERT_FILE that is not a PEM bundle is a configuration error naming the variable.
        let error = try #require(#expect(throws: ConfigurationError.self) {
            _ = try Self.load(directory, environment: ["SSL_CERT_FILE": directory + "/bad.pem"])
        })
        #expect(error.description.contains("SSL_CERT_FILE names \(directory)/bad.pem, which holds no PEM certificate"))
        #expect(error.kind == .configuration)
        #expect(throws: ConfigurationError.self) {
            _ = try Self.load(directory, environment: ["SSL_CERT_FILE": directory + "/missing.pem"])
        }
    }

    @Test("the system's roots are read from their hashed directory only when it has a HASH.N entry per certificate of the bundle")
    func hashedSystemRootDirectory() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("roots-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let certificate = try EmulatorTLS.selfSigned().certificatePEM
        try Data((certificate + certificate).utf8).write(to: URL(fileURLWithPath: directory + "/bundle.crt"))
        try Data(certificate.utf8).write(to: URL(fileURLWithPath: directory + "/0a1b2c3d.0"))
        try Data(certificate.utf8).write(to: URL(fileURLWithPath: directory + "/emulator.pem"))
        try Data(certificate.utf8).write(to: URL(fileURLWithPath: directory + "/0A1B2C3D.1"))  // not a hash name
        // One hash entry for a bundle of two certificates: the bundle is read whole.
        #expect(TLSTrust.hashedRootDirectory(directory, bundle: directory + "/bundle.crt") == nil)
        try Data(certificate.utf8).write(to: URL(fileURLWithPath: directory + "/0a1b2c3d.1"))
        #expect(TLSTrust.hashedRootDirectory(directory, bundle: directory + "/bundle.crt") == directory)
        #expect(TLSTrust.hashedRootDirectory(directory, bundle: directory + "/missing.crt") == nil)
        #expect(TLSTrust.hashedRootDirectory(directory + "/missing", bundle: directory + "/bundle.crt") == nil)
        // With SSL_CERT_FILE the bundle it names replaces the system's roots, directory or not.
        #expect(TLSTrust(baseBundle: "/b.pem").configuration.trustRoots == .file("/b.pem"))
    }

    @Test("SSL_CERT_FILE is checked by its first certificate, a tls.ca_file by every one: a broken second certificate is refused at load")
    func firstCertificateChecked() throws {
        let first = try EmulatorTLS.selfSigned().certificatePEM
        let second = try EmulatorTLS.selfSigned().certificatePEM
        let bundle = Array(("# a bundle\n" + first + second).utf8)
        let block = try #require(TLSTrust.firstPEMCertificate(in: bundle))
        #expect(String(decoding: block, as: UTF8.self) == first.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(TLSTrust.firstPEMCertificate(in: Array("not a certificate\n".utf8)) == nil)

        let directory = try Self.workspace("version: 1\nenvironments: {}\n")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try (first + second).write(toFile: directory + "/bundle.pem", atomically: true, encoding: .utf8)
        for every in [false, true] {
            #expect(TLSTrust.problem(readingCertificates: directory + "/bundle.pem", everyCertificate: every) == nil)
        }
        let fake = "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n"
        try fake.write(toFile: directory + "/fake.pem", atomically: true, encoding: .utf8)
        #expect(TLSTrust.problem(readingCertificates: directory + "/fake.pem", everyCertificate: false) == "holds no PEM certificate")
        // A good first certificate and a broken second one: the first-only check passes it,
        // the whole-file check (tls.ca_file) refuses it, and so does loading the configuration.
        try (first + fake).write(toFile: directory + "/broken.pem", atomically: true, encoding: .utf8)
        #expect(TLSTrust.problem(readingCertificates: directory + "/broken.pem", everyCertificate: false) == nil)
        #expect(
            TLSTrust.problem(readingCertificates: directory + "/broken.pem", everyCertificate: true)
                == "holds a PEM block that is not a valid certificate")
        // The first-only check reads on until the first certificate ends, also when it starts
        // or ends past the first piece read, and stops at the end of the file.
        for preamble in [16_384 - 100, 65_536 - 100, 200_000] {
            let comment = String(repeating: "# a comment line of the bundle's preamble\n", count: preamble / 42 + 1)
            try (comment + first).write(toFile: directory + "/late.pem", atomically: true, encoding: .utf8)
            #expect(TLSTrust.problem(readingCertificates: directory + "/late.pem", everyCertificate: false) == nil)
            try (comment + fake).write(toFile: directory + "/late-fake.pem", atomically: true, encoding: .utf8)
            #expect(
                TLSTrust.problem(readingCertificates: directory + "/late-fake.pem", everyCertificate: false)
                    == "holds no PEM certificate")
            try comment.write(toFile: directory + "/comments.pem", atomically: true, encoding: .utf8)
            #expect(
                TLSTrust.problem(readingCertificates: directory + "/comments.pem", everyCertificate: false)
                    == "holds no PEM certificate")
        }
        try "version: 1\ndefaults:\n  tls: { ca_file: broken.pem }\nenvironments: {}\n"
            .write(toFile: directory + "/secretsmith.yaml", atomically: true, encoding: .utf8)
        let error = try #require(#expect(throws: ConfigurationError.self) { _ = try Self.load(directory) })
        #expect(error.message.contains("broken.pem holds a PEM block that is not a valid certificate"), "\(error.message)")
    }

    @Test("an unreadable or non-PEM ca_file, an unknown key under tls, and tls in a project are located errors")
    func errors() throws {
        let directory = try Self.workspace("version: 1\nenvironments: {}\n")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        func error(_ text: String) throws -> ConfigurationError {
            try text.write(toFile: directory + "/secretsmith.yaml", atomically: true, encoding: .utf8)
            return try #require(#expect(throws: ConfigurationError.self) { _ = try Self.load(directory) })
        }

        let missing = try error("version: 1\ndefaults:\n  tls:\n    ca_file: missing.pem\nenvironments: {}\n")
        #expect(missing.mark?.line == 4)
        #expect(missing.mark?.column == 14)
        #expect(missing.keyPath == "defaults.tls.ca_file")
        #expect(missing.message.contains("the CA file \(directory)/missing.pem cannot be read"))
        #expect(missing.kind == .configuration)

        let notPEM = try error("version: 1\nenvironments:\n  dev:\n    tls: { ca_file: bad.pem }\n")
        #expect(notPEM.mark?.line == 4)
        #expect(notPEM.keyPath == "environments.dev.tls.ca_file")
        #expect(notPEM.message.contains("holds no PEM certificate"))

        let directoryAsFile = try error("version: 1\ndefaults:\n  tls: { ca_file: . }\nenvironments: {}\n")
        #expect(directoryAsFile.message.contains("is a directory"))

        let unknown = try error("version: 1\ndefaults:\n  tls:\n    ca_fil: ca.pem\nenvironments: {}\n")
        #expect(unknown.mark?.line == 4)
        #expect(unknown.mark?.column == 5)
        #expect(unknown.hint == "Did you mean \"ca_file\"?")

        let insecure = try error("version: 1\ndefaults:\n  tls: { insecure: true }\nenvironments: {}\n")
        #expect(insecure.keyPath == "defaults.tls.insecure")

        let inProject = try error("""
            version: 1
            environments:
              dev:
                projects:
                  app:
                    project_id: acme-app-dev
                    tls: { ca_file: ca.pem }
            """)
        #expect(inProject.mark?.line == 7)
        #expect(inProject.message.contains("tls") || inProject.description.contains("tls"))
    }
}
