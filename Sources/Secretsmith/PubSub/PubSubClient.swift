import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1

/// A Pub/Sub REST v1 client for a subscriber: pull, acknowledge and modify ack deadlines,
/// plus the few administrative calls tests and demos need (create a topic or a
/// subscription, publish).
///
/// Wire format: <https://cloud.google.com/pubsub/docs/reference/rest>. Requests go through
/// the shared `HTTPClient`; credentials come from the same ``AccessTokenProvider`` as
/// Secret Manager's (scope `cloud-platform`, which covers Pub/Sub), and are not sent to an
/// emulator (``PubSubEndpoint/requiresCredentials``). Every call retries HTTP 429, 5xx and
/// failed connections with the manager's ``RetryRunner``, refreshes the token once after a
/// 401, and stops at once when its task is cancelled. Delivery is at least once and
/// unordered: acknowledging twice is harmless, and an unacknowledged message comes back
/// after the subscription's ack deadline.
///
/// Give it a client configured like
/// ``MultiEnvironmentSecretManager/recommendedHTTPClientConfiguration(concurrency:)``: a
/// pull whose timeout passes counts as "no messages", so a pool that keeps retrying a
/// refused connection until the deadline (AsyncHTTPClient's default) would make a stopped
/// emulator look like an empty subscription instead of failing at once.
package struct PubSubClient: Sendable {
    /// The default bound on an answer's body, in bytes: a pull of 100 messages of Secret
    /// Manager events (a Secret resource is at most a few tens of KiB) fits many times over.
    package static let defaultMaxResponseBytes = 16 << 20

    /// The largest `maxMessages` this client asks for in one pull (the API only requires a
    /// positive number and may return fewer); a larger batch gains nothing for events.
    package static let maxMessagesLimit = 1000

    /// Ack ids per `acknowledge` or `modifyAckDeadline` request, so a request stays a few
    /// hundred KB at most (an ack id is a few hundred bytes).
    package static let ackIDsPerRequest = 500

    package let httpClient: HTTPClient
    package let endpoint: PubSubEndpoint
    package let tokenProvider: (any AccessTokenProvider)?
    /// Sent as `x-goog-user-project` when set: the project billed for quota.
    package let quotaProject: String?
    package let logger: Logger
    /// How failed calls are retried (default: the manager's default policy).
    package var retry: RetryPolicy
    /// The clock of the retry backoff.
    package var clock: SecretManagerClock
    /// The bound on an answer's body, in bytes; a larger answer fails the call.
    package var maxResponseBytes: Int

    package init(
        httpClient: HTTPClient,
        endpoint: PubSubEndpoint,
        tokenProvider: (any AccessTokenProvider)?,
        quotaProject: String? = nil,
        logger: Logger,
        retry: RetryPolicy = RetryPolicy(),
        clock: SecretManagerClock = .continuous,
        maxResponseBytes: Int = PubSubClient.defaultMaxResponseBytes
    ) {
        self.httpClient = httpClient
        self.endpoint = endpoint
        self.tokenProvider = tokenProvider
        self.quotaProject = quotaProject
        self.logger = logger
        self.retry = retry
        self.clock = clock
        self.maxResponseBytes = maxResponseBytes
    }

    // MARK: Subscriber calls

    /// Pulls up to `maxMessages` messages, waiting for some to arrive (`returnImmediately`
    /// false: the server holds the request open while the subscription is empty).
    ///
    /// - Parameters:
    ///   - subscription: `projects/P/subscriptions/S`.
    ///   - maxMessages: 1–1000; the server may return fewer.
    ///   - timeout: how long one attempt may wait for an answer; when it passes without
    ///     one, the pull returns no messages. Keep it above the time the server holds an
    ///     empty pull (about 90 s on Google's emulator): the server does not notice a pull
    ///     its client gave up on (timed out or cancelled) and hands it the next messages,
    ///     which then come back only after their ack deadline.
    /// - Returns: the messages, possibly none (the server ended the wait).
    /// - Throws: ``PubSubError`` for an error answer (after retries of transient ones), a
    ///   connection failure, an oversized or malformed answer, or an invalid name or count;
    ///   ``AuthenticationError`` when no token can be obtained; `CancellationError` at once
    ///   when the task is cancelled, also in the middle of a long pull.
    package func pull(subscription: String, maxMessages: Int, timeout: Duration = .seconds(120)) async throws
        -> [ReceivedMessage]
    {
        try Self.validate(subscription, kind: "subscriptions")
        guard (1...Self.maxMessagesLimit).contains(maxMessages) else {
            throw PubSubError(
                code: .invalidArgument, resource: subscription,
                message: "maxMessages \(maxMessages) is outside 1–\(Self.maxMessagesLimit)")
        }
        let request = PullRequest(maxMessages: maxMessages, returnImmediately: false)
        let body: [UInt8]
        do {
            body = try await call(
                .POST, "\(subscription):pull", resource: subscription, body: try Self.encode(request),
                timeout: timeout)
        } catch let error as PubSubError where error.code == .deadlineExceeded && error.httpStatus == nil {
            // The long poll ran out without an answer: nothing arrived in that window.
            return []
        }
        do {
            return try ReceivedMessage.decodePullResponse(body)
        } catch {
            throw PubSubError(
                code: .invalidResponse, resource: subscription, httpStatus: 200,
                message: "the pull answer is not the JSON Pub/Sub sends")
        }
    }

    /// Acknowledges messages, so they are not delivered again. Acknowledging twice, or
    /// after the ack deadline, is harmless (the message may already be on its way again).
    ///
    /// - Parameters:
    ///   - subscription: `projects/P/subscriptions/S`.
    ///   - ackIDs: the ids from ``pull(subscription:maxMessages:timeout:)``; none makes no call.
    ///     Sent in requests of at most ``ackIDsPerRequest``.
    ///   - timeout: the time allowed for each request.
    /// - Throws: as ``pull(subscription:maxMessages:timeout:)``; an ack id the server does
    ///   not know is INVALID_ARGUMENT.
    package func acknowledge(subscription: String, ackIDs: [String], timeout: Duration = .seconds(10)) async throws {
        try Self.validate(subscription, kind: "subscriptions")
        for start in stride(from: 0, to: ackIDs.count, by: Self.ackIDsPerRequest) {
            let chunk = Array(ackIDs[start..<min(start + Self.ackIDsPerRequest, ackIDs.count)])
            _ = try await call(
                .POST, "\(subscription):acknowledge", resource: subscription,
                body: try Self.encode(AcknowledgeRequest(ackIds: chunk)), timeout: timeout)
        }
    }

    /// Changes the ack deadline of delivered messages: more time to finish, or 0 to give
    /// them back for redelivery at once.
    ///
    /// - Parameters:
    ///   - subscription: `projects/P/subscriptions/S`.
    ///   - ackIDs: the ids from a pull; none makes no call.
    ///   - seconds: the new deadline from now, 0–600.
    ///   - timeout: the time allowed for each request.
    /// - Throws: as ``acknowledge(subscription:ackIDs:timeout:)``; `seconds` outside 0–600
    ///   is INVALID_ARGUMENT without a call.
    package func modifyAckDeadline(
        subscription: String, ackIDs: [String], seconds: Int, timeout: Duration = .seconds(10)
    ) async throws {
        try Self.validate(subscription, kind: "subscriptions")
        guard (0...600).contains(seconds) else {
            throw PubSubError(
                code: .invalidArgument, resource: subscription,
                message: "ackDeadlineSeconds \(seconds) is outside 0–600")
        }
        for start in stride(from: 0, to: ackIDs.count, by: Self.ackIDsPerRequest) {
            let chunk = Array(ackIDs[start..<min(start + Self.ackIDsPerRequest, ackIDs.count)])
            _ = try await call(
                .POST, "\(subscription):modifyAckDeadline", resource: subscription,
                body: try Self.encode(ModifyAckDeadlineRequest(ackIds: chunk, ackDeadlineSeconds: seconds)),
                timeout: timeout)
        }
    }

    // MARK: Administrative calls (tests, demos)

    /// Creates a topic.
    ///
    /// - Parameter topic: `projects/P/topics/T` (T: 3–255 characters, starting with a letter).
    /// - Throws: ``PubSubError``; ALREADY_EXISTS when the topic exists.
    package func createTopic(_ topic: String, timeout: Duration = .seconds(10)) async throws {
        try Self.validate(topic, kind: "topics")
        _ = try await call(.PUT, topic, resource: topic, body: Array("{}".utf8), timeout: timeout)
    }

    /// Creates a pull subscription to a topic.
    ///
    /// - Parameters:
    ///   - subscription: `projects/P/subscriptions/S`.
    ///   - topic: `projects/P/topics/T`, which must exist.
    ///   - ackDeadlineSeconds: how long a delivered message stays reserved, 10–600 seconds.
    /// - Throws: ``PubSubError``; ALREADY_EXISTS when the subscription exists, NOT_FOUND
    ///   when the topic does not.
    package func createSubscription(
        _ subscription: String, topic: String, ackDeadlineSeconds: Int = 10, timeout: Duration = .seconds(10)
    ) async throws {
        try Self.validate(subscription, kind: "subscriptions")
        try Self.validate(topic, kind: "topics")
        let body = CreateSubscriptionRequest(topic: topic, ackDeadlineSeconds: ackDeadlineSeconds)
        _ = try await call(.PUT, subscription, resource: subscription, body: try Self.encode(body), timeout: timeout)
    }

    /// Publishes messages to a topic.
    ///
    /// - Parameters:
    ///   - topic: `projects/P/topics/T`.
    ///   - messages: their `data` and `attributes` are sent; a message needs one or the other.
    /// - Returns: the server's message ids, in the order of `messages`.
    /// - Throws: ``PubSubError``; NOT_FOUND when the topic does not exist.
    package func publish(topic: String, messages: [PubSubMessage], timeout: Duration = .seconds(10)) async throws
        -> [String]
    {
        try Self.validate(topic, kind: "topics")
        guard !messages.isEmpty else { return [] }
        let body = try await call(
            .POST, "\(topic):publish", resource: topic, body: try Self.encode(PublishRequest(messages: messages)),
            timeout: timeout)
        guard let answer = try? JSONDecoder().decode(PublishResponse.self, from: Data(body)) else {
            throw PubSubError(
                code: .invalidResponse, resource: topic, httpStatus: 200,
                message: "the publish answer is not the JSON Pub/Sub sends")
        }
        return answer.messageIds ?? []
    }

    // MARK: Requests

    private struct PullRequest: Encodable {
        var maxMessages: Int
        var returnImmediately: Bool
    }

    private struct AcknowledgeRequest: Encodable {
        var ackIds: [String]
    }

    private struct ModifyAckDeadlineRequest: Encodable {
        var ackIds: [String]
        var ackDeadlineSeconds: Int
    }

    private struct CreateSubscriptionRequest: Encodable {
        var topic: String
        var ackDeadlineSeconds: Int
    }

    private struct PublishRequest: Encodable {
        var messages: [PubSubMessage]
    }

    private struct PublishResponse: Decodable {
        var messageIds: [String]?
    }

    private static func encode(_ value: some Encodable) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return Array(try encoder.encode(value))
    }

    /// Checks a resource name before it goes into a URL: `projects/P/KIND/ID`, every
    /// segment non-empty and made of the characters Pub/Sub allows in names (letters,
    /// digits, `-_.~+%`: the `name` field of the Topic and Subscription resources,
    /// <https://cloud.google.com/pubsub/docs/reference/rest/v1/projects.topics>). The
    /// server checks the rest (length, first character).
    ///
    /// - Throws: ``PubSubError`` (INVALID_ARGUMENT) naming the resource.
    static func validate(_ name: String, kind: String) throws {
        let parts = name.split(separator: "/", omittingEmptySubsequences: false)
        let allowed = parts.allSatisfy { part in
            !part.isEmpty
                && part.utf8.allSatisfy { byte in
                    switch byte {
                    case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                        UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"),
                        UInt8(ascii: "."), UInt8(ascii: "~"), UInt8(ascii: "+"), UInt8(ascii: "%"):
                        true
                    default:
                        false
                    }
                }
        }
        guard parts.count == 4, parts[0] == "projects", parts[2] == kind, allowed else {
            throw PubSubError(
                code: .invalidArgument, resource: name,
                message: "not a Pub/Sub name of the form projects/PROJECT/\(kind)/ID")
        }
    }
}

