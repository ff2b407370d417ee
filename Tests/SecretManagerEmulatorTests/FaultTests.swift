import Foundation
import SecretManagerEmulator
import SecretsmithTestSupport
import Testing

/// Fault injection over HTTP, each kind at rate 1 for determinism, configured at start
/// and at run time through the admin endpoint.
@Suite struct FaultTests {
    private func faults(_ rules: FaultRule...) -> FaultConfiguration {
        FaultConfiguration(rules: rules, seed: 1)
    }

    @Test func errorTwiceThenOK() async throws {
        try await EmulatorHarness.with(faults: faults(FaultRule(.error(httpStatus: 503), method: .access, count: 2))) { harness async throws in
            let first = try await harness.access("api-key", "1")
            #expect(first.status == 503)
            #expect(first.text == #"{"error":{"code":503,"message":"Injected fault: the service answered 503.","status":"UNAVAILABLE"}}"#)
            #expect(try await harness.access("api-key", "1").status == 503)
            #expect(try await harness.access("api-key", "1").status == 200)
            let stats = await harness.emulator.stats()
            #expect(stats.count(.access) == 3)
            #expect(stats.faults["error"] == 2)
            #expect(stats.faultedRequests == 2)
            #expect(stats.count(statusCode: 503) == 2)
        }
    }

    @Test func errorWithExplicitStatus() async throws {
        let rule = FaultRule(.error(httpStatus: 504, status: "DEADLINE_EXCEEDED"))
        try await EmulatorHarness.with(faults: faults(rule)) { harness async throws in
            let answer = try await harness.access("api-key", "1")
            #expect(answer.status == 504)
            #expect(answer.errorStatus == "DEADLINE_EXCEEDED")
        }
    }

    @Test func quotaAnswers429WithRetryAfter() async throws {
        try await EmulatorHarness.with(faults: faults(FaultRule(.resourceExhausted(retryAfterSeconds: 3)))) { harness async throws in
            let answer = try await harness.access("api-key", "1")
            #expect(answer.status == 429)
            #expect(answer.errorStatus == "RESOURCE_EXHAUSTED")
            #expect(answer.header("Retry-After") == "3")
        }
    }

    @Test func dropClosesTheConnectionWithoutAnswer() async throws {
        try await EmulatorHarness.with(faults: faults(FaultRule(.dropConnection, method: .access, count: 1))) { harness async throws in
            await #expect(throws: (any Error).self) { _ = try await harness.access("api-key", "1") }
            #expect(try await harness.access("api-key", "1").status == 200)
            let stats = await harness.emulator.stats()
            #expect(stats.faults["drop"] == 1)
            #expect(stats.count(statusCode: 200) == 1)
        }
    }

    @Test func latencyDelaysTheAnswer() async throws {
        let rule = FaultRule(.latency(milliseconds: 200, jitterMilliseconds: 20), method: .access)
        try await EmulatorHarness.with(faults: faults(rule)) { harness async throws in
            let clock = ContinuousClock()
            let start = clock.now
            let answer = try await harness.access("api-key", "1")
            #expect(answer.status == 200)
            #expect(clock.now - start >= .milliseconds(200))
            #expect(await harness.emulator.stats().faults["latency"] == 1)
        }
    }

    @Test func stallWaitsThenAnswers() async throws {
        try await EmulatorHarness.with(faults: faults(FaultRule(.stall(seconds: 0.3), count: 1))) { harness async throws in
            let clock = ContinuousClock()
            let start = clock.now
            #expect(try await harness.access("api-key", "1").status == 200)
            #expect(clock.now - start >= .milliseconds(300))
        }
    }

