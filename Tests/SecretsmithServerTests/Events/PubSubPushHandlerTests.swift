import AsyncHTTPClient
import Foundation
import InMemoryLogging
import Logging
import NIOCore
import Secretsmith
import SecretsmithTestSupport
import Synchronization
import Testing

@testable import SecretsmithServer

/// A cache that records the events it is asked to invalidate.
final class RecordingCache: CacheInvalidating {
    let events = Mutex<[SecretEvent]>([])
    func invalidateCache(for event: SecretEvent) async -> Int {
        events.withLock { $0.append(event) }
        return 1
    }
    var count: Int { events.withLock { $0.count } }
}

@Suite struct PubSubPushHandlerTests {
    static let audience = "https://secretsmith.example.com/v1/events/pubsub"
    static let pushAccount = "pubsub-push@acme-prod.iam.gserviceaccount.com"

    struct Fixture {
        let clock = TestWallClock()
        let logs = InMemoryLogHandler()
        let cache = RecordingCache()
        let handler: PubSubPushHandler

        init(cache override: (any CacheInvalidating)? = nil) {
            var logger = Logger(label: "test") { [logs] _ in logs }
            logger.logLevel = .trace
            let configuration = PubSubPushHandler.Configuration(
                audience: PubSubPushHandlerTests.audience, serviceAccountEmail: PubSubPushHandlerTests.pushAccount)
            let jwks = TestIssuer.jwks([TestIssuer.rsaJWK(kid: "rsa-1")])
            let store = JWKSKeyStore(
                source: configuration.keys, fetch: { (jwks, nil) }, now: clock.closure, logger: logger)
            let authenticator = JWTAuthenticator(
                configuration: configuration.issuerConfiguration, keyStore: store, now: clock.closure)
            handler = PubSubPushHandler(
                serviceAccountEmail: configuration.serviceAccountEmail, authenticator: authenticator,
                processor: SecretEventProcessor(cache: override ?? cache, logger: logger), logger: logger)
        }

        var logText: String { logs.entries.map { "\($0.level) \($0.message) \($0.metadata)" }.joined(separator: "\n") }

        func token(_ overrides: [String: TestJSON] = [:]) async throws -> String {
            var claims: [String: TestJSON] = [
                "iss": "https://accounts.google.com", "aud": .string(PubSubPushHandlerTests.audience),
                "sub": "111122223333", "email": .string(PubSubPushHandlerTests.pushAccount), "email_verified": true,
                "iat": .number(Double(clock.seconds)), "exp": .number(Double(clock.seconds + 3600)),
            ]
            claims.merge(overrides) { $1 }
            return try await TestIssuer.token(claims)
        }
    }

    /// A push envelope as Pub/Sub sends it, for a Secret Manager event.
    static func envelope(
        eventType: String = "SECRET_VERSION_ADD", secret: String = "projects/424242424242/secrets/db-password",
        version: Int? = 4
    ) -> [UInt8] {
        var attributes = ["eventType": eventType, "dataFormat": "JSON_API_V1", "secretId": secret,
            "timestamp": "2026-12-01T18:00:00.000000-00:00"]
        var data: [String: Any] = ["name": secret]
        if let version {
            attributes["versionId"] = "\(secret)/versions/\(version)"
            data = ["name": "\(secret)/versions/\(version)", "state": "ENABLED", "createTime": "2026-12-01T18:00:00Z"]
        }
        let dataText = try! JSONSerialization.data(withJSONObject: data).base64EncodedString()
        let body: [String: Any] = [
            "message": ["data": dataText, "attributes": attributes, "messageId": "9876543210",
                "publishTime": "2026-12-01T18:00:01.000Z"],
            "subscription": "projects/acme-prod/subscriptions/secretsmith-push",
        ]
        return Array(try! JSONSerialization.data(withJSONObject: body))
    }

    /// `prod` reads `acme-app-prod/db-password` (one version) as latest and pinned to 1.
    static let configuration = """
        version: 1
        environments:
          prod:
            projects:
              app:
                project_id: acme-app-prod
                secrets:
                  db-password: {}
                  db-password-v1: { secret_id: db-password, version: "1" }
        """

