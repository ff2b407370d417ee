@testable import Secretsmith
import Testing

@Suite struct SharedTaskTests {
    @Test func everyWaiterGetsTheOneResult() async throws {
        let runs = Counter()
        let shared = SharedTask<Int> {
            runs.increment()
            try await Task.sleep(for: .milliseconds(20))
            return 42
        }
        let values = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<20 { group.addTask { try await shared.value() } }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(values == Array(repeating: 42, count: 20))
        #expect(runs.value == 1)
        // After it finished, a late waiter gets the stored result at once.
        #expect(try await shared.value() == 42)
        #expect(!shared.isAbandoned)
    }

    @Test func theWorkIsCancelledOnlyWhenTheLastWaiterLeaves() async throws {
        let cancelled = Counter()
        let gate = AsyncGate()
        let shared = SharedTask<Int> {
            await gate.wait()
            do {
                try await Task.sleep(for: .seconds(600))
            } catch {
                cancelled.increment()
                throw error
            }
            return 1
        }
        let first = Task { try await shared.value() }
        let second = Task { try await shared.value() }
        while shared.waiting < 2 { try? await Task.sleep(for: .milliseconds(1)) }
        first.cancel()
        await #expect(throws: CancellationError.self) { _ = try await first.value }
        #expect(!shared.isAbandoned, "one waiter is left")
        second.cancel()
        await #expect(throws: CancellationError.self) { _ = try await second.value }
        #expect(shared.isAbandoned)
        await gate.open()
        let start = ContinuousClock.now
        // Far below the 10-minute work, far above what a loaded machine takes.
        while cancelled.value == 0 && ContinuousClock.now - start < .seconds(300) { try? await Task.sleep(for: .milliseconds(1)) }
        #expect(cancelled.value == 1)
    }
}
