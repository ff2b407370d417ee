import AsyncHTTPClient
import Foundation
import SecretManagerEmulator
import Secretsmith
import SecretsmithTestSupport
import Testing

@testable import SecretsmithServer

/// A graceful shutdown (what SIGTERM triggers) while requests are in flight.
@Suite struct ServeShutdownTests {
    @Test func everyRequestInFlightAtShutdownIsAnswered() async throws {
        try await withEmulator { fixture in
            // Each upstream access takes 500 ms, so the requests are in flight when the
            // shutdown starts.
            await fixture.faults([try FaultRule(parsing: "latency:500,method=access")])
            let harness = try await ServeHarness.start(fixture: fixture)
            let references = ["dev/app/db-password%401", "dev/app/db-password%402", "dev/app/api-key", "dev/app/config"]
            let results = try await withThrowingTaskGroup(of: Int.self) { group in
                for index in 0..<24 {
                    let path = "/v1/references/\(references[index % references.count])"
                    group.addTask { try await harness.send("GET", path).status }
                }
                // Wait until every request is in flight (accepted, waiting for upstream), then shut down.
                let deadline = ContinuousClock.now + .seconds(30)
                while harness.inFlight() < 24, ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(10))
                }
                let stopping = Task { await harness.stop() }
                var statuses: [Int] = []
                for try await status in group { statuses.append(status) }
                await stopping.value
                return statuses
            }
            #expect(results.count == 24)
            #expect(results.allSatisfy { $0 == 200 }, "\(results)")
            // The listener is closed: a new request is not accepted.
            await #expect(throws: (any Error).self) {
                var request = HTTPClientRequest(url: "http://127.0.0.1:\(harness.port)/healthz")
                request.headers.add(name: "Connection", value: "close")
                _ = try await HTTPClient.shared.execute(request, timeout: .seconds(5))
            }
        }
    }
}