    @Test func versionAddInvalidatesTheCachedLatestButNotAPinnedVersion() async throws {
        try await withEmulator { emulator in
            let manager = try emulator.manager(configuration: Self.configuration)
            let fixture = Fixture(cache: manager)
            let old = "prod-\(StandardSeed.sentinel)"
            #expect(try await manager.accessSecretVersion("prod/app/db-password").utf8String == old)
            #expect(try await manager.accessSecretVersion("prod/app/db-password-v1").utf8String == old)
            #expect(await emulator.accessCalls() == 2)

            // Another deployer adds version 2; the cache still answers the old latest.
            var request = HTTPClientRequest(url: "http://\(emulator.host)/v1/projects/acme-app-prod/secrets/db-password:addVersion")
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            let payload = Data("new-\(StandardSeed.sentinel)".utf8).base64EncodedString()
            request.body = .bytes(ByteBuffer(string: #"{"payload":{"data":"\#(payload)"}}"#))
            let response = try await emulator.httpClient.execute(request, timeout: .seconds(10))
            _ = try await response.body.collect(upTo: 1 << 20)
            #expect(response.status == .ok)
            #expect(try await manager.accessSecretVersion("prod/app/db-password").utf8String == old)
            #expect(await emulator.accessCalls() == 2)

            let envelope = Self.envelope(secret: "projects/515151515151/secrets/db-password", version: 2)
            let outcome = await fixture.handler.handle(
                body: ByteBuffer(bytes: envelope), authorization: "Bearer \(try await fixture.token())")
            #expect(outcome.status == 204)
            #expect(outcome.acknowledges)
            #expect(outcome.invalidated == 1)
            #expect(outcome.event?.type == .versionAdd)

            #expect(try await manager.accessSecretVersion("prod/app/db-password").utf8String == "new-\(StandardSeed.sentinel)")
            #expect(try await manager.accessSecretVersion("prod/app/db-password-v1").utf8String == old)
            #expect(await emulator.accessCalls() == 3, "only latest was fetched again")
            #expect(fixture.logText.contains("projects/515151515151/secrets/db-password"))
            #expect(!fixture.logText.contains(StandardSeed.sentinel))
            #expect(!fixture.logText.contains("eyJ"), "no token in the logs")
        }
    }

    @Test func missingOrBadTokensAre401AndAnotherAccountIs403() async throws {
        let fixture = Fixture()
        let body = Self.envelope()
        #expect(await fixture.handler.handle(body: body, authorization: nil).status == 401)
        #expect(await fixture.handler.handle(body: body, authorization: "Bearer opaque").status == 401)
        let wrongAudience = try await fixture.token(["aud": "https://elsewhere.example.com/push"])
        #expect(await fixture.handler.handle(body: body, authorization: "Bearer \(wrongAudience)").status == 401)
        let expired = try await fixture.token(["exp": .number(Double(fixture.clock.seconds - 3600))])
        #expect(await fixture.handler.handle(body: body, authorization: "Bearer \(expired)").status == 401)
        let otherIssuer = try await fixture.token(["iss": "https://issuer.example.com"])
        #expect(await fixture.handler.handle(body: body, authorization: "Bearer \(otherIssuer)").status == 401)

        let otherAccount = try await fixture.token(["email": "intruder@evil.iam.gserviceaccount.com"])
        let refused = await fixture.handler.handle(body: body, authorization: "Bearer \(otherAccount)")
        #expect(refused.status == 403)
        #expect(!refused.acknowledges)
        let unverified = try await fixture.token(["email_verified": false])
        #expect(await fixture.handler.handle(body: body, authorization: "Bearer \(unverified)").status == 403)

        // The short issuer form Google also uses is accepted.
        let shortIssuer = try await fixture.token(["iss": "accounts.google.com"])
        #expect(await fixture.handler.handle(body: body, authorization: "Bearer \(shortIssuer)").status == 204)
        #expect(fixture.cache.count == 1, "only the authenticated push invalidated")
        #expect(!fixture.logText.contains("eyJ"))
    }

    @Test func malformedEnvelopesAre400AfterAuthentication() async throws {
        let fixture = Fixture()
        let authorization = "Bearer \(try await fixture.token())"
        for body in ["not json", "{}", #"{"message": "text"}"#, #"{"message": {"data": "%%%"}}"#, "[]"] {
            let outcome = await fixture.handler.handle(body: Array(body.utf8), authorization: authorization)
            #expect(outcome.status == 400, "\(body)")
        }
        // Unauthenticated garbage is refused before it is read.
        #expect(await fixture.handler.handle(body: Array("not json".utf8), authorization: nil).status == 401)
        #expect(fixture.cache.count == 0)
    }

    @Test func irrelevantAndUnknownEventsAreAcknowledgedWithoutInvalidating() async throws {
        let fixture = Fixture()
        let authorization = "Bearer \(try await fixture.token())"
        let topic = #"{"message": {"attributes": {"eventType": "TOPIC_CONFIGURED"}, "messageId": "1"}, "subscription": "s"}"#
        let topicOutcome = await fixture.handler.handle(body: Array(topic.utf8), authorization: authorization)
        #expect(topicOutcome.status == 204)
        #expect(topicOutcome.invalidated == 0)
        let unknown = Self.envelope(eventType: "SECRET_SOMETHING_NEW")
        #expect(await fixture.handler.handle(body: unknown, authorization: authorization).status == 204)
        let rotate = Self.envelope(eventType: "SECRET_ROTATE", version: nil)
        #expect(await fixture.handler.handle(body: rotate, authorization: authorization).status == 204)
        let empty = #"{"message": {}}"#
        #expect(await fixture.handler.handle(body: Array(empty.utf8), authorization: authorization).status == 204)
        #expect(fixture.cache.count == 0)
    }

    @Test func configuredHandlerFetchesTheIssuersKeysOverHTTP() async throws {
        let jwks = TestIssuer.jwks([TestIssuer.rsaJWK(kid: "rsa-1")])
        try await withLoopbackServer({ _, _ in .init(status: 200, headers: ["Cache-Control": "max-age=300"], body: jwks) }) { server in
            let cache = RecordingCache()
            let logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
            let handler = try PubSubPushHandler(
                configuration: .init(
                    audience: Self.audience, serviceAccountEmail: Self.pushAccount,
                    keys: .url("\(server.baseURL)/oauth2/v3/certs")),
                processor: SecretEventProcessor(cache: cache, logger: logger), logger: logger)
            let token = try await TestIssuer.token([
                "iss": "https://accounts.google.com", "aud": .string(Self.audience), "sub": "1",
                "email": .string(Self.pushAccount), "email_verified": true,
                "exp": .number(Date().timeIntervalSince1970 + 600),
            ])
            #expect(await handler.handle(body: Self.envelope(), authorization: "Bearer \(token)").status == 204)
            #expect(await handler.handle(body: Self.envelope(), authorization: "Bearer \(token)").status == 204)
            #expect(cache.count == 2)
            #expect(server.received.map(\.path) == ["/oauth2/v3/certs"], "keys fetched once, then cached")
        }
    }

    @Test func jwksUnavailableIs503() async throws {
        let logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
        let configuration = PubSubPushHandler.Configuration(audience: Self.audience, serviceAccountEmail: Self.pushAccount)
        let store = JWKSKeyStore(
            source: configuration.keys, fetch: { throw JWKSProblem("HTTP status 500") }, logger: logger)
        let handler = PubSubPushHandler(
            serviceAccountEmail: Self.pushAccount,
            authenticator: JWTAuthenticator(configuration: configuration.issuerConfiguration, keyStore: store, now: { Date() }),
            processor: SecretEventProcessor(cache: RecordingCache(), logger: logger), logger: logger)
        let token = try await TestIssuer.token([
            "iss": "https://accounts.google.com", "aud": .string(Self.audience), "sub": "1",
            "exp": .number(Date().timeIntervalSince1970 + 600),
        ])
        #expect(await handler.handle(body: Self.envelope(), authorization: "Bearer \(token)").status == 503)
    }
}
