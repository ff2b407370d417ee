import CoreMetrics
import Metrics

/// The metrics of `secretsmith watch` (swift-metrics; the CLI exposes them through
/// `--metrics-file`). Labels: event types from a fixed set
/// (``SecretEventType/metricLabel``), refresh results from a fixed set, and output names
/// from the configuration; never a secret name or a value.
package enum WatchMetrics {
    package static let events = "secretsmith_watch_events_total"
    package static let refreshes = "secretsmith_watch_refreshes_total"
    package static let lastSuccess = "secretsmith_watch_last_success_timestamp_seconds"
    package static let outputVersion = "secretsmith_watch_output_version"
    package static let outputStale = "secretsmith_watch_output_stale"
    package static let pullFailures = "secretsmith_watch_pubsub_pull_failures_total"
    package static let polls = "secretsmith_watch_polls_total"

    /// Help text per metric name (added to the exposition as `# HELP` lines).
    package static let help: [String: String] = [
        events: "Secret Manager events received from Pub/Sub, by event type (UNKNOWN for types secretsmith does not know).",
        refreshes: "Refreshes by result: changed (a file was replaced), unchanged, failed (last good files kept).",
        lastSuccess: "When a refresh last succeeded (or the first render), in seconds since the Unix epoch.",
        outputVersion: "The secret version an output was last rendered from (the largest, when it reads several).",
        outputStale: "1 when a change is known that the output's file does not have yet (a failed or pending refresh), else 0.",
        pullFailures: "Pub/Sub pulls that failed (the subscription unreachable or refusing); polling goes on.",
        polls: "Polls of version metadata by result: unchanged, changed, failed.",
    ]

    private static var factory: any MetricsFactory { SecretsmithMetrics.factoryOverride ?? MetricsSystem.factory }

    static func recordEvent(_ type: SecretEventType) {
        Counter(label: events, dimensions: [("type", type.metricLabel)], factory: factory).increment()
    }

    static func recordRefresh(_ result: String) {
        Counter(label: refreshes, dimensions: [("result", result)], factory: factory).increment()
    }

    static func recordSuccess(at secondsSinceEpoch: Double) {
        Gauge(label: lastSuccess, dimensions: [], factory: factory).record(secondsSinceEpoch)
    }

    static func recordOutput(_ name: String, version: Int?, stale: Bool) {
        if let version {
            Gauge(label: outputVersion, dimensions: [("output", name)], factory: factory).record(version)
        }
        Gauge(label: outputStale, dimensions: [("output", name)], factory: factory).record(stale ? 1 : 0)
    }

    static func recordPullFailure() {
        Counter(label: pullFailures, dimensions: [], factory: factory).increment()
    }

    static func recordPoll(_ result: String) {
        Counter(label: polls, dimensions: [("result", result)], factory: factory).increment()
    }
}
