import AsyncHTTPClient
import Crypto
import Foundation
import Logging
import Metrics
import NIOCore
import Secretsmith
import ServiceLifecycle
import Synchronization

/// One webhook: `serve.webhooks[]`.
package struct WebhookEndpoint: Sendable {
    /// Where notifications are POSTed (`https`, or `http`).
    package var url: String
    /// The HMAC-SHA256 key (the signing key file's bytes, trailing whitespace removed).
    package var signingKey: [UInt8]

    package init(url: String, signingKey: [UInt8]) {
        self.url = url
        self.signingKey = signingKey
    }

    /// An endpoint whose key is read from `signingKeyFile` (``loadSigningKey(path:)``).
    ///
    /// - Throws: ``AuthenticationSetupError`` naming the file or the URL.
    package init(url: String, signingKeyFile: String) throws(AuthenticationSetupError) {
        guard let parsed = URL(string: url), let scheme = parsed.scheme?.lowercased(), scheme == "https" || scheme == "http",
            parsed.host?.isEmpty == false
        else {
            throw AuthenticationSetupError(path: WebhookNotifier.redacted(url), reason: "The webhook URL is not an absolute http(s) URL.")
        }
        self.init(url: url, signingKey: try Self.loadSigningKey(path: signingKeyFile))
    }

    /// The shortest signing key accepted, in bytes.
    package static let minimumKeyLength = 16

    /// Reads a signing key file: its bytes without trailing spaces, tabs, CR or LF (so
    /// `openssl rand -hex 32 > FILE` works, and the receiver uses the same text as its key).
    ///
    /// - Throws: ``AuthenticationSetupError`` when the file cannot be read or holds fewer than
    ///   ``minimumKeyLength`` bytes. The error never contains the key.
    package static func loadSigningKey(path: String) throws(AuthenticationSetupError) -> [UInt8] {
        guard var bytes = FileManager.default.contents(atPath: path).map(Array.init) else {
            throw AuthenticationSetupError(path: path, reason: "The webhook signing key file cannot be read.")
        }
        while let last = bytes.last, last == 0x20 || last == 0x09 || last == 0x0A || last == 0x0D { bytes.removeLast() }
        guard bytes.count >= minimumKeyLength else {
            throw AuthenticationSetupError(
                path: path,
                reason: "The webhook signing key is shorter than \(minimumKeyLength) bytes; "
                    + "make one with `openssl rand -hex 32 > \(path)`.")
        }
        return bytes
    }
}

