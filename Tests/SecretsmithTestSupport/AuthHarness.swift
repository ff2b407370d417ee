import AsyncHTTPClient
import Foundation
import NIOCore
import SecretManagerEmulator
import Testing

/// An emulator with service accounts, a user and grants, started in-process with a given
/// configuration, and requests with any headers. ``with(configuration:_:)`` stops it.
package struct AuthHarness: Sendable {
    package static let ci = try! GeneratedServiceAccount(email: "ci@acme.iam.gserviceaccount.com")
    package static let reader = try! GeneratedServiceAccount(email: "reader@acme.iam.gserviceaccount.com")
    package static let deployer = "deployer@acme.iam.gserviceaccount.com"
    package static let hop = "hop@acme.iam.gserviceaccount.com"
    package static let runner = "runner@acme.iam.gserviceaccount.com"
    package static let user = EmulatorSeed.AuthorizedUser(
        email: "dev@example.com", clientID: "client-1", clientSecret: "secret-1", refreshToken: "1//refresh-\(StandardSeed.sentinel)")
    package static let scope = "https://www.googleapis.com/auth/cloud-platform"

    /// Project `acme` (open to ci@, dev@, runner@, deployer@) with `open` and `locked`
    /// (only reader@); `deployer@` can be impersonated by `hop@`, `hop@` by ci@.
    package static let seed = EmulatorSeed(
        projects: [
            .init(
                id: "acme", number: 100_000_000_009,
                secrets: [
                    .init(id: "open", versions: [.init(payload: Array("open-\(StandardSeed.sentinel)".utf8))]),
                    .init(id: "locked", versions: [.init(payload: Array("locked-\(StandardSeed.sentinel)".utf8))], access: [reader.email]),
                ],
                access: [ci.email, user.email, runner, deployer])
        ],
        serviceAccounts: [
            ci.seedAccount(), reader.seedAccount(), .init(email: hop, tokenCreators: [ci.email]),
            .init(email: deployer, tokenCreators: [hop]),
        ],
        authorizedUsers: [user],
        metadata: .init(serviceAccount: runner, projectID: "acme"))

    package let emulator: SecretManagerEmulator
    package let port: Int
    package let client: HTTPClient

    package init(emulator: SecretManagerEmulator, port: Int, client: HTTPClient) {
        self.emulator = emulator
        self.port = port
        self.client = client
    }

    package var tokenURL: String { "http://127.0.0.1:\(port)/token" }

    package static func with<T>(
        configuration: EmulatorConfiguration = EmulatorConfiguration(requireAuthentication: true),
        _ body: (AuthHarness) async throws -> T
    ) async throws -> T {
        let emulator = SecretManagerEmulator(seed: seed, configuration: configuration)
        let port = try await emulator.start()
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        return try await withCleanup(AuthHarness(emulator: emulator, port: port, client: client), cleanup: {
            try? await $0.client.shutdown()
            await $0.emulator.stop()
        }, body)
    }

    /// Sends a request with exactly the given headers.
    package func send(
        _ method: String, _ path: String, headers: [(String, String)] = [], body: String? = nil
    ) async throws -> EmulatorHarness.Answer {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
        request.method = .init(rawValue: method)
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(string: body)) }
        let response = try await client.execute(request, timeout: .seconds(60))
        let buffer = try await response.body.collect(upTo: 1 << 20)
        return EmulatorHarness.Answer(
            status: Int(response.status.code), headers: response.headers.map { ($0.name, $0.value) },
            body: Array(buffer.readableBytesView))
    }

    /// `POST /token` with form fields.
    package func token(_ fields: [(String, String)]) async throws -> EmulatorHarness.Answer {
        let body = fields.map { name, value in
            "\(name)=\(value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? value)"
        }.joined(separator: "&")
        return try await send(
            "POST", "/token", headers: [("Content-Type", "application/x-www-form-urlencoded")], body: body)
    }

    /// The standard claims of `account`'s assertion, issued now, for this emulator.
    package func claims(_ account: GeneratedServiceAccount = AuthHarness.ci, issuedAt: Date = Date()) -> [String: any Sendable] {
        let iat = Int(issuedAt.timeIntervalSince1970)
        return ["iss": account.email, "scope": Self.scope, "aud": tokenURL, "iat": iat, "exp": iat + 3600]
    }

    /// Exchanges an assertion.
    package func exchange(_ assertion: String) async throws -> EmulatorHarness.Answer {
        try await token([("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"), ("assertion", assertion)])
    }

    /// A valid access token for `account`.
    package func accessToken(_ account: GeneratedServiceAccount = AuthHarness.ci) async throws -> String {
        let answer = try await exchange(try account.signedJWT(claims: claims(account)))
        return try #require(try answer.json()["access_token"] as? String, "\(answer.text)")
    }
}
