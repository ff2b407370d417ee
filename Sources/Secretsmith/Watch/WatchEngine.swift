import Foundation
import Logging

/// Keeps rendered outputs current: the engine of `secretsmith watch`.
///
/// ``start()`` renders the selected outputs as `render` does (all or nothing); ``run()``
/// then listens until its task is cancelled:
/// - one pull loop per Pub/Sub subscription (``PubSubClient``): each message becomes a
///   ``SecretEvent``; events that change nothing an output reads (irrelevant types,
///   secrets no output uses, versions older than the one in use) are acknowledged at once,
///   the others join the pending refresh;
/// - a polling loop (when `watch.poll_interval` is set): every interval plus a random
///   jitter, the metadata (never the payload) of every reference that can move (`latest`,
///   aliases; pinned numbers too with `watch.check_pinned`) is compared with the version
///   in use;
/// - one refresher: after the first pending change it waits the debounce window
///   (everything arriving meanwhile joins), then a random splay, drops the affected cache
///   entries, fetches and renders only the affected outputs and writes those whose bytes
///   changed (atomically; unchanged files are not touched), then acknowledges the
///   messages of the refresh and calls the reaction.
///
/// Delivery is at least once and unordered: handling is idempotent (a refresh that finds
/// nothing new changes nothing), and versions are compared by number: an event older
/// than the version in use is acknowledged and ignored, and a `latest` that reads older
/// than the version in use (Secret Manager's `latest` is eventually consistent) is not
/// written but retried.
///
/// A failed refresh (Secret Manager unreachable, an open breaker, a version disabled or
/// destroyed) keeps the last good files, logs a warning, counts it, marks its outputs
/// stale and is retried with backoff (1 s doubling to 1 min) until it succeeds. Its
/// messages are not acknowledged until then: Pub/Sub delivers them again after the
/// subscription's ack deadline (they join the pending refresh, not a new one), and a
/// watcher that dies meanwhile leaves them to its successor.
package actor WatchEngine {
    /// What one refresh did, for the reactions (on_change commands, a child).
    package struct Refresh: Sendable {
        /// The outputs that were refreshed (successfully).
        package var refreshedOutputs: [String]
        /// The outputs whose bytes changed (files replaced, or in-memory outputs
        /// changed), in the configuration's order.
        package var changedOutputs: [String]
        /// The outputs whose refresh failed (their files are the last good ones).
        package var failedOutputs: [String]
        /// Every selected output as last rendered, in memory: holds secret values.
        package var rendered: [String: RenderedOutput]
        /// Whether this was the first render.
        package var initial: Bool
    }

    /// Where changes come from.
    package struct Sources: Sendable {
        /// Pub/Sub subscriptions and the client for each.
        package var subscriptions: [(name: String, client: PubSubClient)]

        package init(subscriptions: [(name: String, client: PubSubClient)]) {
            self.subscriptions = subscriptions
        }
    }

    /// Pending work: what the next refresh covers.
    struct Pending {
        var outputs: Set<String> = []
        var events: [String: SecretEvent] = [:]
        var anonymousEvents: [SecretEvent] = []
        var keys: Set<RenderPlan.FetchKey> = []
        /// subscription → message id → the newest ack id.
        var acks: [String: [String: String]] = [:]

        var isEmpty: Bool { outputs.isEmpty }

        mutating func merge(_ other: Pending) {
            outputs.formUnion(other.outputs)
            events.merge(other.events) { _, new in new }
            anonymousEvents += other.anonymousEvents
            keys.formUnion(other.keys)
            for (subscription, ids) in other.acks { acks[subscription, default: [:]].merge(ids) { _, new in new } }
        }
    }

    package let pipeline: RenderPipeline
    package let options: RenderPipeline.Options
    package let settings: WatchSettings
    package let sources: Sources
    package let logger: Logger
    private let clock: SecretManagerClock
    private let random: @Sendable (Duration) -> Duration
    /// Outputs rendered in memory only (a child's environment), never written.
    private let memoryOutputs: Set<String>
    private let reaction: @Sendable (Refresh) async -> Void
    private let metricsChanged: @Sendable () -> Void

    private var plan = RenderPlan(outputs: [])
    /// The version number each distinct reference resolved to at its last successful fetch.
    private var inUse: [RenderPlan.FetchKey: Int] = [:]
    private var rendered: [String: RenderedOutput] = [:]
    /// The payloads last read, for the variables of ``memoryOutputs``; empty without them.
    private var values: [RenderPlan.FetchKey: SecretValue] = [:]
    private var stale: Set<String> = []
    private var pending = Pending()
    private var staleReads = 0
    private var failureStreak = 0
    private var wake: AsyncStream<Void>.Continuation?
    /// Ends the backoff under way after a failed refresh (set only while one is).
    private var backoffInterrupt: AsyncStream<Void>.Continuation?
    private let wakeups: AsyncStream<Void>

    /// Backoff of a failed refresh and of a failed pull: 1 s doubling to this.
    package static let maxBackoff: Duration = .seconds(60)
    /// How many times a `latest` that reads older than the version in use is retried
    /// before it is believed (a secret deleted and created again numbers from 1).
    package static let staleReadRetries = 3

    /// - Parameters:
    ///   - pipeline: the pipeline (its manager, cache and breakers) every render goes through.
    ///   - options: the selection (`environment`, `only`) and deadline of every render;
    ///     its destination is ignored (files are written, except `memoryOutputs`).
    ///   - settings: the active environment's `watch:` settings.
    ///   - sources: the Pub/Sub subscriptions to pull; polling follows `settings`.
    ///   - memoryOutputs: output names rendered but not written (those that feed a child's
    ///     environment); their changes are found by comparing bytes.
    ///   - clock: the time source of the debounce, splay, backoff and poll interval.
    ///   - random: a uniformly random duration from zero up to its argument (splay, jitter).
    ///   - reaction: called after every refresh attempt, in order, never concurrently.
    ///   - metricsChanged: called when the watch metrics changed outside a refresh (events
    ///     handled, a poll, a failed pull), e.g. to rewrite a metrics file.
    package init(
        pipeline: RenderPipeline, options: RenderPipeline.Options, settings: WatchSettings, sources: Sources,
        memoryOutputs: Set<String> = [], logger: Logger, clock: SecretManagerClock = .continuous,
        random: @escaping @Sendable (Duration) -> Duration = WatchEngine.uniformDelay,
        reaction: @escaping @Sendable (Refresh) async -> Void = { _ in },
        metricsChanged: @escaping @Sendable () -> Void = {}
    ) {
        self.pipeline = pipeline
        self.options = options
        self.settings = settings
        self.sources = sources
        self.memoryOutputs = memoryOutputs
        self.logger = logger
        self.clock = clock
        self.random = random
        self.reaction = reaction
        self.metricsChanged = metricsChanged
        (wakeups, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// A uniformly random duration in `0...maximum` (zero for a zero or negative maximum).
    package static func uniformDelay(_ maximum: Duration) -> Duration {
        var generator = SystemRandomNumberGenerator()
        return uniformDelay(maximum, using: &generator)
    }

    /// ``uniformDelay(_:)`` with a given generator (tests).
    package static func uniformDelay(_ maximum: Duration, using generator: inout some RandomNumberGenerator) -> Duration {
        let nanoseconds = maximum.nonNegativeNanoseconds
        guard nanoseconds > 0 else { return .zero }
        return .nanoseconds(Int64.random(in: 0...nanoseconds, using: &generator))
    }

    // MARK: Start

    /// The first render, exactly as `render` does it: every selected output fetched and
    /// rendered before anything is written, all or nothing.
    ///
    /// - Returns: the first render's outcome (reports, plan).
    /// - Throws: what ``RenderPipeline/run(_:checkingPlan:)`` throws; nothing is written then.
    @discardableResult
    package func start(checkingPlan: (RenderPlan) throws -> Void = { _ in }) async throws -> (
        plan: RenderPlan, reports: [OutputReport], rendered: [RenderedOutput], values: [RenderPlan.FetchKey: SecretValue]
    ) {
        var options = self.options
        options.destination = .files
        // The plan is rendered on every change for the whole run: its templates stay in
        // memory as parsed.
        options.keepsLargeTemplatesInFile = false
        let plan = try pipeline.plan(options)
        let environmentOutputs = plan.filter { memoryOutputs.contains($0.output.name) }
        let conflicts = ExecEnvironment.conflicts(in: environmentOutputs)
        if !conflicts.isEmpty { throw RenderFailure(problems: conflicts) }
        try checkingPlan(plan)
        let files = plan.filter { !memoryOutputs.contains($0.output.name) }
        if !files.outputs.isEmpty {
            let problems = files.destinationProblems(configuration: pipeline.manager.configuration)
            if !problems.isEmpty { throw RenderFailure(problems: problems) }
        }
        let renderer = pipeline.renderer
        let (values, fetchProblems) = try await renderer.fetchCollecting(plan, deadline: deadline)
        let outputs = try renderer.render(plan, values: values, fetchProblems: fetchProblems)
        let reports = try renderer.write(outputs.filter { !memoryOutputs.contains($0.output.name) }, dryRun: false)
        if !environmentOutputs.outputs.isEmpty {
            // As exec: a value an environment variable cannot hold fails the first render.
            _ = try ExecEnvironment.variables(of: environmentOutputs, values: values)
            self.values = values.filter { key, _ in environmentOutputs.distinctSecrets[key] != nil }
        }
        self.plan = plan
        for (key, value) in values { if let version = value.version { inUse[key] = version } }
        for output in outputs { rendered[output.output.name] = output }
        recordOutputs(plan.outputs.map(\.output.name))
        WatchMetrics.recordSuccess(at: Date().timeIntervalSince1970)
        logger.info(
            "watch: first render done",
            metadata: [
                "outputs": "\(plan.outputs.map(\.output.name).joined(separator: ","))",
                "changed": "\(reports.filter(\.changed).map(\.name).joined(separator: ","))",
            ])
        return (plan, reports, outputs, values)
    }

    private var deadline: Duration? { pipeline.deadline(options) }

    // MARK: Run

    /// Watches until the task is cancelled (then returns: a refresh under way is
    /// abandoned between writes, never in the middle of one).
    package func run() async {
        await withTaskGroup(of: Void.self) { group in
            for subscription in sources.subscriptions {
                group.addTask { await self.pullLoop(subscription.name, client: subscription.client) }
            }
            if let interval = settings.pollInterval {
                group.addTask { await self.pollLoop(interval: interval) }
            }
            group.addTask { await self.refreshLoop() }
            await group.waitForAll()
        }
    }

    /// Asks for a refresh of every output (the cache dropped for all of their references),
    /// as on SIGHUP without a child.
    package func refreshAll() {
        var work = Pending()
        work.outputs = Set(plan.outputs.map(\.output.name))
        work.keys = Set(plan.distinctSecrets.keys)
        submit(work)
    }

    private func submit(_ work: Pending) {
        guard !work.isEmpty || !work.acks.isEmpty else { return }
        pending.merge(work)
        for name in work.outputs where !stale.contains(name) {
            stale.insert(name)
            recordOutputs([name])
        }
        wake?.yield()
        // New work (an event or a poll, never the failed refresh's own retry) ends a backoff
        // early: the change it brings (a new version after a disabled one) may be the fix.
        backoffInterrupt?.yield()
    }

    // MARK: Refresher

    private func refreshLoop() async {
        for await _ in wakeups {
            while !pending.isEmpty {
                do {
                    try await clock.sleep(settings.debounce)
                    let splay = random(settings.splay)
                    if splay > .zero { try await clock.sleep(splay) }
                } catch {
                    return
                }
                let work = pending
                pending = Pending()
                let succeeded = await refresh(work)
                if Task.isCancelled { return }
                if !succeeded {
                    failureStreak += 1
                    await waitForBackoff(Self.backoff(attempt: failureStreak))
                    if Task.isCancelled { return }
                } else {
                    failureStreak = 0
                }
            }
        }
    }

    /// Sleeps `backoff` after a failed refresh, or less when new work is submitted meanwhile.
    private func waitForBackoff(_ backoff: Duration) async {
        let (interrupts, interrupt) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        backoffInterrupt = interrupt
        let clock = self.clock
        await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await clock.sleep(backoff) }
            group.addTask {
                for await _ in interrupts { return }
            }
            await group.next()
            group.cancelAll()
        }
        interrupt.finish()
        backoffInterrupt = nil
    }

    /// 1 s, 2 s, 4 s, ... up to ``maxBackoff``.
    package static func backoff(attempt: Int) -> Duration {
        let exponent = min(max(attempt - 1, 0), 16)
        return min(.seconds(1 << exponent), maxBackoff)
    }

    /// One refresh of `work`; `true` when every output of it is current on disk.
    private func refresh(_ work: Pending) async -> Bool {
        let started = clock.now()
        let manager = pipeline.manager
        for event in Array(work.events.values) + work.anonymousEvents {
            await manager.invalidateCache(for: event)
        }
        for key in work.keys {
            manager.cache.invalidate { $0.environment == key.environment && $0.versionName == key.versionName }
        }
        let selected = plan.filter { work.outputs.contains($0.output.name) }
        let renderer = pipeline.renderer
        var failed: [String] = []
        var problems: [String] = []
        var changed: [String] = []
        var refreshed: [String] = []
        var retryKeys: Set<RenderPlan.FetchKey> = []
        do {
            let (values, fetchProblems) = try await renderer.fetchCollecting(selected, deadline: deadline)
            try Task.checkCancellation()
            problems += fetchProblems.map(\.description)
            // Outputs whose every version was read; the others keep their files.
            var ready = selected.filter { output in output.firstUses.allSatisfy { values[$0.fetchKey] != nil } }
            // `latest` never goes back: a read older than the version in use is not believed (yet).
            var staleKeys: Set<RenderPlan.FetchKey> = []
            for (key, value) in values {
                guard let version = value.version, let current = inUse[key], version < current,
                    let secret = selected.distinctSecrets[key], secret.version == "latest"
                else { continue }
                staleKeys.insert(key)
            }
            if !staleKeys.isEmpty {
                staleReads += 1
                if staleReads <= Self.staleReadRetries {
                    ready = ready.filter { output in !output.firstUses.contains { staleKeys.contains($0.fetchKey) } }
                    retryKeys = staleKeys
                    problems.append(
                        "latest read an older version than the one in use (Secret Manager's latest is eventually consistent); trying again"
                    )
                } else {
                    logger.warning("watch: latest stays older than the version in use; using it (was the secret created again?)")
                    staleReads = 0
                }
            } else {
                staleReads = 0
            }
            failed = selected.outputs.map(\.output.name).filter { name in !ready.outputs.contains { $0.output.name == name } }
            if !ready.outputs.isEmpty {
                let outputs: [RenderedOutput]
                do {
                    outputs = try renderer.render(ready, values: values)
                } catch let failure as RenderFailure {
                    problems += failure.problems.map(\.description)
                    failed = selected.outputs.map(\.output.name)
                    outputs = []
                }
                if !outputs.isEmpty {
                    let files = outputs.filter { !memoryOutputs.contains($0.output.name) }
                    let reports = try renderer.write(files, dryRun: false)
                    changed += reports.filter(\.changed).map(\.name)
                    for output in outputs where memoryOutputs.contains(output.output.name) {
                        if rendered[output.output.name].map({ !$0.content.elementsEqual(output.content) }) ?? true {
                            changed.append(output.output.name)
                        }
                    }
                    for output in outputs { rendered[output.output.name] = output }
                    refreshed = outputs.map(\.output.name)
                    for output in ready.outputs where memoryOutputs.contains(output.output.name) {
                        for reference in output.firstUses { self.values[reference.fetchKey] = values[reference.fetchKey] }
                    }
                    for output in ready.outputs {
                        for reference in output.firstUses {
                            if let version = values[reference.fetchKey]?.version { inUse[reference.fetchKey] = version }
                        }
                    }
                }
            }
        } catch is CancellationError {
            return false
        } catch {
            if Task.isCancelled { return false }
            problems.append((error as? any SecretsmithError)?.description ?? "internal error \(type(of: error))")
            failed = selected.outputs.map(\.output.name)
            refreshed = []
        }
        if Task.isCancelled { return false }

        let order = plan.outputs.map(\.output.name)
        changed = order.filter(Set(changed).contains)
        for name in refreshed { stale.remove(name) }
        recordOutputs(work.outputs.sorted())
        let elapsed = clock.now() - started
        var metadata: Logger.Metadata = [
            "outputs": "\(order.filter(work.outputs.contains).joined(separator: ","))",
            "changed": "\(changed.joined(separator: ","))",
            "duration_ms": "\(elapsed.roundedMilliseconds)",
        ]
        if failed.isEmpty {
            WatchMetrics.recordRefresh(changed.isEmpty ? "unchanged" : "changed")
            WatchMetrics.recordSuccess(at: Date().timeIntervalSince1970)
            metadata["result"] = changed.isEmpty ? "unchanged" : "changed"
            logger.info("watch: refresh done", metadata: metadata)
            await acknowledge(work.acks)
        } else {
            WatchMetrics.recordRefresh("failed")
            if !refreshed.isEmpty { WatchMetrics.recordSuccess(at: Date().timeIntervalSince1970) }
            metadata["result"] = "failed"
            metadata["failed"] = "\(failed.joined(separator: ","))"
            metadata["problems"] = "\(problems.joined(separator: " | "))"
            metadata["retry_in_ms"] = "\(Self.backoff(attempt: failureStreak + 1).roundedMilliseconds)"
            logger.warning("watch: refresh failed; the last good files are kept", metadata: metadata)
            // Not acknowledged: Pub/Sub delivers these again; the retry covers them meanwhile.
            var again = Pending()
            again.outputs = Set(failed)
            again.events = work.events
            again.anonymousEvents = work.anonymousEvents
            again.keys = work.keys.union(retryKeys)
            again.acks = work.acks
            pending.merge(again)
        }
        await reaction(
            Refresh(
                refreshedOutputs: order.filter(Set(refreshed).contains), changedOutputs: changed,
                failedOutputs: order.filter(Set(failed).contains), rendered: rendered, initial: false))
        return failed.isEmpty
    }

    /// The variables of the outputs rendered in memory (a child's environment), from the
    /// payloads last read, in output then key order.
    ///
    /// - Throws: ``RenderFailure`` for a value an environment variable cannot hold.
    package func environmentVariables() throws -> [(name: String, value: [UInt8])] {
        let environmentOutputs = plan.filter { memoryOutputs.contains($0.output.name) }
        guard !environmentOutputs.outputs.isEmpty else { return [] }
        return try ExecEnvironment.variables(of: environmentOutputs, values: values)
    }

    /// Whether an output is rendered in memory only (it feeds a child's environment).
    package func isMemoryOutput(_ name: String) -> Bool { memoryOutputs.contains(name) }

    private func acknowledge(_ acks: [String: [String: String]]) async {
        for (subscription, ids) in acks where !ids.isEmpty {
            guard let client = sources.subscriptions.first(where: { $0.name == subscription })?.client else { continue }
            do {
                try await client.acknowledge(subscription: subscription, ackIDs: Array(ids.values))
            } catch {
                // Pub/Sub delivers them again; the refresh they cause finds nothing new.
                logger.notice(
                    "watch: acknowledging messages failed; they will be delivered again",
                    metadata: ["subscription": "\(subscription)", "error": "\(Self.describe(error))"])
            }
        }
    }

    private func recordOutputs(_ names: [String]) {
        for name in names {
            guard let output = plan.outputs.first(where: { $0.output.name == name }) else { continue }
            let version = output.firstUses.compactMap { inUse[$0.fetchKey] }.max()
            WatchMetrics.recordOutput(name, version: version, stale: stale.contains(name))
        }
    }

    // MARK: Events

    /// Classifies pulled messages: the ack ids to acknowledge at once (the event changes
    /// nothing an output reads), and the rest queued for the next refresh.
    package func handle(_ messages: [ReceivedMessage], subscription: String) -> [String] {
        var acknowledgeNow: [String] = []
        var work = Pending()
        for received in messages {
            let event = SecretEvent(message: received.message)
            WatchMetrics.recordEvent(event.type)
            let affected = affectedOutputs(by: event)
            var metadata: Logger.Metadata = [
                "type": "\(event.type.metricLabel)",
                "secret": "\(event.secret?.name ?? "-")",
                "message_id": "\(received.message.messageID ?? "-")",
            ]
            if let version = event.versionNumber { metadata["version"] = "\(version)" }
            if affected.isEmpty {
                acknowledgeNow.append(received.ackID)
                if case .irrelevant(let reason) = event.relevance {
                    metadata["reason"] = "\(reason)"
                } else {
                    metadata["reason"] = "no selected output reads a version it changes"
                }
                logger.info("watch: event ignored", metadata: metadata)
                continue
            }
            metadata["outputs"] = "\(affected.sorted().joined(separator: ","))"
            logger.info("watch: event queued", metadata: metadata)
            work.outputs.formUnion(affected)
            if let id = received.message.messageID {
                work.events[id] = event
                work.acks[subscription, default: [:]][id] = received.ackID
            } else {
                work.anonymousEvents.append(event)
                work.acks[subscription, default: [:]][received.ackID] = received.ackID
            }
        }
        submit(work)
        metricsChanged()
        return acknowledgeNow
    }

    /// The outputs whose bytes an event can change, given the versions in use.
    func affectedOutputs(by event: SecretEvent) -> Set<String> {
        guard event.isRelevant else { return [] }
        var result: Set<String> = []
        for output in plan.outputs {
            for reference in output.firstUses
            where event.affects(versionName: reference.secret.versionName)
                && (stale.contains(output.output.name)
                    || Self.canChange(event, version: reference.secret.version, inUse: inUse[reference.fetchKey]))
            {
                result.insert(output.output.name)
                break
            }
        }
        return result
    }

    /// Whether an event that ``SecretEvent/affects(versionName:)`` a reference can change
    /// what it reads, comparing version numbers (events arrive unordered and late).
    ///
    /// - `latest` (the most recently created version, whatever its state): a version added
    ///   or enabled changes it only if newer than the one in use; one disabled or destroyed
    ///   only if it is the one in use or newer.
    /// - an alias: a `SECRET_UPDATE` that says where the alias points changes it only if
    ///   that is not the version in use; a version event only if it is that version.
    /// - a number: an event that disables or destroys it (its bytes never change; adding or
    ///   enabling the version in use changes nothing).
    static func canChange(_ event: SecretEvent, version: String, inUse: Int?) -> Bool {
        guard let inUse else { return true }
        if event.type == .secretDelete { return true }
        if event.type == .secretUpdate {
            guard let aliases = event.versionAliases else { return true }
            guard let target = aliases[version] else { return true }  // the alias is gone: reading it fails now
            return target != inUse
        }
        guard let number = event.versionNumber else { return true }
        if version == "latest" {
            switch event.type {
            case .versionAdd, .versionEnable: return number > inUse
            default: return number >= inUse
            }
        }
        if Int(version) == nil { return number == inUse }
        // A pinned number's bytes never change; only its state can (an output already
        // failing on it is refreshed on any event, by the caller).
        switch event.type {
        case .versionAdd, .versionEnable: return false
        default: return true
        }
    }

    // MARK: Pub/Sub

    private func pullLoop(_ subscription: String, client: PubSubClient) async {
        var failures = 0
        while !Task.isCancelled {
            let messages: [ReceivedMessage]
            do {
                messages = try await client.pull(subscription: subscription, maxMessages: 100)
                if failures > 0 {
                    logger.notice("watch: Pub/Sub answers again", metadata: ["subscription": "\(subscription)"])
                }
                failures = 0
            } catch {
                if Task.isCancelled || error is CancellationError { return }
                failures += 1
                WatchMetrics.recordPullFailure()
                metricsChanged()
                let backoff = Self.backoff(attempt: failures)
                logger.warning(
                    "watch: pulling from Pub/Sub failed; polling goes on",
                    metadata: [
                        "subscription": "\(subscription)", "error": "\(Self.describe(error))",
                        "retry_in_ms": "\(backoff.roundedMilliseconds)",
                    ])
                do { try await clock.sleep(backoff) } catch { return }
                continue
            }
            guard !messages.isEmpty else { continue }
            let acknowledgeNow = handle(messages, subscription: subscription)
            if !acknowledgeNow.isEmpty {
                do {
                    try await client.acknowledge(subscription: subscription, ackIDs: acknowledgeNow)
                } catch {
                    if Task.isCancelled { return }
                    logger.notice(
                        "watch: acknowledging ignored events failed; they will be delivered again",
                        metadata: ["subscription": "\(subscription)", "error": "\(Self.describe(error))"])
                }
            }
        }
    }

    // MARK: Polling

    private func pollLoop(interval: Duration) async {
        while !Task.isCancelled {
            do {
                try await clock.sleep(interval + random(settings.effectivePollJitter))
            } catch {
                return
            }
            await poll()
        }
    }

    /// Reads the metadata (never the payload) of every reference that can move (and of
    /// pinned numbers with `check_pinned`), and queues a refresh of the outputs whose
    /// version in use is no longer current or no longer enabled.
    package func poll() async {
        let manager = pipeline.manager
        var work = Pending()
        var failures = 0
        for (key, secret) in plan.distinctSecrets.sorted(by: { $0.key < $1.key }) {
            let pinned = Int(secret.version) != nil
            if pinned && !settings.checkPinned { continue }
            let current = inUse[key]
            let changed: Bool
            do {
                let metadata = try await manager.metadata(secret)
                if Task.isCancelled { return }
                if pinned {
                    changed = metadata.state != .enabled
                } else {
                    changed = metadata.versionNumber != current || metadata.state != .enabled
                }
            } catch {
                if Task.isCancelled { return }
                if let failure = error as? SecretManagerError, failure.code == .notFound {
                    changed = true  // deleted: the refresh reports it
                } else {
                    failures += 1
                    logger.warning(
                        "watch: polling a version's metadata failed",
                        metadata: ["reference": "\(secret.versionName)", "error": "\(Self.describe(error))"])
                    continue
                }
            }
            guard changed else { continue }
            work.keys.insert(key)
            for output in plan.outputs where output.firstUses.contains(where: { $0.fetchKey == key }) {
                work.outputs.insert(output.output.name)
            }
        }
        WatchMetrics.recordPoll(failures > 0 ? "failed" : work.isEmpty ? "unchanged" : "changed")
        metricsChanged()
        if !work.isEmpty {
            logger.info(
                "watch: polling found a change",
                metadata: ["outputs": "\(work.outputs.sorted().joined(separator: ","))"])
            submit(work)
        }
    }

    static func describe(_ error: any Error) -> String {
        (error as? any SecretsmithError)?.description ?? "\(type(of: error))"
    }
}
