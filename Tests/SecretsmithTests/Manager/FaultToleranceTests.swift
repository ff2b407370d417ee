import AsyncHTTPClient
import Foundation
import SecretManagerEmulator
@testable import Secretsmith
import SecretsmithTestSupport
import Testing

/// Renders that survive the emulator's injected faults, with outcomes and call counts.
@Suite struct FaultToleranceTests {
    static let sentinel = EmulatorFixture.sentinel

    /// Fifty secrets in project `acme-app-dev`, a dotenv output referencing all of them, for
    /// `body`; the emulator stops afterwards, also when `body` throws.
    func withFiftySecrets(
        retry: String?, timeout: String = "5s", httpClient: HTTPClient? = nil,
        _ body: (EmulatorFixture, Renderer, RenderPlan) async throws -> Void
    ) async throws {
        var secrets: [EmulatorSeed.Secret] = []
        var declared = ""
        var values = ""
        for n in 1...50 {
            secrets.append(.init(id: "s\(n)", versions: [.init(payload: Array("v\(n)-\(Self.sentinel)".utf8))]))
            declared += "          s\(n): {}\n"
            values += "      K\(n): app/s\(n)\n"
        }
        let text = """
            version: 1
            defaults:
              timeout: \(timeout)
              # The circuit breaker keeps its defaults.
            \(retry.map { "  retry: \($0)" } ?? "")
            environments:
              dev:
                projects:
                  app:
                    project_id: acme-app-dev
                    secrets:
            \(declared)
            outputs:
              - name: env
                format: dotenv
                path: /nonexistent/never-written.env
                values:
            \(values)
            """
        try await withEmulator(seed: EmulatorSeed(projects: [.init(id: "acme-app-dev", secrets: secrets)])) { fixture in
            let manager = try fixture.manager(configuration: text, httpClient: httpClient)
            let plan = try RenderPlan.make(configuration: manager.configuration, environment: "dev", only: [])
            try await body(fixture, Renderer(manager: manager, processEnvironment: [:]), plan)
        }
    }

    @Test(arguments: [0.3, 0.5])
    func aRenderOfFiftySecretsSurvives503sWithTheDefaultBreaker(rate: Double) async throws {
        // The default breaker (50% of at least 20 accesses' final outcomes) with enough
        // attempts that the faults alone almost never exhaust them: at 50%, 16 attempts all
        // fail with probability 2^-16, so the render fails about once in 1,300 runs.
        // The consecutive-failure breaker this replaced opened in most such runs. Backoff
        // sleeps advance the test clock (the breaker's window too) instead of waiting. The
        // per-request timeout is far above what any answer takes even on a loaded machine,
        // so every failed attempt is a 503 and the counts below are exact.
        try await withFiftySecrets(retry: "{ max_attempts: 16 }", timeout: "60s") { fixture, renderer, plan in
            await fixture.faults([FaultRule(.error(httpStatus: 503), method: .access, rate: rate)])
            let values = try await renderer.fetch(plan)
            #expect(values.count == 50)
            let rendered = try renderer.render(plan, values: values)
            #expect(String(decoding: rendered[0].bytes, as: UTF8.self).contains("K50='v50-\(Self.sentinel)'"))
            let upstream = await fixture.accessCalls()
            let stats = await renderer.manager.stats()
            let faulted = await fixture.emulator.stats().count(statusCode: 503)
            // Every upstream call is accounted for: 50 successes plus one retry per 503.
            let counts = "\(Int(rate * 100))% 503s: \(upstream) upstream access calls, \(faulted) answered 503"
            #expect(upstream == stats.upstreamCalls, "\(counts)")
            #expect(stats.retries == faulted, "\(counts)")
            #expect(upstream == 50 + faulted, "\(counts)")
            #expect(faulted > 0, "the fault was injected")
            #expect(stats.breakerRejections == 0)
            #expect(stats.breakers.count == 1)
            #expect(stats.breakers.map(\.openings) == [0])
        }
    }

