import Foundation
import MetricsTestKit
import SecretManagerEmulator
import SecretsmithTestSupport
import Synchronization
import Testing
@testable import Secretsmith

/// The watch engine against the in-process emulator: events fed to it directly (the Pub/Sub
/// wire is covered by ``WatchPubSubTests``), polling, refresh, failure and version ordering.
@Suite struct WatchEngineTests {
    /// Polling off, a short debounce: refreshes come only from the events a test hands over.
    static let eventsOnly = WatchSettings(pollInterval: nil, debounce: .milliseconds(200))

    @Test func aBurstOfEventsMakesOneRefreshOfOnlyTheAffectedOutput() async throws {
        try await WatchSetup.with { setup in
            let engine = setup.engine(Self.eventsOnly)
            let first = try await engine.start()
            #expect(first.reports.allSatisfy { $0.changed })
            let accessBefore = await setup.calls(.access)
            let pinnedBefore = try FileManager.default.attributesOfItem(
                atPath: setup.directory.appendingPathComponent("pinned.env").path)[.modificationDate] as? Date

            try await setup.addVersion("config", payload: "second")
            let burst = (1...20).map { WatchSetup.received(WatchSetup.event("SECRET_VERSION_ADD", version: 2), id: "m\($0)") }
            #expect(await engine.handle(Array(burst[..<10]), subscription: "s").isEmpty)
            #expect(await engine.handle(Array(burst[10...]), subscription: "s").isEmpty)
            let run = Task { await engine.run() }
            defer { run.cancel() }

            let refreshes = try await setup.refreshes.wait(for: 1)
            #expect(refreshes.first?.changedOutputs == ["config"])
            #expect(refreshes.first?.refreshedOutputs == ["config"])
            #expect(try setup.file("config.env").contains("second"))
            // config@latest fetched once more; the pinned output and the alias were not refreshed.
            #expect(await setup.calls(.access) == accessBefore + 1)
            let pinnedAfter = try FileManager.default.attributesOfItem(
                atPath: setup.directory.appendingPathComponent("pinned.env").path)[.modificationDate] as? Date
            #expect(pinnedAfter == pinnedBefore)
            // Several debounce windows later there is still one refresh.
            try await Task.sleep(for: .seconds(1))
            #expect(await setup.refreshes.all.count == 1)
        }
    }

    @Test func eventsThatChangeNothingAnOutputReadsAreAcknowledgedAtOnce() async throws {
        try await WatchSetup.with { setup in
            let engine = setup.engine(Self.eventsOnly)
            try await engine.start()
            let messages = [
                WatchSetup.received(WatchSetup.event("SECRET_ROTATE"), id: "rotate"),
                WatchSetup.received(WatchSetup.event("TOPIC_CONFIGURED"), id: "topic"),
                WatchSetup.received(WatchSetup.event("SECRET_VERSION_ADD", secret: "binary", version: 2), id: "unused"),
                // Version 1 is the one in use: a late or repeated event.
                WatchSetup.received(WatchSetup.event("SECRET_VERSION_ADD", version: 1), id: "late"),
                WatchSetup.received(WatchSetup.event("SOMETHING_NEW", version: 7), id: "unknown"),
                WatchSetup.received(PubSubMessage(data: Array("not json".utf8)), id: "garbage"),
            ]
            let acknowledged = await engine.handle(messages, subscription: "s")
            #expect(acknowledged == messages.map(\.ackID))
            let run = Task { await engine.run() }
            try await Task.sleep(for: .milliseconds(600))
            run.cancel()
            #expect(await setup.refreshes.all.isEmpty)
        }
    }

