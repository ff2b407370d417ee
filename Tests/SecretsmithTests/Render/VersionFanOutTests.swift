import Foundation
@testable import Secretsmith
import Synchronization
import SecretsmithTestSupport
import Testing

/// The one fan-out of render, check and lock: bounded, collecting, under a deadline.
@Suite struct VersionFanOutTests {
    /// Five distinct versions of the standard configuration.
    static let outputs = """
          - name: env
            format: dotenv
            path: out/app.env
            values: { A: app/db-password, B: app/db-password-v2, C: app/api-key, D: app/config, E: app/missing }
        """

    /// Operations in flight now and the most seen at once.
    final class InFlight: Sendable {
        private let state = Mutex((now: 0, most: 0))
        func enter() { state.withLock { $0.now += 1; $0.most = max($0.most, $0.now) } }
        func leave() { state.withLock { $0.now -= 1 } }
        var most: Int { state.withLock { $0.most } }
    }

    @Test func runsEveryVersionAtMostWidthAtATimeAndCollectsFailures() async throws {
        let setup = try await ConfiguredEmulator.start(outputs: Self.outputs)
        let plan = try RenderPlan.make(configuration: setup.configuration, environment: "dev", only: [])
        #expect(plan.distinctSecrets.count == 5)
        let inFlight = InFlight()
        let (values, failures) = try await VersionFanOut(width: 2, deadline: nil).run(plan.distinctSecrets) {
            _, secret in
            inFlight.enter()
            defer { inFlight.leave() }
            try await Task.sleep(for: .milliseconds(20))
            if secret.secretID == "missing" { throw DeadlineExceededError(deadline: .seconds(1)) }
            return secret.versionName
        }
        #expect(inFlight.most == 2)
        #expect(values.count == 4)
        #expect(failures.count == 1)
        #expect(failures.keys.first?.versionName.hasSuffix("/secrets/missing/versions/latest") == true)
        // Every site of the failed version becomes a problem, in the plan's order.
        #expect(plan.problems(at: failures).map { $0.site?.key } == ["E"])
        await setup.shutdown()
    }

    @Test func theDeadlineCancelsOutstandingOperationsAndStartsNoMore() async throws {
        let setup = try await ConfiguredEmulator.start(outputs: Self.outputs)
        let plan = try RenderPlan.make(configuration: setup.configuration, environment: "dev", only: [])
        let started = Counter()
        let start = ContinuousClock.now
        let error = await #expect(throws: DeadlineExceededError.self) {
            _ = try await VersionFanOut(width: 2, deadline: .milliseconds(200)).run(plan.distinctSecrets) { _, _ in
                started.increment()
                try await Task.sleep(for: .seconds(120))
            }
        }
        #expect(error?.deadline == .milliseconds(200))
        // A correctness bound (the operations sleep 120 s), not a speed target; loose
        // because the suite shares two cooperative threads with tests that block them.
        #expect(ContinuousClock.now - start < .seconds(60))
        #expect(started.value == 2)
        await setup.shutdown()
    }
}
