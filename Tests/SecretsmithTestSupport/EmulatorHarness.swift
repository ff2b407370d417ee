import AsyncHTTPClient
import Foundation
import SecretManagerEmulator
import Testing

/// An emulator started in-process on an ephemeral port, and an HTTP client talking to it
/// over 127.0.0.1. ``with(seed:faults:_:)`` stops both at the end of each test.
package struct EmulatorHarness: Sendable {
    /// The emulator under test.
    package let emulator: SecretManagerEmulator
    /// Its bound port.
    package let port: Int
    /// A client of its own (so a dropped connection cannot disturb other tests).
    package let client: HTTPClient

    package init(emulator: SecretManagerEmulator, port: Int, client: HTTPClient) {
        self.emulator = emulator
        self.port = port
        self.client = client
    }

    /// One HTTP answer.
    package struct Answer: Sendable {
        package var status: Int
        package var headers: [(String, String)]
        package var body: [UInt8]

        package init(status: Int, headers: [(String, String)], body: [UInt8]) {
            self.status = status
            self.headers = headers
            self.body = body
        }

        package var text: String { String(decoding: body, as: UTF8.self) }

        /// The first value of a header (case-insensitive).
        package func header(_ name: String) -> String? {
            headers.first { $0.0.lowercased() == name.lowercased() }?.1
        }

        /// The body as a JSON object.
        package func json() throws -> [String: Any] {
            let object = try JSONSerialization.jsonObject(with: Data(body))
            return try #require(object as? [String: Any], "not a JSON object: \(text)")
        }

        /// `error.status` of Google's envelope, or `nil`.
        package var errorStatus: String? {
            ((try? json())?["error"] as? [String: Any])?["status"] as? String
        }
    }

    /// Runs `body` with a started emulator and stops it afterwards, also on failure.
    package static func with<T>(
        seed: EmulatorSeed = EmulatorHarness.standardSeed,
        faults: FaultConfiguration = .none,
        _ body: (EmulatorHarness) async throws -> T
    ) async throws -> T {
        let emulator = SecretManagerEmulator(seed: seed, configuration: EmulatorConfiguration(faults: faults))
        let port = try await emulator.start()
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        return try await withCleanup(EmulatorHarness(emulator: emulator, port: port, client: client), cleanup: {
            try? await $0.client.shutdown()
            await $0.emulator.stop()
        }, body)
    }

    /// Runs `body` with a harness (and a client of its own) over an emulator the test started
    /// itself (to test starting and stopping); afterwards shuts the client down and stops the
    /// emulator if it still runs, also when `body` throws.
    package static func with<T>(
        started emulator: SecretManagerEmulator, port: Int, _ body: (EmulatorHarness) async throws -> T
    ) async throws -> T {
        let harness = EmulatorHarness(emulator: emulator, port: port, client: HTTPClient(eventLoopGroupProvider: .singleton))
        return try await withCleanup(harness, cleanup: {
            try? await $0.client.shutdown()
            await $0.emulator.stop()
        }, body)
    }

    /// Sends a request and collects the whole answer.
    ///
    /// - Parameters:
    ///   - method: `GET`, `POST`, `DELETE`.
    ///   - path: The path and query, e.g. `/v1/projects/p/secrets/s/versions/1:access`.
    ///   - body: A body text (JSON), if any.
    ///   - timeoutMilliseconds: The whole request's deadline; the default is far above any
    ///     answer's time so that only a hang fails it, also when the whole suite loads the
    ///     machine (10 s was once not enough for an answer delayed by 300 ms).
    package func send(
        _ method: String = "GET", _ path: String, body: String? = nil, timeoutMilliseconds: Int64 = 60_000
    ) async throws -> Answer {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
        request.method = .init(rawValue: method)
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(Array(body.utf8))
        }
        request.headers.add(name: "Authorization", value: "Bearer test-token")
        let response = try await client.execute(request, timeout: .milliseconds(timeoutMilliseconds))
        let buffer = try await response.body.collect(upTo: 1 << 20)
        return Answer(
            status: Int(response.status.code),
            headers: response.headers.map { ($0.name, $0.value) },
            body: Array(buffer.readableBytesView))
    }

    /// `GET …/versions/VERSION:access` of a global secret of `acme-billing-dev`.
    package func access(_ secret: String, _ version: String, project: String = "acme-billing-dev") async throws -> Answer {
        try await send("GET", "/v1/projects/\(project)/secrets/\(secret)/versions/\(version):access")
    }

    /// The project number of `acme-billing-dev` in ``standardSeed``.
    package static let acmeNumber = StandardSeed.billingNumber

    /// ``StandardSeed/seed``: most tests use `acme-billing-dev`.
    package static let standardSeed = StandardSeed.seed
}
