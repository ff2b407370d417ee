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
    /// Secret Manager's clock (`createTime`, `destroyTime`, rotation schedules), which the
    /// admin endpoint `/_emulator/clock` can move ahead; authentication keeps the wall clock.
    nonisolated let clock: EmulatorClock
    /// The accepted TCP connections, counted by the server as they arrive.
    nonisolated let connections = ConnectionCounter()

    init(seed: EmulatorSeed, configuration: EmulatorConfiguration, now: @escaping @Sendable () -> Date = Date.init) {
        let clock = EmulatorClock(wallClock: now)
        self.clock = clock
        store = SecretStore(seed: seed, now: { clock.now() })
        injector = FaultInjector(configuration.faults)
        authority = EmulatorAuthority(seed: seed, configuration: configuration, wallClock: now)
    }

    /// Counts an API request and decides its faults (counted too).
    func begin(
        _ method: EmulatorMethod, resource: String, traceparent: String? = nil, httpVersion: String? = nil
    ) -> FaultPlan {
        counters.recordRequest(method, resource: resource)
        if let httpVersion { counters.httpVersions[httpVersion, default: 0] += 1 }
        counters.recordTraceparent(traceparent)
        let plan = injector.plan(method: method, resource: resource)
        counters.recordFaults(plan.firedKinds)
        return plan
    }

    /// Handles an API request against the secrets.
    ///
    /// - Throws: ``GoogleAPIError`` with Google's status for every failure.
    /// - Returns: The answer and the event notifications of the change (none for reads and
    ///   failures), to publish before answering.
    func handle(_ request: APIRequest) throws(GoogleAPIError) -> (answer: JSONValue, notifications: [EventNotification]) {
        do {
            let answer = try store.handle(request)
            return (answer, store.takeNotifications())
        } catch {
            _ = store.takeNotifications()
            throw error
        }
    }

    /// Advances every rotation schedule that is due by Secret Manager's clock.
    ///
    /// - Returns: The secrets rotated and the `SECRET_ROTATE` notifications to publish.
    func runDueRotations() -> (secrets: [String], notifications: [EventNotification]) {
        let secrets = store.runDueRotations()
        return (secrets, store.takeNotifications())
    }

    /// Where event notifications go while serving with a Pub/Sub emulator host, else `nil`.
    private var publisher: EventPublisher?

    /// The publisher in use, if any.
    func currentPublisher() -> EventPublisher? { publisher }

    /// Sets (at start) or clears (at stop) the publisher.
    func setPublisher(_ publisher: EventPublisher?) {
        self.publisher = publisher
    }

    /// Counts one published (or failed) event notification message.
    func recordPublication(_ type: String, published: Bool) {
        counters.recordPublication(type, published: published)
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
        var stats = counters
        stats.connections = connections.value
        return stats
    }

    /// Zeroes the counters and forgets recorded impersonation requests (fault rules keep
    /// their counts).
    func resetStats() {
        counters = EmulatorStats()
        connections.reset()
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