/// Tells webhooks that a secret changed: on each relevant Secret Manager event, one signed
/// `POST` to every configured URL, delivered in the background with retries.
///
/// ## The request
/// ```
/// POST <url>
/// Content-Type: application/json
/// X-Secretsmith-Timestamp: 1764614400
/// X-Secretsmith-Signature: sha256=<64 lowercase hex digits>
/// X-Secretsmith-Delivery: 6c1f0b0e-...   (the same on every retry of one notification)
///
/// {"eventType":"SECRET_VERSION_ADD","secret":"projects/123/secrets/db-password","version":4}
/// ```
/// The body names the secret (its resource name as the event gave it), the event type and,
/// for version events, the version number; never a value. The signature is
/// `HMAC-SHA256(key, TIMESTAMP + "." + BODY)` in lowercase hexadecimal, where TIMESTAMP is
/// the `X-Secretsmith-Timestamp` header (Unix seconds when the attempt was sent) and BODY the
/// exact body bytes. Receivers recompute it, compare in constant time and refuse a timestamp
/// more than a few minutes old, which stops replays of a captured request.
///
/// ## Delivery
/// Each URL has its own bounded queue (``Configuration/queueCapacity``) and one worker, so a
/// slow receiver delays only its own notifications, in order. A notification that finds the
/// queue full is dropped and counted. A 2xx answer delivers; 408, 425, 429 and 5xx answers
/// and transport errors are retried with the library's exponential backoff and jitter
/// (``Configuration/retry``; a `Retry-After` in seconds is a floor), each attempt re-signed
/// with a fresh timestamp; other answers fail at once. ``enqueue(_:)`` never waits.
///
/// Metrics: `secretsmith_webhook_deliveries_total{result}`, result `delivered`, `failed`
/// (attempts exhausted or refused) or `dropped` (queue full or shut down). No label names the
/// URL. Logs name a URL without its query (which may hold a receiver's token).
///
/// Run it as a service (``run()``): on graceful shutdown the queues stop taking
/// notifications and what is queued gets one attempt each.
package final class WebhookNotifier: Service, Sendable {
    /// Queue and retry settings.
    package struct Configuration: Sendable, Hashable {
        /// Notifications waiting per URL before new ones are dropped (default 256).
        package var queueCapacity: Int
        /// Attempts and backoff (default 6 attempts, 1 s doubling to at most 60 s).
        package var retry: RetryPolicy
        /// The timeout of one attempt (default 10 s).
        package var requestTimeout: Duration

        package init(
            queueCapacity: Int = 256,
            retry: RetryPolicy = RetryPolicy(maxAttempts: 6, initialBackoff: .seconds(1), maxBackoff: .seconds(60)),
            requestTimeout: Duration = .seconds(10)
        ) {
            self.queueCapacity = queueCapacity
            self.retry = retry
            self.requestTimeout = requestTimeout
        }
    }

    /// Counts since the notifier was created.
    package struct Statistics: Sendable, Hashable {
        package var delivered = 0
        package var failed = 0
        package var dropped = 0
    }

    /// The header carrying the signature, `sha256=HEX`.
    package static let signatureHeader = "X-Secretsmith-Signature"
    /// The header carrying the Unix time (seconds) the signature covers.
    package static let timestampHeader = "X-Secretsmith-Timestamp"
    /// The header carrying a notification's id (the same on its retries).
    package static let deliveryHeader = "X-Secretsmith-Delivery"

    private struct Notification: Sendable {
        var id: String
        var body: [UInt8]
    }

    private struct Queue: Sendable {
        var endpoint: WebhookEndpoint
        var stream: AsyncStream<Notification>
        var continuation: AsyncStream<Notification>.Continuation
    }

    private let queues: [Queue]
    private let configuration: Configuration
    private let httpClient: HTTPClient
    private let clock: SecretManagerClock
    private let now: @Sendable () -> Date
    private let logger: Logger
    private let counts = Mutex(Statistics())
    private let draining = Atomic<Bool>(false)
    private let deliveredCounter: Counter
    private let failedCounter: Counter
    private let droppedCounter: Counter

    /// The counter of notifications by `result` (`delivered`, `failed`, `dropped`).
    package static let deliveriesMetric = "secretsmith_webhook_deliveries_total"
    /// The counter's help text for the Prometheus exposition.
    package static let deliveriesMetricHelp =
        "Webhook notifications by result: delivered, failed (attempts exhausted or refused) or dropped (queue full or shut down)."

    /// - Parameters:
    ///   - clock: sleeps between retries.
    ///   - now: the wall clock the timestamps are read from.
    ///   - metricsFactory: where the counters are made; by default the task's
    ///     `SecretsmithMetrics` override, else the bootstrapped `MetricsSystem`.
    package init(
        endpoints: [WebhookEndpoint], configuration: Configuration = Configuration(), httpClient: HTTPClient = .shared,
        clock: SecretManagerClock = .continuous, now: @escaping @Sendable () -> Date = { Date() },
        metricsFactory: (any MetricsFactory)? = nil, logger: Logger
    ) {
        let factory = metricsFactory ?? SecretsmithMetrics.factoryOverride ?? MetricsSystem.factory
        func counter(_ result: String) -> Counter {
            Counter(label: Self.deliveriesMetric, dimensions: [("result", result)], factory: factory)
        }
        deliveredCounter = counter("delivered")
        failedCounter = counter("failed")
        droppedCounter = counter("dropped")
        self.configuration = configuration
        self.httpClient = httpClient
        self.clock = clock
        self.now = now
        self.logger = logger
        queues = endpoints.map { endpoint in
            let (stream, continuation) = AsyncStream<Notification>.makeStream(
                bufferingPolicy: .bufferingOldest(max(1, configuration.queueCapacity)))
            return Queue(endpoint: endpoint, stream: stream, continuation: continuation)
        }
    }

    /// The counts so far.
    package var statistics: Statistics { counts.withLock { $0 } }

    /// Queues a notification of `event` for every URL; returns at once.
    ///
    /// - Returns: whether it was queued for every URL (false for an irrelevant event, with no
    ///   URL, or when a queue was full or shut down: those are counted as dropped).
    @discardableResult
    package func enqueue(_ event: SecretEvent) -> Bool {
        guard event.isRelevant, let body = Self.body(for: event), !queues.isEmpty else { return false }
        let notification = Notification(id: UUID().uuidString.lowercased(), body: body)
        var all = true
        for queue in queues {
            if case .enqueued = queue.continuation.yield(notification) { continue }
            all = false
            counts.withLock { $0.dropped += 1 }
            droppedCounter.increment()
            logger.warning(
                "A webhook notification was dropped: the queue is full or shut down.",
                metadata: ["url": "\(Self.redacted(queue.endpoint.url))"])
        }
        return all
    }

    /// Delivers queued notifications until cancelled; on graceful shutdown, stops taking
    /// new ones and gives each queued one a single attempt. Call it once.
    package func run() async throws {
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { group in
                for queue in queues {
                    group.addTask { await self.work(queue) }
                }
            }
        } onGracefulShutdown: {
            self.shutDownQueues()
        }
    }

    /// Stops taking notifications; the workers end when their queues are empty.
    package func shutDownQueues() {
        draining.store(true, ordering: .relaxed)
        for queue in queues { queue.continuation.finish() }
    }

    private func work(_ queue: Queue) async {
        for await notification in queue.stream {
            if Task.isCancelled { break }
            await deliver(notification, to: queue.endpoint)
        }
    }

    private func deliver(_ notification: Notification, to endpoint: WebhookEndpoint) async {
        var policy = configuration.retry
        if draining.load(ordering: .relaxed) { policy.maxAttempts = 1 }
        let runner = RetryRunner(policy: policy, clock: clock)
        let url = Self.redacted(endpoint.url)
        do {
            try await runner.run { _ in
                try await self.attempt(notification, to: endpoint)
            } decide: { error, _ in
                guard let refusal = error as? WebhookAnswer else { return .retry() }
                return refusal.isRetryable ? .retry(floor: refusal.retryAfter) : .stop
            } willRetry: { error, number, delay in
                self.logger.info(
                    "A webhook delivery failed; retrying.",
                    metadata: [
                        "url": "\(url)", "attempt": "\(number)", "delay_ms": "\(Int(delay.seconds * 1000))",
                        "error": "\(Self.describe(error))",
                    ])
            }
            counts.withLock { $0.delivered += 1 }
            deliveredCounter.increment()
            logger.debug("Delivered a webhook notification.", metadata: ["url": "\(url)", "delivery": "\(notification.id)"])
        } catch {
            counts.withLock { $0.failed += 1 }
            failedCounter.increment()
            logger.warning(
                "A webhook notification could not be delivered.",
                metadata: ["url": "\(url)", "delivery": "\(notification.id)", "error": "\(Self.describe(error))"])
        }
    }

    private func attempt(_ notification: Notification, to endpoint: WebhookEndpoint) async throws {
        let timestamp = String(Int64(now().timeIntervalSince1970))
        var request = HTTPClientRequest(url: endpoint.url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "secretsmith/\(SecretsmithVersion.current)")
        request.headers.add(name: Self.timestampHeader, value: timestamp)
        request.headers.add(
            name: Self.signatureHeader, value: Self.signature(key: endpoint.signingKey, timestamp: timestamp, body: notification.body))
        request.headers.add(name: Self.deliveryHeader, value: notification.id)
        request.body = .bytes(ByteBuffer(bytes: notification.body))
        let response = try await httpClient.execute(
            request, timeout: .nanoseconds(Int64(configuration.requestTimeout.seconds * 1e9)))
        _ = try? await response.body.collect(upTo: 64 * 1024)
        guard (200..<300).contains(response.status.code) else {
            let retryAfter = response.headers.first(name: "Retry-After").flatMap(Int64.init).map { Duration.seconds($0) }
            throw WebhookAnswer(status: Int(response.status.code), retryAfter: retryAfter)
        }
    }

    /// The notification body for `event`, or `nil` when it names no secret.
    package static func body(for event: SecretEvent) -> [UInt8]? {
        guard let secret = event.secret else { return nil }
        struct Body: Encodable {
            var eventType: String
            var secret: String
            var version: Int?
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(Body(eventType: event.type.rawValue, secret: secret.name, version: event.versionNumber)))
            .map(Array.init)
    }

    /// `sha256=` and the lowercase hex of `HMAC-SHA256(key, TIMESTAMP "." BODY)`.
    package static func signature(key: [UInt8], timestamp: String, body: [UInt8]) -> String {
        var message = Array(timestamp.utf8)
        message.append(UInt8(ascii: "."))
        message += body
        let mac = HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: key))
        return "sha256=" + StaticTokenFile.hex(Array(mac))
    }

    /// A URL for logs: scheme, host, port and path; no query, fragment or user info.
    package static func redacted(_ url: String) -> String {
        guard var components = URLComponents(string: url) else { return "(an invalid URL)" }
        components.query = nil
        components.fragment = nil
        components.user = nil
        components.password = nil
        return components.string ?? "(an invalid URL)"
    }

    private static func describe(_ error: any Error) -> String {
        if let answer = error as? WebhookAnswer { return "HTTP status \(answer.status)" }
        if let error = error as? HTTPClientError { return "\(error)" }
        return shortDescription(of: error)
    }
}

/// A webhook's answer other than 2xx.
struct WebhookAnswer: Error {
    var status: Int
    var retryAfter: Duration?

    /// 408, 425, 429 and 5xx are worth retrying.
    var isRetryable: Bool { status == 408 || status == 425 || status == 429 || status >= 500 }
}