extension PubSubClient {
    /// One call with retries: transient failures are retried with the policy's backoff
    /// (a `Retry-After` floor), a 401 once at once with a new token.
    private func call(
        _ method: HTTPMethod, _ path: String, resource: String, body: [UInt8], timeout: Duration
    ) async throws -> [UInt8] {
        var refreshedToken = false
        return try await RetryRunner(policy: retry, clock: clock).run { _ in
            try await attempt(method, path, resource: resource, body: body, timeout: timeout)
        } decide: { error, _ in
            guard let error = error as? PubSubError else { return .stop }
            if error.code == .unauthenticated, !refreshedToken, endpoint.requiresCredentials, tokenProvider != nil {
                refreshedToken = true
                return .retryNow
            }
            // A long pull that ran out is an answer ("nothing arrived"), not a failure.
            if error.code == .deadlineExceeded, error.httpStatus == nil, path.hasSuffix(":pull") { return .stop }
            return error.isRetryable ? .retry(floor: error.retryAfter) : .stop
        } willRetry: { error, attempt, delay in
            logger.debug(
                "retrying pub/sub call",
                metadata: [
                    "gcp.resource": "\(resource)",
                    "error.code": "\((error as? PubSubError)?.code.rawValue ?? "OTHER")",
                    "attempt": "\(attempt)", "delay_ms": "\(Int(delay.secondsDouble * 1000))",
                ])
        }
    }

