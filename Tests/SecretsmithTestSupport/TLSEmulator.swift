import Foundation
import SecretManagerEmulator

/// An in-process emulator serving HTTPS (HTTP/2 by ALPN) with a self-signed certificate
/// made for the test, and that certificate written to a PEM file clients can trust
/// (`tls: { ca_file: ... }`, `SSL_CERT_FILE`). ``withTLSEmulator(seed:faults:_:)`` stops
/// it and removes the file's directory afterwards.
package struct TLSEmulator: Sendable {
    package let emulator: SecretManagerEmulator
    package let port: Int
    package let tls: EmulatorTLS
    /// A directory of the test's own: `ca.pem` (the served certificate) is in it.
    package let directory: URL

    /// The served certificate's PEM file.
    package var caFile: String { directory.appendingPathComponent("ca.pem").path }
    /// `https://127.0.0.1:PORT`.
    package var baseURL: String { "https://127.0.0.1:\(port)" }

    /// A configuration whose environment `dev` reads project `acme-app-dev` (alias `app`,
    /// undeclared secrets allowed) from this emulator over HTTPS with an access token from
    /// the variable `TLS_TEST_TOKEN` (the emulator without `--auth` takes any), trusting
    /// `caFile` unless `trust` is false.
    package func configuration(trust: Bool = true, extra: String = "") -> String {
        """
        version: 1
        defaults:
          endpoint: \(baseURL)
          credentials: { type: access_token_env, env: TLS_TEST_TOKEN }
          retry: { max_attempts: 2, initial_backoff: 10ms, max_backoff: 20ms }
        \(trust ? "  tls: { ca_file: \(caFile) }" : "")
        \(extra)
        environments:
          dev:
            projects:
              app:
                project_id: acme-app-dev
                allow_undeclared: true
        """
    }
}

/// Runs `body` with an HTTPS emulator (``TLSEmulator``) over `seed` and stops it afterwards,
/// also when `body` throws.
package func withTLSEmulator<Result>(
    seed: EmulatorSeed = StandardSeed.seed, faults: FaultConfiguration = .none,
    _ body: (TLSEmulator) async throws -> Result
) async throws -> Result {
    let tls = try EmulatorTLS.selfSigned()
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tls-emulator-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    try tls.certificatePEM.write(to: directory.appendingPathComponent("ca.pem"), atomically: true, encoding: .utf8)
    let emulator = SecretManagerEmulator(seed: seed, configuration: EmulatorConfiguration(faults: faults, tls: tls))
    let port: Int
    do {
        port = try await emulator.start()
    } catch {
        try? FileManager.default.removeItem(at: directory)
        throw error
    }
    return try await withCleanup(
        TLSEmulator(emulator: emulator, port: port, tls: tls, directory: directory),
        cleanup: {
            await $0.emulator.stop()
            try? FileManager.default.removeItem(at: $0.directory)
        }, body)
}
