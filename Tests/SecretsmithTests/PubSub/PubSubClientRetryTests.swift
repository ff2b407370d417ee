import AsyncHTTPClient
import Foundation
import Logging
@testable import Secretsmith
import Synchronization
import SecretsmithTestSupport
import Testing

/// The client's requests, retries and limits against a scripted loopback server: the
/// answers Google's emulator never gives (429, 503, 401, oversized bodies).
@Suite struct PubSubClientRetryTests {
    static let subscription = "projects/acme-app-dev/subscriptions/watcher"
    static let oneMessage = #"{"receivedMessages":[{"ackId":"a1","message":{"data":"aGk=","messageId":"1"}}]}"#

    static func client(
        _ server: ScriptedHTTPServer, clock: TestClock, credentials: (any AccessTokenProvider)? = nil,
        maxResponseBytes: Int = PubSubClient.defaultMaxResponseBytes
    ) -> PubSubClient {
        PubSubClient(
            httpClient: .shared,
            endpoint: PubSubEndpoint(baseURL: "http://\(server.host)", requiresCredentials: credentials != nil),
            tokenProvider: credentials, logger: Logger(label: "test"),
            retry: RetryPolicy(maxAttempts: 4, initialBackoff: .milliseconds(100), maxBackoff: .seconds(1)),
            clock: clock.clock, maxResponseBytes: maxResponseBytes)
    }

    @Test func aPullSendsGooglesRequestShape() async throws {
        let server = try await ScriptedHTTPServer.start(answers: [.init(status: 200, body: Self.oneMessage)])
        let messages = try await Self.client(server, clock: TestClock())
            .pull(subscription: Self.subscription, maxMessages: 10)
        try await server.stop()
        #expect(messages == [ReceivedMessage(ackID: "a1", message: PubSubMessage(data: Array("hi".utf8), messageID: "1"))])
        let request = try #require(server.received.first)
        #expect(request.method == "POST")
        #expect(request.uri == "/v1/\(Self.subscription):pull")
        #expect(request.body == #"{"maxMessages":10,"returnImmediately":false}"#)
        #expect(request.authorization == nil)  // an emulator gets no credentials
    }