    @Test func versionsAreComparedByNumberNotByArrival() throws {
        func event(_ type: String, _ version: Int?) -> SecretEvent {
            SecretEvent(message: WatchSetup.event(type, version: version))
        }
        // latest: only a newer version, or the one in use disabled or destroyed, changes it.
        #expect(WatchEngine.canChange(event("SECRET_VERSION_ADD", 5), version: "latest", inUse: 4))
        #expect(!WatchEngine.canChange(event("SECRET_VERSION_ADD", 4), version: "latest", inUse: 5))
        #expect(!WatchEngine.canChange(event("SECRET_VERSION_ENABLE", 3), version: "latest", inUse: 5))
        #expect(WatchEngine.canChange(event("SECRET_VERSION_DISABLE", 5), version: "latest", inUse: 5))
        #expect(!WatchEngine.canChange(event("SECRET_VERSION_DESTROY", 2), version: "latest", inUse: 5))
        #expect(WatchEngine.canChange(event("SECRET_VERSION_ADD", nil), version: "latest", inUse: 5))
        #expect(WatchEngine.canChange(event("SECRET_VERSION_ADD", 1), version: "latest", inUse: nil))
        // An alias: a version event only for its version; an update only when it moved.
        #expect(WatchEngine.canChange(event("SECRET_VERSION_DISABLE", 2), version: "current", inUse: 2))
        #expect(!WatchEngine.canChange(event("SECRET_VERSION_DISABLE", 1), version: "current", inUse: 2))
        var moved = event("SECRET_UPDATE", nil)
        moved.versionAliases = ["current": 3]
        #expect(WatchEngine.canChange(moved, version: "current", inUse: 2))
        #expect(!WatchEngine.canChange(moved, version: "current", inUse: 3))
        #expect(WatchEngine.canChange(moved, version: "other", inUse: 3))
        #expect(WatchEngine.canChange(event("SECRET_DELETE", nil), version: "latest", inUse: 9))
        // A pinned number: only its state can change.
        #expect(!WatchEngine.canChange(event("SECRET_VERSION_ADD", 2), version: "2", inUse: 2))
        #expect(WatchEngine.canChange(event("SECRET_VERSION_DESTROY", 2), version: "2", inUse: 2))
    }

