import Foundation

/// Everything mutable in a running emulator, behind one actor: the secrets, the request
/// counters and the fault rules (with their counts and random generator).
actor EmulatorState {
    private var store: SecretStore
    var counters = EmulatorStats()
    private var injector: FaultInjector
    /// Accounts, issued tokens and grants (see `EmulatorState+Auth.swift`).
    var authority: EmulatorAuthority

    /// - Parameters:
    ///   - seed: The initial secrets, accounts and grants.
    ///   - configuration: The initial fault rules and the authentication settings.
    ///   - now: The wall clock for `createTime`, `destroyTime` and token expiry (tests may fix it).
    init(seed: EmulatorSeed, configuration: EmulatorConfiguration, now: @escaping @Sendable () -> Date = Date.init) {
        store = SecretStore(seed: seed, now: now)
        injector = FaultInjector(configuration.faults)
        authority = EmulatorAuthority(seed: seed, configuration: configuration, wallClock: now)
    }

    /// Counts an API request and decides its faults (counted too).
    func begin(_ method: EmulatorMethod, resource: String, traceparent: String? = nil) -> FaultPlan {
        counters.recordRequest(method, resource: resource)
        counters.recordTraceparent(traceparent)
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

    /// Zeroes the counters and forgets recorded impersonation requests (fault rules keep
    /// their counts).
    func resetStats() {
        counters = EmulatorStats()
        authority.forgetImpersonations()
    }

    /// The fault rules in force.
    func faults() -> FaultConfiguration {
        injector.configuration
    }

    /// Replaces the fault rules, restarting their counts.
    func setFaults(_ configuration: FaultConfiguration) {
        injector = FaultInjector(configuration)
    }

    // MARK: Injected delays

    /// The injected delays in progress, by id; cancelled by ``cutDelays()``.
    private var delays: [Int: Task<Void, any Error>] = [:]
    private var nextDelayID = 0
    /// Set by ``cutDelays()`` until ``resumeDelays()``: new delays end at once.
    private var delaysCut = false

    /// Starts an injected delay (latency, stall) and registers it so a stop can cut it
    /// short; the caller awaits the task, then calls ``endDelay(_:)``.
    func beginDelay(_ duration: Duration) -> (id: Int, task: Task<Void, any Error>) {
        let task = Task { try await Task.sleep(for: duration) }
        nextDelayID += 1
        if delaysCut {
            task.cancel()
        } else {
            delays[nextDelayID] = task
        }
        return (nextDelayID, task)
    }

    /// Forgets a finished delay.
    func endDelay(_ id: Int) {
        delays[id] = nil
    }

    /// Cancels every injected delay in progress and every later one, for a stop: the
    /// server then closes their connections without an answer.
    func cutDelays() {
        delaysCut = true
        for task in delays.values { task.cancel() }
        delays.removeAll()
    }

    /// Lets injected delays run again (a restarted emulator).
    func resumeDelays() {
        delaysCut = false
    }
}
