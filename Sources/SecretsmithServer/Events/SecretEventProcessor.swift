import Logging
import Secretsmith

/// A cache that Secret Manager events invalidate: the service's
/// `MultiEnvironmentSecretManager`, or a test double that records the events.
package protocol CacheInvalidating: Sendable {
    /// Drops the cached entries `event` may have changed.
    ///
    /// - Returns: how many entries (and calls under way) were dropped.
    func invalidateCache(for event: SecretEvent) async -> Int
}

extension MultiEnvironmentSecretManager: CacheInvalidating {}

/// What happens to a Secret Manager event once it is authenticated and parsed, whichever
/// way it arrived (a Pub/Sub push to `serve`, or a pull subscription): the cache entries it
/// can affect are dropped, and the configured webhooks are told.
///
/// An irrelevant event (``SecretEvent/isRelevant`` false: a `TOPIC_CONFIGURED` test, a
/// rotation reminder, an unknown type) changes nothing and is only logged at debug level.
/// Every relevant event is sent to the webhooks, whether or not this instance had cached
/// entries for it (another instance or the receiver may have).
package struct SecretEventProcessor: Sendable {
    /// The outcome of one event.
    package struct Result: Sendable, Hashable {
        /// Whether the event could change what a reader gets.
        package var relevant: Bool
        /// How many cache entries it dropped.
        package var invalidated: Int
        /// Whether a webhook notification was queued (false without webhooks, for an
        /// irrelevant event, or when the queue was full).
        package var notified: Bool
    }

    private let cache: any CacheInvalidating
    private let webhooks: WebhookNotifier?
    private let logger: Logger

    package init(cache: any CacheInvalidating, webhooks: WebhookNotifier? = nil, logger: Logger) {
        self.cache = cache
        self.webhooks = webhooks
        self.logger = logger
    }

    /// Invalidates and notifies for one event; never throws and never waits for a webhook.
    ///
    /// - Parameter source: where the event came from, for the log line (`pubsub_push`, `pubsub_pull`).
    @discardableResult
    package func process(_ event: SecretEvent, source: String) async -> Result {
        var metadata: Logger.Metadata = [
            "source": "\(source)", "event_type": "\(event.type.metricLabel)",
            "secret": "\(event.secret?.name ?? "-")",
        ]
        if let messageID = event.messageID { metadata["message_id"] = "\(SecretEventProcessor.printable(messageID))" }
        if let number = event.versionNumber { metadata["version"] = "\(number)" }
        guard event.isRelevant else {
            if case .irrelevant(let reason) = event.relevance { metadata["reason"] = "\(reason)" }
            logger.debug("Ignored a Secret Manager event that changes nothing a reader gets.", metadata: metadata)
            return Result(relevant: false, invalidated: 0, notified: false)
        }
        let dropped = await cache.invalidateCache(for: event)
        let notified = webhooks?.enqueue(event) ?? false
        metadata["invalidated"] = "\(dropped)"
        logger.info("A Secret Manager event invalidated the cache entries it can affect.", metadata: metadata)
        return Result(relevant: true, invalidated: dropped, notified: notified)
    }

    /// A sender's string for a log line: at most 64 printable ASCII characters.
    static func printable(_ value: String) -> String {
        String(value.unicodeScalars.prefix(64).map { $0.value >= 0x20 && $0.value < 0x7F ? Character($0) : "?" })
    }
}
