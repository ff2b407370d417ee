import CoreMetrics
import Metrics
import Synchronization

/// The metrics `secretsmith serve` records about its own requests, through swift-metrics
/// (labels: route names and HTTP statuses, auth failure reasons; never a principal, a
/// secret name, a token or a value).
package final class ServerMetrics: Sendable {
    package static let requests = "secretsmith_serve_requests_total"
    package static let requestDuration = "secretsmith_serve_request_duration_seconds"
    package static let rateLimited = "secretsmith_serve_rate_limited_total"
    package static let authFailures = "secretsmith_serve_auth_failures_total"
    package static let policyDenials = "secretsmith_serve_policy_denials_total"
    package static let inFlight = "secretsmith_serve_requests_in_flight"

    /// Help text per metric name, for the exposition's `# HELP` lines.
    package static let help: [String: String] = [
        requests: "Requests answered by route and HTTP status.",
        requestDuration: "Time to answer one request by route, in seconds.",
        rateLimited: "Requests refused with 429 because the principal's token bucket was empty.",
        authFailures: "Requests refused with 401 or 503 by authentication, by reason (missing, invalid, unavailable).",
        policyDenials: "Requests refused with 403 by the serve policy, by route.",
        inFlight: "Requests being answered now.",
    ]

    private let factory: any MetricsFactory
    private struct RouteStatus: Hashable {
        var route: String
        var status: Int
    }
    private let counters = Mutex<[RouteStatus: Counter]>([:])
    private let timers = Mutex<[String: Metrics.Timer]>([:])
    private let inFlightGauge: Meter
    private let rateLimitedCounter: Counter

    /// - Parameter factory: where the metrics go (the bootstrapped factory by default).
    package init(factory: (any MetricsFactory)? = nil) {
        let factory = factory ?? MetricsSystem.factory
        self.factory = factory
        inFlightGauge = Meter(label: Self.inFlight, dimensions: [], factory: factory)
        rateLimitedCounter = Counter(label: Self.rateLimited, dimensions: [], factory: factory)
    }

    /// One answered request.
    package func recordRequest(route: String, status: Int, duration: Duration) {
        let key = RouteStatus(route: route, status: status)
        let counter = counters.withLock { counters in
            if let existing = counters[key] { return existing }
            let created = Counter(
                label: Self.requests, dimensions: [("route", route), ("status", String(status))], factory: factory)
            counters[key] = created
            return created
        }
        counter.increment()
        let timer = timers.withLock { timers in
            if let existing = timers[route] { return existing }
            let created = Metrics.Timer(
                label: Self.requestDuration, dimensions: [("route", route)], preferredDisplayUnit: .seconds,
                factory: factory)
            timers[route] = created
            return created
        }
        timer.recordNanoseconds(
            duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000)
    }

    package func requestStarted() { inFlightGauge.increment() }
    package func requestFinished() { inFlightGauge.decrement() }

    package func recordRateLimited() { rateLimitedCounter.increment() }

    /// A request authentication refused: `missing` (no bearer token), `invalid` (no
    /// authenticator accepted it), `unavailable` (an issuer's keys could not be had).
    package func recordAuthFailure(reason: String) {
        Counter(label: Self.authFailures, dimensions: [("reason", reason)], factory: factory).increment()
    }

    package func recordPolicyDenial(route: String) {
        Counter(label: Self.policyDenials, dimensions: [("route", route)], factory: factory).increment()
    }
}