    @Test func answers429And5xxAreRetriedWithBackoffAndRetryAfterAsAFloor() async throws {
        let server = try await ScriptedHTTPServer.start(answers: [
            .init(status: 503, body: #"{"error":{"code":503,"message":"try again","status":"UNAVAILABLE"}}"#),
            .init(
                status: 429, headers: ["Content-Type": "application/json", "Retry-After": "3"],
                body: #"{"error":{"code":429,"message":"slow down","status":"RESOURCE_EXHAUSTED"}}"#),
            .init(status: 500, headers: ["Content-Type": "text/html"], body: "<html>oops</html>"),
            .init(status: 200, body: Self.oneMessage),
        ])
        let clock = TestClock()
        let messages = try await Self.client(server, clock: clock).pull(subscription: Self.subscription, maxMessages: 1)
        try await server.stop()
        #expect(messages.map(\.ackID) == ["a1"])
        #expect(server.received.count == 4)
        #expect(clock.recordedSleeps.count == 3)
        #expect(clock.recordedSleeps[0] <= .milliseconds(100))  // full jitter under the first ceiling
        #expect(clock.recordedSleeps[1] >= .seconds(3))  // Retry-After is a floor
    }

    @Test func aRetriedFailureGivesUpAfterTheAttemptsWithTheLastError() async throws {
        let unavailable = ScriptedHTTPServer.Answer(
            status: 503, body: #"{"error":{"code":503,"message":"down","status":"UNAVAILABLE"}}"#)
        let server = try await ScriptedHTTPServer.start(answers: Array(repeating: unavailable, count: 4))
        let error = await #expect(throws: PubSubError.self) {
            try await Self.client(server, clock: TestClock())
                .acknowledge(subscription: Self.subscription, ackIDs: ["a1"])
        }
        try await server.stop()
        #expect(error?.code == .unavailable)
        #expect(server.received.count == 4)
    }

    @Test func aNotFoundIsNotRetried() async throws {
        let server = try await ScriptedHTTPServer.start(answers: [
            .init(status: 404, body: #"{"error":{"code":404,"message":"Subscription does not exist","status":"NOT_FOUND"}}"#)
        ])
        let error = await #expect(throws: PubSubError.self) {
            _ = try await Self.client(server, clock: TestClock()).pull(subscription: Self.subscription, maxMessages: 1)
        }
        try await server.stop()
        #expect(error?.code == .notFound)
        #expect(server.received.count == 1)
    }

    @Test func a401RefreshesTheTokenOnceAndRetriesAtOnce() async throws {
        let server = try await ScriptedHTTPServer.start(answers: [
            .init(status: 401, body: #"{"error":{"code":401,"message":"bad token","status":"UNAUTHENTICATED"}}"#),
            .init(status: 200, body: "{}"),
        ])
        let tokens = RotatingTokens()
        let clock = TestClock()
        try await Self.client(server, clock: clock, credentials: tokens)
            .modifyAckDeadline(subscription: Self.subscription, ackIDs: ["a1"], seconds: 0)
        try await server.stop()
        #expect(server.received.map(\.authorization) == ["Bearer token-1", "Bearer token-2"])
        #expect(tokens.invalidated == ["token-1"])
        #expect(clock.recordedSleeps == [.zero])
        #expect(server.received.last?.body == #"{"ackDeadlineSeconds":0,"ackIds":["a1"]}"#)
    }

    @Test func anAnswerLargerThanTheBoundFailsWithoutRetrying() async throws {
        let server = try await ScriptedHTTPServer.start(answers: [.init(status: 200, body: Self.oneMessage)])
        let error = await #expect(throws: PubSubError.self) {
            _ = try await Self.client(server, clock: TestClock(), maxResponseBytes: 16)
                .pull(subscription: Self.subscription, maxMessages: 1)
        }
        try await server.stop()
        #expect(error?.code == .invalidResponse)
        #expect(error?.description.contains("16 bytes") == true)
        #expect(server.received.count == 1)
    }

    @Test func manyAckIDsGoInRequestsOfBoundedSize() async throws {
        let server = try await ScriptedHTTPServer.start(answers: Array(repeating: .init(status: 200), count: 3))
        let ids = (1...1200).map { "ack-\($0)" }
        try await Self.client(server, clock: TestClock()).acknowledge(subscription: Self.subscription, ackIDs: ids)
        try await Self.client(server, clock: TestClock()).acknowledge(subscription: Self.subscription, ackIDs: [])
        try await server.stop()
        let sent = try server.received.map { request in
            try #require(
                try JSONSerialization.jsonObject(with: Data(request.body.utf8)) as? [String: [String]])["ackIds"] ?? []
        }
        #expect(sent.map(\.count) == [500, 500, 200])
        #expect(sent.flatMap { $0 } == ids)
        #expect(server.received.allSatisfy { $0.uri == "/v1/\(Self.subscription):acknowledge" })
    }

    @Test func nothingListeningIsATransportErrorNamingTheVariable() async throws {
        // Port 9 (discard): nothing listens there on these machines. The manager's client
        // configuration fails a refused connection at once instead of retrying it inside
        // the pool until the deadline (which a pull would take for an empty long poll).
        let httpClient = HTTPClient(
            configuration: MultiEnvironmentSecretManager.recommendedHTTPClientConfiguration(concurrency: 1))
        let client = PubSubClient(
            httpClient: httpClient,
            endpoint: try PubSubEndpoint.resolve(environment: ["PUBSUB_EMULATOR_HOST": "127.0.0.1:9"]),
            tokenProvider: nil, logger: Logger(label: "test"),
            retry: RetryPolicy(maxAttempts: 2, initialBackoff: .milliseconds(10), maxBackoff: .milliseconds(10)),
            clock: TestClock().clock)
        let result: Result<[ReceivedMessage], any Error>
        do {
            result = .success(try await client.pull(subscription: Self.subscription, maxMessages: 1, timeout: .seconds(5)))
        } catch {
            result = .failure(error)
        }
        try await httpClient.shutdown()
        let error = #expect(throws: PubSubError.self) { try result.get() }
        #expect(error?.code == .transport)
        #expect(error?.isRetryable == true)
        #expect(error?.description.contains("PUBSUB_EMULATOR_HOST (127.0.0.1:9)") == true)
    }

    @Test func argumentsOutsideTheirRangesFailWithoutACall() async throws {
        let server = try await ScriptedHTTPServer.start(answers: [])
        let client = Self.client(server, clock: TestClock())
        for count in [0, 1001] {
            await #expect(throws: PubSubError.self) {
                _ = try await client.pull(subscription: Self.subscription, maxMessages: count)
            }
        }
        for seconds in [-1, 601] {
            await #expect(throws: PubSubError.self) {
                try await client.modifyAckDeadline(subscription: Self.subscription, ackIDs: ["a"], seconds: seconds)
            }
        }
        await #expect(throws: PubSubError.self) {
            _ = try await client.pull(subscription: "projects/p/topics/t", maxMessages: 1)
        }
        try await server.stop()
        #expect(server.received.isEmpty)
    }
}

/// Tokens `token-1`, `token-2`, ...: a new one after each invalidation.
final class RotatingTokens: AccessTokenProvider {
    private let state = Mutex((current: 1, invalidated: [String]()))
    var source: String { "test tokens" }
    var invalidated: [String] { state.withLock { $0.invalidated } }

    func accessToken() async throws -> String {
        state.withLock { "token-\($0.current)" }
    }

    func invalidate(_ token: String) async {
        state.withLock {
            $0.invalidated.append(token)
            $0.current += 1
        }
    }
}
