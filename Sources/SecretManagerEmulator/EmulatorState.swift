import Foundation

/// Everything mutable in a running emulator, behind one actor: the secrets, the request
/// counters and the fault rules (with their counts and random generator).
actor EmulatorState {
    private var store: SecretStore
    private var counters = EmulatorStats()
    private var injector: FaultInjector

    /// - Parameters:
    ///   - seed: The initial secrets.
    ///   - faults: The initial fault rules.
    ///   - now: The wall clock for `createTime` and `destroyTime` (tests may fix it).
    init(seed: EmulatorSeed, faults: FaultConfiguration, now: @escaping @Sendable () -> Date = Date.init) {
        store = SecretStore(seed: seed, now: now)
        injector = FaultInjector(faults)
    }

    /// Counts an API request and decides its faults (counted too).
    func begin(_ method: EmulatorMethod, resource: String) -> FaultPlan {
        counters.recordRequest(method, resource: resource)
        let plan = injector.plan(method: method, resource: resource)
        counters.recordFaults(plan.firedKinds)
        return plan
    }

    /// Handles an API request against the secrets.
    ///
    /// - Throws: ``GoogleAPIError`` with Google's status for every failure.
    func handle(_ request: APIRequest) throws(GoogleAPIError) -> JSONValue {
        try store.handle(request)
    }

    /// Counts an answer's HTTP status.
    func recordStatus(_ code: Int) {
        counters.recordStatus(code)
    }

    /// Counts a request answered with the HTML 404 page.
    func recordUnknownPath() {
        counters.unknownPaths += 1
    }

    /// The counters so far.
    func stats() -> EmulatorStats {
        counters
    }

    /// Zeroes the counters (fault rules keep their counts).
    func resetStats() {
        counters = EmulatorStats()
    }

    /// The fault rules in force.
    func faults() -> FaultConfiguration {
        injector.configuration
    }

    /// Replaces the fault rules, restarting their counts.
    func setFaults(_ configuration: FaultConfiguration) {
        injector = FaultInjector(configuration)
    }
}
