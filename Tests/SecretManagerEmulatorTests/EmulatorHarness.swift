import AsyncHTTPClient
import Foundation
import SecretManagerEmulator
import Testing

/// An emulator started in-process on an ephemeral port, and an HTTP client talking to it
/// over 127.0.0.1. ``with(seed:faults:_:)`` stops both at the end of each test.
struct EmulatorHarness {
    /// The emulator under test.
    let emulator: SecretManagerEmulator
    /// Its bound port.
    let port: Int
    /// A client of its own (so a dropped connection cannot disturb other tests).
    let client: HTTPClient

    /// One HTTP answer.
    struct Answer {
        var status: Int
        var headers: [(String, String)]
        var body: [UInt8]

        var text: String { String(decoding: body, as: UTF8.self) }

        /// The first value of a header (case-insensitive).
        func header(_ name: String) -> String? {
            headers.first { $0.0.lowercased() == name.lowercased() }?.1
        }

        /// The body as a JSON object.
        func json() throws -> [String: Any] {
            let object = try JSONSerialization.jsonObject(with: Data(body))
            return try #require(object as? [String: Any], "not a JSON object: \(text)")
        }

        /// `error.status` of Google's envelope, or `nil`.
        var errorStatus: String? {
            ((try? json())?["error"] as? [String: Any])?["status"] as? String
        }
    }

    /// Runs `body` with a started emulator and stops it afterwards, also on failure.
    static func with<T>(
        seed: EmulatorSeed = EmulatorHarness.standardSeed,
        faults: FaultConfiguration = .none,
        _ body: (EmulatorHarness) async throws -> T
    ) async throws -> T {
        let emulator = SecretManagerEmulator(seed: seed, configuration: EmulatorConfiguration(faults: faults))
        let port = try await emulator.start()
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        let harness = EmulatorHarness(emulator: emulator, port: port, client: client)
        do {
            let result = try await body(harness)
            try await client.shutdown()
            await emulator.stop()
            return result
        } catch {
            try? await client.shutdown()
            await emulator.stop()
            throw error
        }
    }

    /// Sends a request and collects the whole answer.
    ///
    /// - Parameters:
    ///   - method: `GET`, `POST`, `DELETE`.
    ///   - path: The path and query, e.g. `/v1/projects/p/secrets/s/versions/1:access`.
    ///   - body: A body text (JSON), if any.
    ///   - timeoutMilliseconds: The whole request's deadline.
    func send(
        _ method: String = "GET", _ path: String, body: String? = nil, timeoutMilliseconds: Int64 = 10_000
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
    func access(_ secret: String, _ version: String, project: String = "acme-billing-dev") async throws -> Answer {
        try await send("GET", "/v1/projects/\(project)/secrets/\(secret)/versions/\(version):access")
    }

    /// The project number of `acme-billing-dev` in ``standardSeed``.
    static let acmeNumber = "100000000001"

    /// The seed most tests use. Every payload contains a sentinel or is a known vector.
    static let standardSeed = EmulatorSeed(projects: [
        EmulatorSeed.Project(
            id: "acme-billing-dev", number: 100_000_000_001,
            secrets: [
                EmulatorSeed.Secret(
                    id: "db-password",
                    versions: [
                        .init(payload: Array("dev-db-pass-SENTINEL\n".utf8)),
                        .init(payload: Array("seCr3t\n".utf8)),
                        .init(payload: Array("third-SENTINEL".utf8), state: .disabled),
                    ],
                    aliases: ["current": 2, "old": 1, "broken": 3]),
                EmulatorSeed.Secret(
                    id: "api-key",
                    versions: [.init(payload: Array("key-v1-SENTINEL".utf8)), .init(payload: Array("key-v2-SENTINEL".utf8))]),
                EmulatorSeed.Secret(id: "binary", versions: [.init(payload: [0x00, 0x01, 0x02, 0xFF])]),
                EmulatorSeed.Secret(id: "gone", versions: [.init(payload: [], state: .destroyed)]),
                EmulatorSeed.Secret(id: "empty"),
            ],
            locations: [
                EmulatorSeed.Location(
                    name: "europe-west1",
                    secrets: [EmulatorSeed.Secret(id: "regional-key", versions: [.init(payload: Array("regional-SENTINEL".utf8))])])
            ]),
        EmulatorSeed.Project(id: "second-project"),
    ])
}
