import Foundation
import SecretManagerEmulator
@testable import Secretsmith
import SecretsmithTestSupport
import Testing

/// The manager's cache, single-flight, retries and breaker against the emulator.
@Suite struct MultiEnvironmentSecretManagerTests {
    static let sentinel = EmulatorFixture.sentinel

    @Test func absoluteRelativeAndPointerReferences() async throws {
        try await withEmulator { fixture in
            let manager = try fixture.manager()
            let pinned = try await manager.accessSecretVersion("dev/app/db-password-v2")
            #expect(pinned.bytes == Array("pw2-\(Self.sentinel)\n".utf8))
            #expect(pinned.version == 2)
            let pointer = try await manager.accessSecretVersion("dev/app/config#/db/password")
            #expect(pointer.utf8String == "p-\(Self.sentinel)")
            let number = try await manager.accessSecretVersion("dev/app/config#/db/port")
            #expect(number.utf8String == "5432")
            let relative = try await manager.withEnvironment("prod") {
                try await manager.accessSecretVersion("app/db-password")
            }
            #expect(relative.utf8String == "prod-\(Self.sentinel)")
            let regional = try await manager.accessSecretVersion("dev/eu/regional")
            #expect(regional.utf8String == "eu-\(Self.sentinel)")
        }
    }

