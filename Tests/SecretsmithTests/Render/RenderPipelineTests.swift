import AsyncHTTPClient
import Foundation
import SecretManagerEmulator
@testable import Secretsmith
import SecretsmithTestSupport
import Testing

/// The pipeline as a long-running caller (`watch`) uses it: one pipeline over one manager,
/// run again and again.
@Suite struct RenderPipelineTests {
    static let sentinel = EmulatorFixture.sentinel

    /// Three outputs: one pinned to a version number, one on an alias, one on `latest`.
    static let outputs = """
          - { name: db, format: dotenv, path: out/db.env, values: { PW: app/db-password-v2 } }
          - { name: key, format: dotenv, path: out/key.env, values: { KEY: app/api-key } }
          - { name: config, format: json, path: out/config.json, values: { port: "app/config#/db/port" } }
        """

    static func text(_ path: String) throws -> String {
        String(decoding: try Data(contentsOf: URL(fileURLWithPath: path)), as: UTF8.self)
    }

    @Test func aSecondRunAfterARotationRewritesOnlyTheOutputThatChanged() async throws {
        let setup = try await ConfiguredEmulator.start(outputs: Self.outputs)
        let pipeline = RenderPipeline(manager: setup.manager, processEnvironment: [:])
        let options = RenderPipeline.Options(environment: "dev", manifestPath: setup.path("manifest.json"))

        let first = try await pipeline.run(options)
        #expect(first.changedOutputs == ["db", "key", "config"])
        #expect(first.manifest?.outputs.map(\.status) == ["written", "written", "written"])
        #expect(first.manifest?.outputs.last?.references.first?.version == 1)
        #expect(try Self.text(setup.path("out/config.json")) == "{\n  \"port\": 5432\n}\n")
        let accessesAfterFirst = await setup.calls(.access)
        #expect(accessesAfterFirst == 3)

        // Another deployer adds version 2 of `config`; `latest` moves once the cached
        // version is older than the cache's ttl (5 minutes by default).
        try await setup.addVersion(project: "acme-app-dev", secret: "config", payload: #"{"db":{"port":6543}}"#)
        setup.fixture.clock.advance(by: .seconds(301))

        let second = try await pipeline.run(options)
        #expect(second.changedOutputs == ["config"])
        #expect(second.reports.map(\.changed) == [false, false, true])
        #expect(second.manifest?.outputs.map(\.status) == ["unchanged", "unchanged", "written"])
        #expect(second.manifest?.outputs.last?.references.first?.version == 2)
        #expect(try Self.text(setup.path("out/config.json")) == "{\n  \"port\": 6543\n}\n")
        #expect(try Self.text(setup.path("out/db.env")).contains("pw2-\(Self.sentinel)"))
        // The stats are the manager's, carried over from the first run.
        #expect(second.stats.requests > first.stats.requests)
        await setup.shutdown()
    }

    /// A large template: a one-shot run keeps it in its file (read again as the output is
    /// written); a caller that renders one plan many times (`watch`) keeps it in memory as
    /// parsed, so an edit in place between two runs of the plan cannot fail the second.
    @Test func aPlanRenderedManyTimesKeepsALargeTemplateInMemory() async throws {
        let filler = String(repeating: "x", count: 1023) + "\n"
        let template = String(repeating: filler, count: TemplateFile.inFileFrom / filler.utf8.count + 1)
            + "key=<< secret \"app/api-key\" >>\n"
        let setup = try await ConfiguredEmulator.start(
            outputs: "  - { name: big, format: template, template: big.tmpl, path: out/big.txt }\n",
            templates: ["big.tmpl": template])
        let pipeline = RenderPipeline(manager: setup.manager, processEnvironment: [:])
        func isInFile(_ plan: RenderPlan) -> Bool {
            if case .file = plan.outputs.first?.template?.text { return true }
            return false
        }
        #expect(isInFile(try pipeline.plan(.init(environment: "dev"))))
        #expect(!isInFile(try pipeline.plan(.init(environment: "dev", destination: .memory))))
        #expect(!isInFile(try pipeline.plan(.init(environment: "dev", keepsLargeTemplatesInFile: false))))

        let watched = try pipeline.plan(.init(environment: "dev", keepsLargeTemplatesInFile: false))
        let oneShot = try pipeline.plan(.init(environment: "dev"))
        let renderer = Renderer(manager: setup.manager, processEnvironment: [:])
        let values = try await renderer.fetch(watched)
        // The template is edited in place (same size, its first byte) after both plans were made.
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: setup.path("big.tmpl")))
        try handle.write(contentsOf: Data("y".utf8))
        try handle.close()
        let bytes = try renderer.render(watched, values: values).first?.bytes ?? []
        #expect(bytes.starts(with: Array("xxx".utf8)), "rendered as parsed")
        #expect(String(decoding: bytes.suffix(200), as: UTF8.self).contains("key=key-"))
        #expect(String(decoding: bytes.suffix(200), as: UTF8.self).contains(Self.sentinel))
        // The one-shot plan reads the file again and sees the edit: nothing is rendered from it.
        #expect(try renderer.render(oneShot, values: values).first?.bytes.isEmpty == true)
        await setup.shutdown()
    }

    @Test func aFrozenRunReadsThePinnedVersionsAfterARotation() async throws {
        let setup = try await ConfiguredEmulator.start(outputs: Self.outputs)
        let pipeline = RenderPipeline(manager: setup.manager, processEnvironment: [:])
        let lock = try await pipeline.lock(.init(environment: "dev"))
        #expect(lock.changed)
        #expect(lock.pins.count == 3)
        #expect(lock.pinCount == 3)

        let options = RenderPipeline.Options(environment: "dev", frozen: true)
        let first = try await pipeline.run(options)
        #expect(first.changedOutputs == ["db", "key", "config"])
        try await setup.addVersion(project: "acme-app-dev", secret: "config", payload: #"{"db":{"port":6543}}"#)
        setup.fixture.clock.advance(by: .seconds(301))
        let second = try await pipeline.run(options)
        #expect(second.changedOutputs == [])
        #expect(try Self.text(setup.path("out/config.json")) == "{\n  \"port\": 5432\n}\n")
        await setup.shutdown()
    }

    @Test func aPlanCheckStopsTheRunBeforeAnySecretManagerCall() async throws {
        let setup = try await ConfiguredEmulator.start(outputs: Self.outputs)
        let pipeline = RenderPipeline(manager: setup.manager, processEnvironment: [:])
        struct Refused: Error {}
        await #expect(throws: Refused.self) {
            _ = try await pipeline.run(.init(environment: "dev")) { plan in
                #expect(plan.outputs.count == 3)
                throw Refused()
            }
        }
        #expect(await setup.calls(.access) == 0)
        #expect(!FileManager.default.fileExists(atPath: setup.path("out/db.env")))
        await setup.shutdown()
    }

    @Test func aMemoryRunWritesNothingAndADryRunReportsWhatWouldChange() async throws {
        let setup = try await ConfiguredEmulator.start(outputs: Self.outputs)
        let pipeline = RenderPipeline(manager: setup.manager, processEnvironment: [:])
        let memory = try await pipeline.run(.init(environment: "dev", destination: .memory))
        #expect(memory.rendered.count == 3)
        #expect(memory.reports.isEmpty)
        #expect(memory.manifest == nil)
        let dryRun = try await pipeline.run(.init(environment: "dev", destination: .dryRun))
        #expect(dryRun.changedOutputs == ["db", "key", "config"])
        #expect(!FileManager.default.fileExists(atPath: setup.path("out/db.env")))
        await setup.shutdown()
    }

    @Test func theRunsDeadlineCancelsItsFetchesAndNothingIsWritten() async throws {
        let setup = try await ConfiguredEmulator.start(outputs: Self.outputs)
        // Its own client, shut down before the emulator stops, so that no connection of
        // the cancelled calls is accepted while it stops.
        let client = HTTPClient(
            eventLoopGroupProvider: .singleton,
            configuration: MultiEnvironmentSecretManager.recommendedHTTPClientConfiguration(for: setup.configuration))
        let manager = MultiEnvironmentSecretManager(
            configuration: setup.configuration, httpClient: client, processEnvironment: setup.environment)
        let pipeline = RenderPipeline(manager: manager, processEnvironment: [:])
        await setup.fixture.faults([FaultRule(.stall(seconds: 120), method: .access)])
        let start = ContinuousClock.now
        let error = await #expect(throws: DeadlineExceededError.self) {
            _ = try await pipeline.run(.init(environment: "dev", deadline: .milliseconds(200)))
        }
        #expect(error == DeadlineExceededError(deadline: .milliseconds(200)))
        // A correctness bound (every access stalls 120 s), loose because the suite shares
        // two cooperative threads with tests that block them.
        #expect(ContinuousClock.now - start < .seconds(60))
        #expect(manager.cache.callsInFlight == 0)
        #expect(!FileManager.default.fileExists(atPath: setup.path("out")))
        try await client.shutdown()
        await setup.shutdown()
    }

    @Test func anExecRunWritesTheFileOutputsAndReturnsTheVariables() async throws {
        let setup = try await ConfiguredEmulator.start(
            outputs: """
                  - { name: env, format: dotenv, path: out/app.env, values: { KEY: app/api-key } }
                  - { name: config, format: json, path: out/config.json, values: { port: "app/config#/db/port" } }
                """)
        let pipeline = RenderPipeline(manager: setup.manager, processEnvironment: [:])
        let outcome = try await pipeline.runForExec(.init(environment: "dev"))
        #expect(outcome.reports.map(\.name) == ["config"])
        #expect(outcome.variables.map(\.name) == ["KEY"])
        #expect(outcome.variables.first.map { String(decoding: $0.value, as: UTF8.self) } == "key-\(Self.sentinel)")
        #expect(FileManager.default.fileExists(atPath: setup.path("out/config.json")))
        #expect(!FileManager.default.fileExists(atPath: setup.path("out/app.env")))
        await setup.shutdown()
    }
}
