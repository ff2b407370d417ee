/// Decides, request by request, which fault rules fire: keeps each rule's count of
/// firings and the seeded generator behind `rate` and jitter.
///
/// A value type owned by ``EmulatorState`` (an actor), so decisions are serialised.
struct FaultInjector: Sendable {
    /// The configuration in force.
    private(set) var configuration: FaultConfiguration
    /// How many times each rule has fired, by index into `configuration.rules`.
    private var firings: [Int]
    private var generator: SeededRandomNumberGenerator

    init(_ configuration: FaultConfiguration) {
        self.configuration = configuration
        firings = Array(repeating: 0, count: configuration.rules.count)
        generator = SeededRandomNumberGenerator(seed: configuration.seed)
    }

    /// Decides the faults of one request and counts the rules that fire.
    ///
    /// - Parameters:
    ///   - method: The request's API method.
    ///   - resource: The resource name as requested.
    mutating func plan(method: EmulatorMethod, resource: String) -> FaultPlan {
        var plan = FaultPlan()
        for (index, rule) in configuration.rules.enumerated() {
            guard rule.matches(method: method, resource: resource) else { continue }
            if rule.kind.decidesAnswer, plan.outcome != nil { continue }
            if let count = rule.count, firings[index] >= count { continue }
            if rule.rate < 1, Double.random(in: 0..<1, using: &generator) >= rule.rate { continue }
            firings[index] += 1
            plan.firedKinds.append(rule.kind.name)
            switch rule.kind {
            case .latency(let milliseconds, let jitter):
                // Clamped to the validated bound, so a rule built in code cannot overflow.
                let bound = FaultRule.maximumDelayMilliseconds
                let base = min(max(milliseconds, 0), bound)
                let spread = min(max(jitter, 0), bound - base)
                let extra = spread > 0 ? Int.random(in: 0...spread, using: &generator) : 0
                plan.latency += .milliseconds(base + extra)
            case .stall(let seconds):
                let clamped = seconds > 86_400 ? 86_400 : (seconds >= 0 ? seconds : 0)
                plan.stall += .milliseconds(Int64((clamped * 1000).rounded()))
            case .error(let httpStatus, let status):
                plan.outcome = .error(GoogleAPIError(
                    httpStatus: httpStatus,
                    status: status ?? GoogleAPIError.canonicalStatus(forHTTPStatus: httpStatus),
                    message: "Injected fault: the service answered \(httpStatus)."))
            case .resourceExhausted(let seconds):
                plan.outcome = .error(GoogleAPIError(
                    httpStatus: 429, status: "RESOURCE_EXHAUSTED",
                    message: "Quota exceeded for quota metric 'Access requests' (injected fault).",
                    retryAfterSeconds: seconds))
            case .dropConnection:
                plan.outcome = .dropConnection
            case .wrongChecksum:
                plan.wrongChecksum = true
            }
        }
        return plan
    }
}
