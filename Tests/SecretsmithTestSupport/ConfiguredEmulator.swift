import AsyncHTTPClient
import Foundation
import NIOCore
import SecretManagerEmulator
import Secretsmith

/// The in-process emulator, a temporary directory with templates, the standard
/// configuration plus some outputs, and a manager over it: for check, lock and exec tests.
/// ``withConfiguredEmulator(outputs:templates:_:)`` stops the emulator and removes the
/// directory when the test body returns or throws.
package struct ConfiguredEmulator: Sendable {
    package let fixture: EmulatorFixture
    package let directory: URL
    package let configuration: Configuration
    package let manager: MultiEnvironmentSecretManager
    package let environment: [String: String]

    /// Starts the emulator and writes the files; the caller ends with ``shutdown()``.
    package static func start(outputs: String, templates: [String: String] = [:]) async throws -> ConfiguredEmulator {
        let fixture = try await EmulatorFixture.start()
        do {
            return try await configure(fixture: fixture, outputs: outputs, templates: templates)
        } catch {
            await fixture.shutdown()
            throw error
        }
    }

    private static func configure(
        fixture: EmulatorFixture, outputs: String, templates: [String: String]
    ) async throws -> ConfiguredEmulator {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("configured-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        for (name, text) in templates { try Data(text.utf8).write(to: directory.appendingPathComponent(name)) }
        let text = EmulatorFixture.standardConfiguration + "\noutputs:\n" + outputs
        let environment = ["SECRET_MANAGER_EMULATOR_HOST": fixture.host]
        let configuration = try Configuration.parse(
            Array(text.utf8), file: directory.appendingPathComponent("secretsmith.yaml").path,
            environment: environment, directory: directory.path)
        let manager = MultiEnvironmentSecretManager(
            configuration: configuration, httpClient: fixture.httpClient, processEnvironment: environment,
            clock: fixture.clock.clock)
        return ConfiguredEmulator(
            fixture: fixture, directory: directory, configuration: configuration, manager: manager,
            environment: environment)
    }

    package func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    /// Calls of one emulator method so far.
    package func calls(_ method: EmulatorMethod) async -> Int {
        await fixture.emulator.stats().count(method)
    }

    /// `POST …/secrets/S:addVersion`, as another deployer rotating a secret would.
    package func addVersion(project: String, secret: String, payload: String) async throws {
        try await post(
            "projects/\(project)/secrets/\(secret):addVersion",
            body: #"{"payload":{"data":"\#(Data(payload.utf8).base64EncodedString())"}}"#)
    }

    /// `POST …/versions/N:disable`.
    package func disable(project: String, secret: String, version: Int) async throws {
        try await post("projects/\(project)/secrets/\(secret)/versions/\(version):disable", body: "{}")
    }

    private func post(_ path: String, body: String) async throws {
        var request = HTTPClientRequest(url: "http://\(fixture.host)/v1/\(path)")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(string: body))
        let response = try await fixture.httpClient.execute(request, timeout: .seconds(10))
        _ = try await response.body.collect(upTo: 1 << 20)
        guard response.status == .ok else { throw PostFailed(status: Int(response.status.code)) }
    }

    package struct PostFailed: Error { package var status: Int }

    package func shutdown() async {
        await fixture.shutdown()
        try? FileManager.default.removeItem(at: directory)
    }
}

/// Runs `body` with ``ConfiguredEmulator/start(outputs:templates:)``'s setup, then stops the
/// emulator and removes the directory, also when `body` throws.
package func withConfiguredEmulator<Result>(
    outputs: String, templates: [String: String] = [:], _ body: (ConfiguredEmulator) async throws -> Result
) async throws -> Result {
    try await withCleanup(
        try await ConfiguredEmulator.start(outputs: outputs, templates: templates), cleanup: { await $0.shutdown() }, body)
}