    @Test func withEveryDefaultAFiftyPercent503RenderIsNeverFailedByTheBreaker() async throws {
        // Default retries (5 attempts) leave about 1 secret in 32 failing after all its
        // attempts at 50%; those failures are the faults'. The breaker opens only when at
        // least half of 20 accesses fail after their retries, which is then (binomially)
        // all but impossible: no access may be refused by it.
        try await withFiftySecrets(retry: nil) { fixture, renderer, plan in
            await fixture.faults([FaultRule(.error(httpStatus: 503), method: .access, rate: 0.5)])
            do {
                _ = try await renderer.fetch(plan)
            } catch let failure as RenderFailure {
                for problem in failure.problems {
                    #expect((problem.error as? SecretManagerError)?.code == .unavailable)
                }
            }
            let stats = await renderer.manager.stats()
            #expect(stats.breakerRejections == 0)
            #expect(stats.breakers.first?.openings == 0)
            #expect(stats.breakers.first?.state == "closed")
        }
    }

    @Test func aStallLongerThanTheTimeoutIsCancelledAndTheRetrySucceeds() async throws {
        try await withFiftySecrets(
            // 5 s per attempt: under a loaded run (load 15 on 2 cores) 2 s was too short for
            // some of the 49 unstalled accesses too.
            retry: "{ max_attempts: 3, initial_backoff: 10ms }", timeout: "5s") { fixture, renderer, plan in
            await fixture.faults([FaultRule(.stall(seconds: 30), method: .access, resource: "secrets/s7/", count: 1)])
            let values = try await renderer.fetch(plan)
            #expect(values.count == 50)
            // The stalled first attempt was abandoned at the timeout and a retry answered (a
            // heavily loaded machine may need one more).
            let attempts = await fixture.emulator.stats().count(.access, resource: "projects/acme-app-dev/secrets/s7/versions/latest")
            #expect((2...3).contains(attempts))
            // Every attempt after the first of s7 is a retry (other secrets may add some on a
            // loaded machine).
            #expect(await renderer.manager.stats().retries >= attempts - 1)
        }
    }

    @Test func theRunDeadlineCancelsOutstandingWork() async throws {
        // Every access stalls for 120 s, longer than the 60 s per-request timeout: without
        // cancellation the deadline would only return after the in-flight calls' timeouts
        // (60 s at least). It returns at once here; the bound is loose because the whole
        // suite shares two cooperative threads with tests that block them.
        // Its own client (the recommended configuration), shut down before the emulator
        // stops, so that no connection of the cancelled calls is accepted while it stops.
        let client = HTTPClient(
            eventLoopGroupProvider: .singleton,
            configuration: MultiEnvironmentSecretManager.recommendedHTTPClientConfiguration(concurrency: 16))
        try await withCleanup(client, cleanup: { try? await $0.shutdown() }) { client in
            try await withFiftySecrets(retry: "{ max_attempts: 3 }", timeout: "60s", httpClient: client) {
                fixture, renderer, plan in
                await fixture.faults([FaultRule(.stall(seconds: 120), method: .access)])
                let start = ContinuousClock.now
                let error = await #expect(throws: DeadlineExceededError.self) {
                    _ = try await withDeadline(.milliseconds(200)) { try await renderer.fetch(plan) }
                }
                let elapsed = ContinuousClock.now - start
                #expect(error == DeadlineExceededError(deadline: .milliseconds(200)))
                #expect(elapsed < .seconds(30), "returned after \(elapsed)")
                // Nothing is left running: no call in flight, no slot of the limiter taken.
                #expect(renderer.manager.cache.callsInFlight == 0)
                #expect(await renderer.manager.stats().retries == 0)
                try await client.shutdown()
            }
        }
    }

    @Test func aDroppedConnectionIsRetried() async throws {
        // A timeout no answer reaches on a loaded machine: the dropped connection is the only failure.
        try await withFiftySecrets(retry: "{ max_attempts: 3, initial_backoff: 10ms }", timeout: "60s") {
            fixture, renderer, plan in
            await fixture.faults([FaultRule(.dropConnection, method: .access, resource: "secrets/s9/", count: 1)])
            let values = try await renderer.fetch(plan)
            #expect(values.count == 50)
            #expect(await fixture.emulator.stats().count(.access, resource: "projects/acme-app-dev/secrets/s9/versions/latest") == 2)
        }
    }
}