    @Test func longStallTimesOutTheClientAndDoesNotDelayStop() async throws {
        let emulator = SecretManagerEmulator(
            seed: EmulatorHarness.standardSeed,
            configuration: EmulatorConfiguration(faults: faults(FaultRule(.stall(seconds: 60)))))
        let port = try await emulator.start()
        try await EmulatorHarness.with(started: emulator, port: port) { harness in
            await #expect(throws: (any Error).self) {
                _ = try await harness.send("GET", "/v1/projects/acme-billing-dev/secrets/api-key/versions/1:access", timeoutMilliseconds: 300)
            }
            let clock = ContinuousClock()
            let start = clock.now
            await emulator.stop()
            // The stall is 60 s; the bound leaves room for a loaded machine (10 s was once too little).
            #expect(clock.now - start < .seconds(30))
        }
    }

    @Test func wrongChecksumIsOffByOne() async throws {
        try await EmulatorHarness.with(faults: faults(FaultRule(.wrongChecksum))) { harness async throws in
            let answer = try await harness.access("db-password", "2")
            let payload = try #require(try answer.json()["payload"] as? [String: Any])
            #expect(payload["dataCrc32c"] as? String == "3131222105")
            #expect(payload["data"] as? String == "c2VDcjN0Cg==")
            // Metadata calls are not affected and do not use the rule up.
            #expect(try await harness.send("GET", "/v1/projects/acme-billing-dev/secrets/db-password/versions/2").status == 200)
        }
    }

    @Test func rulesAreScopedByMethodAndResource() async throws {
        let rule = FaultRule(.error(httpStatus: 500), method: .access, resource: "projects/*/secrets/api-key/*")
        try await EmulatorHarness.with(faults: faults(rule)) { harness async throws in
            #expect(try await harness.access("api-key", "1").status == 500)
            #expect(try await harness.access("db-password", "1").status == 200)
            #expect(try await harness.send("GET", "/v1/projects/acme-billing-dev/secrets/api-key/versions/1").status == 200)
        }
    }

    @Test func faultsChangeAtRunTimeThroughTheAdminEndpoint() async throws {
        try await EmulatorHarness.with { harness async throws in
            #expect(try await harness.access("api-key", "1").status == 200)
            let set = try await harness.send(
                "POST", "/_emulator/faults",
                body: #"{"seed":3,"rules":[{"kind":"resourceExhausted","retryAfterSeconds":2,"method":"access","count":1}]}"#)
            #expect(set.status == 200)
            #expect(await harness.emulator.faults().rules == [FaultRule(.resourceExhausted(retryAfterSeconds: 2), method: .access, count: 1)])
            let limited = try await harness.access("api-key", "1")
            #expect(limited.status == 429)
            #expect(limited.header("Retry-After") == "2")
            #expect(try await harness.access("api-key", "1").status == 200)

            let listed = try await harness.send("GET", "/_emulator/faults")
            let decoded = try JSONDecoder().decode(FaultConfiguration.self, from: Data(listed.body))
            #expect(decoded.rules.count == 1)

            _ = try await harness.send("POST", "/_emulator/faults", body: #"[{"kind":"error","httpStatus":503}]"#)
            #expect(try await harness.access("api-key", "1").status == 503)
            let cleared = try await harness.send("DELETE", "/_emulator/faults")
            #expect(cleared.status == 200)
            #expect(try await harness.access("api-key", "1").status == 200)

            let invalid = try await harness.send("POST", "/_emulator/faults", body: #"[{"kind":"meteor"}]"#)
            #expect(invalid.status == 400)
            #expect(invalid.text.contains("meteor"))
        }
    }

    @Test func theAdminEndpointTakesTheRuleStringsOfFault() async throws {
        try await EmulatorHarness.with { harness async throws in
            let lines = try await harness.send("POST", "/_emulator/faults", body: "# two rules\nquota:2,method=access,count=1\n\nerror:503,count=1\n")
            #expect(lines.status == 200, "\(lines.text)")
            #expect(await harness.emulator.faults().rules == [
                FaultRule(.resourceExhausted(retryAfterSeconds: 2), method: .access, count: 1),
                FaultRule(.error(httpStatus: 503), count: 1),
            ])
            #expect(try await harness.access("api-key", "1").header("Retry-After") == "2")
            #expect(try await harness.access("api-key", "1").status == 503)
            #expect(try await harness.access("api-key", "1").status == 200)

            let strings = try await harness.send("POST", "/_emulator/faults", body: #"{"seed":7,"rules":["latency:5+1,method=access",{"kind":"drop","count":0}]}"#)
            #expect(strings.status == 200, "\(strings.text)")
            #expect(await harness.emulator.faults() == FaultConfiguration(
                rules: [FaultRule(.latency(milliseconds: 5, jitterMilliseconds: 1), method: .access), FaultRule(.dropConnection, count: 0)],
                seed: 7))
            _ = try await harness.send("POST", "/_emulator/faults", body: #""checksum""#)
            #expect(await harness.emulator.faults().rules == [FaultRule(.wrongChecksum)])

            let invalid = try await harness.send("POST", "/_emulator/faults", body: "error:999")
            #expect(invalid.status == 400)
            #expect(invalid.text.contains("error:999"))
            let invalidJSON = try await harness.send("POST", "/_emulator/faults", body: #"["meteor:1"]"#)
            #expect(invalidJSON.status == 400)
            #expect(invalidJSON.text.contains("meteor"))
            #expect(try await harness.send("POST", "/_emulator/faults", body: " ").status == 400)
            #expect(await harness.emulator.faults().rules == [FaultRule(.wrongChecksum)], "a refused body changes nothing")
        }
    }

    @Test func stopCutsAnInjectedStallShortAndClosesItsConnection() async throws {
        let emulator = SecretManagerEmulator(
            seed: EmulatorHarness.standardSeed,
            configuration: EmulatorConfiguration(faults: faults(FaultRule(.stall(seconds: 60)))))
        let port = try await emulator.start()
        try await EmulatorHarness.with(started: emulator, port: port) { harness in
            let request = Task { try await harness.access("api-key", "1") }
            while await emulator.stats().requests == 0 { try await Task.sleep(for: .milliseconds(10)) }
            let clock = ContinuousClock()
            let start = clock.now
            await emulator.stop()
            // The stall is 60 s; the bound leaves room for a loaded machine.
            #expect(clock.now - start < .seconds(30), "a graceful stop does not wait for the stall")
            await #expect(throws: (any Error).self, "the stalled request gets no answer") { _ = try await request.value }
        }
    }

    @Test func faultsChangeInProcess() async throws {
        try await EmulatorHarness.with { harness async throws in
            await harness.emulator.setFaults(FaultConfiguration(rules: [FaultRule(.error(httpStatus: 503), count: 1)]))
            #expect(try await harness.access("api-key", "1").status == 503)
            #expect(try await harness.access("api-key", "1").status == 200)
        }
    }
}