    @Test func aFailedRefreshKeepsTheFilesMarksThemStaleAndRecovers() async throws {
        let metrics = TestMetrics()
        try await SecretsmithMetrics.$factoryOverride.withValue(metrics) {
            try await WatchSetup.with { setup in
                let engine = setup.engine(Self.eventsOnly)
                try await engine.start()
                let good = try setup.file("config.env")
                let stale = { try metrics.expectGauge(WatchMetrics.outputStale, [("output", "config")]).lastValue }
                #expect(try stale() == 0)

                // The version in use is disabled: `latest` cannot be read.
                try await setup.setVersion("config", 1, enabled: false)
                _ = await engine.handle(
                    [WatchSetup.received(WatchSetup.event("SECRET_VERSION_DISABLE", version: 1, state: "DISABLED"), id: "d")],
                    subscription: "s")
                let run = Task { await engine.run() }
                defer { run.cancel() }
                let failed = try await setup.refreshes.wait(for: 1)
                #expect(failed[0].failedOutputs.contains("config"))
                #expect(failed[0].changedOutputs.isEmpty)
                #expect(try setup.file("config.env") == good)
                #expect(try stale() == 1)
                #expect(try metrics.expectCounter(WatchMetrics.refreshes, [("result", "failed")]).totalValue >= 1)

                // A new version: the retry (or the event) brings the file up to date.
                try await setup.addVersion("config", payload: "recovered")
                _ = await engine.handle(
                    [WatchSetup.received(WatchSetup.event("SECRET_VERSION_ADD", version: 2), id: "a")], subscription: "s")
                let deadline = ContinuousClock.now + .seconds(30)
                while try !setup.file("config.env").contains("recovered"), ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(50))
                }
                #expect(try setup.file("config.env").contains("recovered"))
                _ = try await setup.refreshes.wait(for: await setup.refreshes.all.count)
                try await Task.sleep(for: .milliseconds(100))
                #expect(try stale() == 0)
                #expect(try metrics.expectGauge(WatchMetrics.outputVersion, [("output", "config")]).lastValue == 2)
            }
        }
    }

    /// A change that arrives while a failed refresh backs off (a new version after the one in
    /// use was disabled) is refreshed at once, not after the backoff. The clock here makes every
    /// backoff (1 s and more) last an hour, so only the interruption can bring the file up to date.
    @Test func aNewEventEndsTheBackoffOfAFailedRefresh() async throws {
        let hourLongBackoffs = SecretManagerClock(
            now: { ContinuousClock.now },
            sleep: { duration in
                if duration >= .seconds(1) { try await Task.sleep(for: .seconds(3600)) }
            })
        try await WatchSetup.with { setup in
            let engine = setup.engine(Self.eventsOnly, clock: hourLongBackoffs)
            try await engine.start()
            try await setup.setVersion("config", 1, enabled: false)
            _ = await engine.handle(
                [WatchSetup.received(WatchSetup.event("SECRET_VERSION_DISABLE", version: 1, state: "DISABLED"), id: "d")],
                subscription: "s")
            let run = Task { await engine.run() }
            defer { run.cancel() }
            let failed = try await setup.refreshes.wait(for: 1)
            #expect(failed[0].failedOutputs.contains("config"))

            try await setup.addVersion("config", payload: "recovered")
            _ = await engine.handle(
                [WatchSetup.received(WatchSetup.event("SECRET_VERSION_ADD", version: 2), id: "a")], subscription: "s")
            let deadline = ContinuousClock.now + .seconds(30)
            while try !setup.file("config.env").contains("recovered"), ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(try setup.file("config.env").contains("recovered"))
        }
    }

    @Test func pollingReadsMetadataOnlyAndRefreshesWhatMoved() async throws {
        try await WatchSetup.with { setup in
            let engine = setup.engine(WatchSettings(pollInterval: nil, debounce: .milliseconds(50)))
            try await engine.start()
            let access = await setup.calls(.access)
            let gets = await setup.calls(.getVersion)

            await engine.poll()
            // latest and the alias were asked for; the pinned number was not; nothing fetched.
            #expect(await setup.calls(.getVersion) == gets + 2)
            #expect(await setup.calls(.access) == access)

            try await setup.addVersion("config", payload: "polled")
            await engine.poll()
            let run = Task { await engine.run() }
            defer { run.cancel() }
            let refreshes = try await setup.refreshes.wait(for: 1)
            #expect(refreshes[0].changedOutputs == ["config"])
            #expect(try setup.file("config.env").contains("polled"))
            #expect(await setup.calls(.access) == access + 1)
        }
    }

    @Test func checkPinnedAlsoPollsPinnedNumbersAndNoticesADisabledOne() async throws {
        try await WatchSetup.with { setup in
            let engine = setup.engine(WatchSettings(pollInterval: nil, checkPinned: true, debounce: .milliseconds(50)))
            try await engine.start()
            let gets = await setup.calls(.getVersion)
            await engine.poll()
            #expect(await setup.calls(.getVersion) == gets + 3)

            try await setup.setVersion("config", 1, enabled: false)
            await engine.poll()
            let run = Task { await engine.run() }
            defer { run.cancel() }
            let refreshes = try await setup.refreshes.wait(for: 1)
            #expect(Set(refreshes[0].failedOutputs) == ["config", "pinned"])
        }
    }

    @Test func splayIsAUniformDelayWithinItsBound() async throws {
        var generator = SystemRandomNumberGenerator()
        for maximum in [Duration.zero, .milliseconds(1), .seconds(30)] {
            for _ in 0..<1000 {
                let delay = WatchEngine.uniformDelay(maximum, using: &generator)
                #expect(delay >= .zero && delay <= maximum)
            }
        }
        #expect(WatchEngine.uniformDelay(.seconds(-1)) == .zero)
        // The engine asks for one splay per refresh, bounded by the setting.
        let asked = Mutex<[Duration]>([])
        try await WatchSetup.with { setup in
            let engine = setup.engine(
                WatchSettings(pollInterval: nil, debounce: .milliseconds(10), splay: .seconds(7))
            ) { maximum in
                asked.withLock { $0.append(maximum) }
                return .milliseconds(5)
            }
            try await engine.start()
            try await setup.addVersion("config", payload: "splayed")
            _ = await engine.handle(
                [WatchSetup.received(WatchSetup.event("SECRET_VERSION_ADD", version: 2), id: "1")], subscription: "s")
            let run = Task { await engine.run() }
            defer { run.cancel() }
            _ = try await setup.refreshes.wait(for: 1)
        }
        #expect(asked.withLock { $0 } == [.seconds(7)])
    }

    @Test func backoffDoublesFromOneSecondToOneMinute() {
        #expect((1...8).map(WatchEngine.backoff(attempt:)) == [1, 2, 4, 8, 16, 32, 60, 60].map { .seconds($0) })
    }
}