    @Test func environmentManagerIsBoundToItsEnvironment() async throws {
        try await withEmulator { fixture in
            let manager = try fixture.manager()
            let prod = try manager.environmentManager(for: "prod")
            let value = try await prod.accessSecret(project: "app", secret: "db-password")
            #expect(value.utf8String == "prod-\(Self.sentinel)")
            await #expect(throws: ConfigurationError.self) {
                _ = try await prod.accessSecretVersion("dev/app/db-password")
            }
            #expect(throws: ConfigurationError.self) { _ = try manager.environmentManager(for: "qa") }
        }
    }

    @Test func environmentManagerIgnoresSECRETSMITH_ENVAndTheTaskLocal() async throws {
        try await withEmulator { fixture in
            // prod is strict (the default), and it is the active environment twice over.
            let manager = try fixture.manager(environment: ["SECRETSMITH_ENV": "prod"])
            let dev = try manager.environmentManager(for: "dev")
            let value = try await dev.accessSecret(project: "app", secret: "db-password-v2")
            #expect(value.version == 2)
            let relative = try await manager.withEnvironment("prod") {
                try await dev.accessSecretVersion("app/api-key")
            }
            #expect(relative.utf8String == "key-\(Self.sentinel)")
            // Relative references of the parent still follow SECRETSMITH_ENV.
            #expect(try await manager.accessSecretVersion("app/db-password").utf8String == "prod-\(Self.sentinel)")
        }
    }

    @Test func concurrencyIsBoundedPerEnvironment() async throws {
        try await withEmulator { fixture in
            let text = EmulatorFixture.standardConfiguration.replacingOccurrences(
                of: "  dev:\n    projects:", with: "  dev:\n    concurrency: 1\n    projects:")
            #expect(text != EmulatorFixture.standardConfiguration)
            let manager = try fixture.manager(configuration: text)
            _ = try await manager.accessSecretVersion("dev/eu/regional")
            _ = try await manager.accessSecretVersion("prod/app/db-password")
            #expect(manager.concurrencyLimits(ofEnvironment: "dev") == [1])
            // The emulator is plain HTTP: the built-in default there is 100, not 200.
            #expect(manager.concurrencyLimits(ofEnvironment: "prod") == [EffectiveSettings.defaultPlainHTTPConcurrency])
            #expect(EffectiveSettings.defaultPlainHTTPConcurrency == 100)
            // Behaviour: with 1 slot, four slow dev accesses run one after another.
            await fixture.faults([FaultRule(.latency(milliseconds: 200), method: .access)])
            let start = ContinuousClock.now
            try await withThrowingTaskGroup(of: Void.self) { group in
                for name in ["api-key", "db-password-v2", "config", "binary"] {
                    group.addTask { _ = try await manager.accessSecretVersion("dev/app/\(name)") }
                }
                try await group.waitForAll()
            }
            #expect(ContinuousClock.now - start >= .milliseconds(800), "four 200 ms calls, one at a time")
        }
    }

    @Test func strictIsolationRefusesAnotherEnvironmentsProjectBeforeFetching() async throws {
        try await withEmulator { fixture in
            let manager = try fixture.manager()
            await #expect(throws: ConfigurationError.self) {
                try await manager.withEnvironment("prod") {
                    _ = try await manager.accessSecretVersion("dev/app/db-password-v2")
                }
            }
            #expect(await fixture.accessCalls() == 0)
        }
    }

    @Test func cachedValuesAreServedWithoutUpstreamCallsUntilTheTTL() async throws {
        try await withEmulator { fixture in
            let manager = try fixture.manager()
            for _ in 0..<5 { _ = try await manager.accessSecretVersion("dev/app/api-key") }
            #expect(await fixture.accessCalls() == 1)
            fixture.clock.advance(by: .seconds(301))  // default ttl 5m
            _ = try await manager.accessSecretVersion("dev/app/api-key")
            #expect(await fixture.accessCalls() == 2)
            let stats = await manager.stats()
            #expect(stats.cacheHits == 4)
            #expect(stats.cacheMisses == 2)
        }
    }

    @Test func aThousandConcurrentColdRequestsMakeOneUpstreamCall() async throws {
        try await withEmulator { fixture in
            await fixture.faults([FaultRule(.latency(milliseconds: 100))])
            let manager = try fixture.manager()
            try await withThrowingTaskGroup(of: SecretValue.self) { group in
                for _ in 0..<1000 {
                    group.addTask { try await manager.accessSecretVersion("dev/app/api-key") }
                }
                for try await value in group { #expect(value.utf8String == "key-\(Self.sentinel)") }
            }
            #expect(await fixture.accessCalls() == 1)
            let stats = await manager.stats()
            #expect(stats.singleFlightJoins + stats.cacheHits == 999)
        }
    }

    @Test func transientFailuresAreRetried() async throws {
        try await withEmulator { fixture in
            await fixture.faults([FaultRule(.error(httpStatus: 503), method: .access, count: 2)])
            let manager = try fixture.manager()
            let value = try await manager.accessSecretVersion("dev/app/api-key")
            #expect(value.utf8String == "key-\(Self.sentinel)")
            #expect(await fixture.accessCalls() == 3)
            let stats = await manager.stats()
            #expect(stats.retries == 2)
            #expect(stats.upstreamCalls == 3)
            // Backoff followed the policy: 100 ms then 200 ms ceilings, full jitter.
            let sleeps = fixture.clock.recordedSleeps
            #expect(sleeps.count == 2)
            #expect(sleeps[0] <= .milliseconds(100) && sleeps[1] <= .milliseconds(200))
        }
    }

    @Test func retryAfterIsHonouredAndAttemptsAreBounded() async throws {
        try await withEmulator { fixture in
            await fixture.faults([FaultRule(.resourceExhausted(retryAfterSeconds: 1))])
            let manager = try fixture.manager()
            let error = await #expect(throws: SecretManagerError.self) {
                _ = try await manager.accessSecretVersion("dev/app/api-key")
            }
            #expect(error?.code == .resourceExhausted)
            #expect(error?.kind == .unavailable)
            #expect(await fixture.accessCalls() == 3)  // max_attempts
            // Two waits between three attempts, each at least Retry-After.
            #expect(fixture.clock.recordedSleeps.count == 2)
            #expect(fixture.clock.recordedSleeps.allSatisfy { $0 >= .seconds(1) })
        }
    }

    @Test func notFoundIsNeverRetriedAndNeverOpensTheBreaker() async throws {
        try await withEmulator { fixture in
            let manager = try fixture.manager()
            for _ in 0..<20 {
                await #expect(throws: SecretManagerError.self) { _ = try await manager.accessSecretVersion("dev/app/missing") }
            }
            #expect(await fixture.accessCalls() == 20)
            #expect(await manager.stats().breakers.map(\.state) == ["closed"])
        }
    }

    @Test func anOpenBreakerFailsFastWithoutUpstreamCallsThenRecovers() async throws {
        try await withEmulator { fixture in
            await fixture.faults([FaultRule(.error(httpStatus: 503))])
            let manager = try fixture.manager()
            // minimum_calls 1 at 100%: the first access, failing after its 3 attempts, opens the breaker.
            await #expect(throws: SecretManagerError.self) { _ = try await manager.accessSecretVersion("dev/app/api-key") }
            let callsWhenOpened = await fixture.accessCalls()
            #expect(callsWhenOpened == 3)
            for _ in 0..<1000 {
                let error = await #expect(throws: SecretManagerError.self) {
                    _ = try await manager.accessSecretVersion("dev/app/db-password-v2")
                }
                #expect(error?.code == .circuitOpen)
                #expect(error?.kind == .unavailable)
                #expect(error?.message.contains("last: UNAVAILABLE (HTTP 503)") == true, "names the cause")
            }
            #expect(await fixture.accessCalls() == callsWhenOpened, "an open breaker makes no call")
            #expect(await manager.stats().breakers.first { $0.environment == "dev" }?.state == "open")
            // prod is another (environment, project): its breaker is closed.
            _ = try? await manager.accessSecretVersion("prod/app/db-password")
            #expect(await fixture.accessCalls() > callsWhenOpened)
            // After the recovery timeout one trial call goes through and closes the breaker.
            await fixture.faults([])
            fixture.clock.advance(by: .seconds(30))
            let value = try await manager.accessSecretVersion("dev/app/db-password-v2")
            #expect(value.version == 2)
            #expect(await manager.stats().breakers.first { $0.environment == "dev" }?.state == "closed")
        }
    }

    @Test func valuesAndErrorsNeverPrintTheSecret() async throws {
        try await withEmulator { fixture in
            let manager = try fixture.manager()
            let value = try await manager.accessSecretVersion("dev/app/api-key")
            #expect("\(value)" == "<redacted>")
            #expect(!String(reflecting: value).contains(Self.sentinel))
            var dumped = ""
            dump(value, to: &dumped)
            #expect(!dumped.contains(Self.sentinel))
            let stats = await manager.stats()
            let encoded = String(decoding: try JSONEncoder().encode(stats), as: UTF8.self)
            #expect(!encoded.contains(Self.sentinel))
        }
    }
}