    /// One HTTP request: its answer's body, or the error it maps to.
    private func attempt(
        _ method: HTTPMethod, _ path: String, resource: String, body: [UInt8], timeout: Duration
    ) async throws -> [UInt8] {
        var request = HTTPClientRequest(url: "\(endpoint.baseURL)/v1/\(path)")
        request.method = method
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(bytes: body))
        let token = try await GoogleRESTRequest.addHeaders(
            to: &request, requiresCredentials: endpoint.requiresCredentials, tokenProvider: tokenProvider,
            quotaProject: quotaProject)
        // AsyncHTTPClient logs body bytes at trace level; message data stays out of logs.
        let requestLogger = GoogleRESTRequest.requestLogger(logger)
        let response: HTTPClientResponse
        let collected: ByteBuffer
        do {
            response = try await httpClient.execute(request, timeout: TimeAmount(timeout), logger: requestLogger)
            collected = try await response.body.collect(upTo: maxResponseBytes)
        } catch is NIOTooManyBytesError {
            throw PubSubError(
                code: .invalidResponse, resource: resource,
                message: "the answer is larger than \(maxResponseBytes) bytes")
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            // AsyncHTTPClient reports a request cancelled with its task as its own error.
            if Task.isCancelled { throw CancellationError() }
            throw transportError(error, resource: resource, timeout: timeout)
        }
        let bytes = Array(collected.readableBytesView)
        let status = Int(response.status.code)
        guard (200..<300).contains(status) else {
            if status == 401, let token, let tokenProvider {
                await tokenProvider.invalidate(token)
            }
            throw PubSubError.from(
                status: status, contentType: response.headers.first(name: "Content-Type"),
                retryAfter: response.headers.first(name: "Retry-After"), body: bytes, resource: resource)
        }
        return bytes
    }

    private func transportError(_ error: any Error, resource: String, timeout: Duration) -> PubSubError {
        if SecretManagerClient.isConnectionRefused(error) {
            let hint =
                endpoint.requiresCredentials
                ? "is the Pub/Sub endpoint right?"
                : "is the Pub/Sub emulator running, and is \(PubSubEndpoint.emulatorHostVariable) (\(endpoint.hostAndPort)) right?"
            return PubSubError(
                code: .transport, resource: resource,
                message: "nothing is listening at \(endpoint.hostAndPort) (connection refused); \(hint)")
        }
        if let error = error as? HTTPClientError {
            switch error {
            case .deadlineExceeded:
                return PubSubError(
                    code: .deadlineExceeded, resource: resource,
                    message: "no answer from \(endpoint) within the timeout of \(timeout)")
            case .readTimeout, .connectTimeout, .writeTimeout:
                return PubSubError(
                    code: .transport, resource: resource,
                    message: "the connection to \(endpoint) timed out (\(error))")
            default:
                break
            }
        }
        return PubSubError(
            code: .transport, resource: resource, message: "the request to \(endpoint) failed: \(TransportFailure.describe(error))")
    }
}
