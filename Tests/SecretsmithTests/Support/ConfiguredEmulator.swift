import AsyncHTTPClient
import Foundation
import NIOCore
import SecretManagerEmulator
@testable import Secretsmith

/// The in-process emulator, a temporary directory with templates, the standard
/// configuration plus some outputs, and a manager over it: for check, lock and exec tests.
/// Call `shutdown()` at the end of the test.
struct ConfiguredEmulator {
    let fixture: EmulatorFixture
    let directory: URL
    let configuration: Configuration
    let manager: MultiEnvironmentSecretManager
    let environment: [String: String]

    static func start(outputs: String, templates: [String: String] = [:]) async throws -> ConfiguredEmulator {
        let fixture = try await EmulatorFixture.start()
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

    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    /// Calls of one emulator method so far.
    func calls(_ method: EmulatorMethod) async -> Int {
        await fixture.emulator.stats().count(method)
    }

    /// `POST …/secrets/S:addVersion`, as another deployer rotating a secret would.
    func addVersion(project: String, secret: String, payload: String) async throws {
        try await post(
            "projects/\(project)/secrets/\(secret):addVersion",
            body: #"{"payload":{"data":"\#(Data(payload.utf8).base64EncodedString())"}}"#)
    }

    /// `POST …/versions/N:disable`.
    func disable(project: String, secret: String, version: Int) async throws {
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

    struct PostFailed: Error { var status: Int }

    func shutdown() async {
        await fixture.shutdown()
        try? FileManager.default.removeItem(at: directory)
    }
}
