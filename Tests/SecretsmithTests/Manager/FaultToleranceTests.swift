import Foundation
import SecretManagerEmulator
@testable import Secretsmith
import Testing

/// Renders that survive the emulator's injected faults, with outcomes and call counts.
@Suite struct FaultToleranceTests {
    static let sentinel = EmulatorFixture.sentinel

    /// Fifty secrets in project `acme-app-dev`, a dotenv output referencing all of them.
    func setUp(retry: String, timeout: String = "5s") async throws -> (EmulatorFixture, Renderer, RenderPlan) {
        var secrets: [EmulatorSeed.Secret] = []
        var declared = ""
        var values = ""
        for n in 1...50 {
            secrets.append(.init(id: "s\(n)", versions: [.init(payload: Array("v\(n)-\(Self.sentinel)".utf8))]))
            declared += "          s\(n): {}\n"
            values += "      K\(n): app/s\(n)\n"
        }
        let fixture = try await EmulatorFixture.start(
            seed: EmulatorSeed(projects: [.init(id: "acme-app-dev", secrets: secrets)]))
        let text = """
            version: 1
            defaults:
              timeout: \(timeout)
              # Concurrent calls share the breaker: at a 30% error rate five failures in a
              # row are likely among ~80 calls, so the threshold is raised for these tests.
              circuit_breaker: { failure_threshold: 50 }
              retry: \(retry)
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
        let manager = try fixture.manager(configuration: text)
        let plan = try RenderPlan.make(configuration: manager.configuration, environment: "dev", only: [])
        return (fixture, Renderer(manager: manager, processEnvironment: [:]), plan)
    }

    @Test func aRenderOfFiftySecretsSurvivesThirtyPercent503s() async throws {
        // With 10 attempts a secret fails only if all 10 draws hit the 30%: 0.3^10 ≈ 6e-6,
        // so the render fails about once in 3,000 runs at most.
        let (fixture, renderer, plan) = try await setUp(
            retry: "{ max_attempts: 10, initial_backoff: 10ms, max_backoff: 100ms }")
        await fixture.faults([FaultRule(.error(httpStatus: 503), method: .access, rate: 0.3)])
        let values = try await renderer.fetch(plan)
        #expect(values.count == 50)
        let rendered = try renderer.render(plan, values: values)
        #expect(String(decoding: rendered[0].bytes, as: UTF8.self).contains("K50='v50-\(Self.sentinel)'"))
        let upstream = await fixture.accessCalls()
        let stats = await renderer.manager.stats()
        let faulted = await fixture.emulator.stats().count(statusCode: 503)
        // Every upstream call is accounted for: 50 successes plus one retry per failed
        // attempt (each 503, and any attempt a loaded machine let time out).
        #expect(upstream == stats.upstreamCalls)
        #expect(upstream == 50 + stats.retries)
        #expect(stats.retries >= faulted)
        #expect(faulted > 0, "the fault was injected")
        print("30% 503s, 50 secrets: \(upstream) upstream access calls, \(faulted) answered 503")
        await fixture.shutdown()
    }

    @Test func aStallLongerThanTheTimeoutIsCancelledAndTheRetrySucceeds() async throws {
        let (fixture, renderer, plan) = try await setUp(
            retry: "{ max_attempts: 3, initial_backoff: 10ms }", timeout: "2s")
        await fixture.faults([FaultRule(.stall(seconds: 30), method: .access, resource: "secrets/s7/", count: 1)])
        let values = try await renderer.fetch(plan)
        #expect(values.count == 50)
        // The stalled first attempt was abandoned at the timeout and a retry answered (a
        // heavily loaded machine may need one more).
        let attempts = await fixture.emulator.stats().count(.access, resource: "projects/acme-app-dev/secrets/s7/versions/latest")
        #expect((2...3).contains(attempts))
        #expect(await renderer.manager.stats().retries >= 1)
        await fixture.shutdown()
    }

    @Test func theRunDeadlineCancelsOutstandingWork() async throws {
        let (fixture, renderer, plan) = try await setUp(retry: "{ max_attempts: 1 }")
        await fixture.faults([FaultRule(.stall(seconds: 30), method: .access, resource: "secrets/s3/")])
        let error = await #expect(throws: DeadlineExceededError.self) {
            _ = try await withDeadline(.milliseconds(100)) { try await renderer.fetch(plan) }
        }
        #expect(error?.kind == .unavailable)
        await fixture.shutdown()
    }

    @Test func aDroppedConnectionIsRetried() async throws {
        let (fixture, renderer, plan) = try await setUp(retry: "{ max_attempts: 3, initial_backoff: 10ms }")
        await fixture.faults([FaultRule(.dropConnection, method: .access, resource: "secrets/s9/", count: 1)])
        let values = try await renderer.fetch(plan)
        #expect(values.count == 50)
        #expect(await fixture.emulator.stats().count(.access, resource: "projects/acme-app-dev/secrets/s9/versions/latest") == 2)
        await fixture.shutdown()
    }
}
