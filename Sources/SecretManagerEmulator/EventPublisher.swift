import AsyncHTTPClient
import Foundation
import Logging
import Secretsmith
import ServiceLifecycle

/// Publishes the emulator's event notifications to a Pub/Sub emulator over Pub/Sub's REST
/// v1 API (`POST /v1/projects/P/topics/T:publish`), plain HTTP without credentials, one
/// message per topic of the secret.
///
/// The router publishes after a change is stored and before it answers, so a test that
/// pulls after the answer finds the messages (real Secret Manager delivers them
/// asynchronously). A message that cannot be published (a topic that does not exist, the
/// Pub/Sub emulator down) is logged with its event type, topic and secret name (never
/// data) and counted in ``EmulatorStats/eventsFailed``; the Secret Manager request
/// succeeds anyway.
final class EventPublisher: Sendable {
    private let client: PubSubClient
    private let httpClient: HTTPClient
    private let state: EmulatorState
    private let logger: Logger

    /// The time allowed for one publish attempt.
    static let publishTimeout: Duration = .seconds(5)

    /// - Parameter host: `HOST:PORT` of the Pub/Sub emulator (as `PUBSUB_EMULATOR_HOST`).
    /// - Throws: ``SecretManagerEmulator/LifecycleError/invalidPubSubEmulatorHost(_:)``
    ///   when `host` is not `HOST:PORT`.
    init(host: String, state: EmulatorState, logger: Logger) throws {
        let endpoint: PubSubEndpoint
        do {
            endpoint = try PubSubEndpoint.resolve(environment: [PubSubEndpoint.emulatorHostVariable: host])
        } catch {
            throw SecretManagerEmulator.LifecycleError.invalidPubSubEmulatorHost(host)
        }
        httpClient = HTTPClient(
            eventLoopGroupProvider: .singleton,
            configuration: MultiEnvironmentSecretManager.recommendedHTTPClientConfiguration(concurrency: 8))
        client = PubSubClient(
            httpClient: httpClient, endpoint: endpoint, tokenProvider: nil, logger: logger,
            retry: RetryPolicy(maxAttempts: 2, initialBackoff: .milliseconds(100), maxBackoff: .milliseconds(500)))
        self.state = state
        self.logger = logger
    }

    /// Publishes each notification to each of its topics, in order; counts every message.
    func publish(_ notifications: [EventNotification]) async {
        for notification in notifications {
            for topic in notification.topics {
                let message = PubSubMessage(data: notification.data, attributes: notification.attributes)
                do {
                    _ = try await client.publish(topic: topic, messages: [message], timeout: Self.publishTimeout)
                    await state.recordPublication(notification.type, published: true)
                    logger.debug(
                        "event notification published",
                        metadata: [
                            "emulator.event_type": "\(notification.type)", "emulator.topic": "\(topic)",
                            "gcp.resource": "\(notification.attributes["secretId"] ?? "")",
                        ])
                } catch {
                    await state.recordPublication(notification.type, published: false)
                    let code = (error as? PubSubError)?.code.rawValue ?? "\(type(of: error))"
                    logger.warning(
                        "event notification not published",
                        metadata: [
                            "emulator.event_type": "\(notification.type)", "emulator.topic": "\(topic)",
                            "gcp.resource": "\(notification.attributes["secretId"] ?? "")",
                            "error.code": "\(code)",
                        ])
                }
            }
        }
    }

    /// Shuts the HTTP client down.
    func shutdown() async {
        try? await httpClient.shutdown()
    }
}

/// The emulator's rotation clock work: every ``interval`` it publishes `SECRET_ROTATE` for
/// the rotation schedules that are due and advances them. Part of the emulator's service
/// group; ends with a graceful shutdown or cancellation.
struct RotationScheduler: Service {
    let state: EmulatorState
    let interval: Duration

    func run() async throws {
        let state = state
        let interval = interval
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try await Task.sleep(for: interval)
                _ = await Self.runDue(state)
            }
        }
    }

    /// Fires every rotation due now and publishes the notifications.
    ///
    /// - Returns: The secrets rotated.
    static func runDue(_ state: EmulatorState) async -> [String] {
        let (secrets, notifications) = await state.runDueRotations()
        if !notifications.isEmpty, let publisher = await state.currentPublisher() {
            await publisher.publish(notifications)
        }
        return secrets
    }
}
