import Foundation
import SecretManagerEmulator
@testable import Secretsmith
import SecretsmithTestSupport
import Testing
import Tracing

/// References resolved once (``ResolvedSecretReference`` and the manager's memo of the
/// references it has seen): the same answers, cache, invalidation and breaker as a
/// reference resolved on every access.
@Suite struct ResolvedReferenceTests {
    static let sentinel = EmulatorFixture.sentinel

    @Test func aResolvedReferenceReadsWhatItsTextReads() async throws {
        try await withEmulator { fixture in
            let manager = try fixture.manager()
            let resolved = try manager.resolve("dev/app/db-password-v2")
            #expect(resolved.description == "dev/app/db-password-v2")
            #expect(resolved.secret.versionName == "projects/acme-app-dev/secrets/db-password/versions/2")
            let first = try await manager.accessSecretVersion(resolved)
            let second = try await manager.accessSecretVersion(resolved)
            let text = try await manager.accessSecretVersion("dev/app/db-password-v2")
            #expect(first.bytes == Array("pw2-\(Self.sentinel)\n".utf8))
            #expect(second == first)
            #expect(text == first)
            #expect(await fixture.accessCalls() == 1, "the handle and the text share the cache entry")
            let stats = await manager.stats()
            #expect(stats.requests == 3)
            #expect(stats.cacheHits == 2)
            let port = try await manager.accessSecretVersion(try manager.resolve("dev/app/config#/db/port"))
            #expect(port.utf8String == "5432")
        }
    }

    @Test func relativeTextIsResolvedInTheActiveEnvironmentOfEachAccess() async throws {
        try await withEmulator { fixture in
            let manager = try fixture.manager()
            let prod = try await manager.withEnvironment("prod") { try await manager.accessSecretVersion("app/db-password") }
            #expect(prod.utf8String == "prod-\(Self.sentinel)")
            // The same text in dev names dev's db-password, whose latest version is disabled:
            // it must not be answered from prod's resolution.
            let error = await #expect(throws: SecretManagerError.self) {
                try await manager.withEnvironment("dev") { try await manager.accessSecretVersion("app/db-password") }
            }
            #expect(error?.resource.contains("acme-app-dev") == true)
            // And a relative handle keeps the environment it was resolved in.
            let handle = try await manager.withEnvironment("prod") { try manager.resolve("app/db-password") }
            let again = try await manager.withEnvironment("dev") { try await manager.accessSecretVersion(handle) }
            #expect(again.utf8String == "prod-\(Self.sentinel)")
        }
    }

    @Test func aResolvedReferenceIsInvalidatedLikeAnyOther() async throws {
        try await withEmulator { fixture in
            let manager = try fixture.manager()
            let resolved = try manager.resolve("dev/app/api-key")
            _ = try await manager.accessSecretVersion(resolved)
            _ = try await manager.accessSecretVersion(resolved)
            #expect(await fixture.accessCalls() == 1)
            #expect(manager.cache.invalidate { _ in true } == 1)
            _ = try await manager.accessSecretVersion(resolved)
            #expect(await fixture.accessCalls() == 2, "the dropped entry is fetched again")
        }
    }

    @Test func aReferenceResolvedByAnotherManagerIsReadThroughThisOne() async throws {
        try await withEmulator { fixture in
            let first = try fixture.manager()
            let second = try fixture.manager()
            let resolved = try first.resolve("dev/app/api-key")
            let value = try await second.accessSecretVersion(resolved)
            #expect(value.utf8String == "key-\(Self.sentinel)")
            #expect(await second.stats().requests == 1)
            #expect(await first.stats().requests == 0)
        }
    }

    @Test func anOpenBreakerRefusesAResolvedReferenceAtOnceWithTheWholeMessage() async throws {
        try await withEmulator { fixture in
            await fixture.faults([FaultRule(.error(httpStatus: 503))])
            let manager = try fixture.manager()
            let resolved = try manager.resolve("dev/app/db-password-v2")
            // minimum_calls 1 at 100%: the first access, failing after its 3 attempts, opens it.
            await #expect(throws: SecretManagerError.self) { _ = try await manager.accessSecretVersion(resolved) }
            let calls = await fixture.accessCalls()
            for _ in 0..<100 {
                let error = await #expect(throws: SecretManagerError.self) { _ = try await manager.accessSecretVersion(resolved) }
                #expect(error?.code == .circuitOpen)
                #expect(error?.resource == "projects/acme-app-dev/secrets/db-password/versions/2")
                let message = error?.message ?? ""
                #expect(message.hasPrefix(
                    "not called: the circuit breaker for project acme-app-dev in environment dev is open after 1 of the last 1 accesses failed (last: "))
                #expect(message.hasSuffix("; it lets trial calls through in 30.0 s"))
                #expect(error?.message.contains("(last: UNAVAILABLE (HTTP 503)") == true)
            }
            #expect(await fixture.accessCalls() == calls, "no call while open")
            let stats = await manager.stats()
            #expect(stats.breakerRejections == 100)
            #expect(stats.errors["CIRCUIT_OPEN"] == 100)
            #expect(manager.cache.callsInFlight == 0, "no single-flight call was started for a refusal")
            // After the recovery timeout a trial goes through.
            await fixture.faults([])
            fixture.clock.advance(by: .seconds(30))
            #expect(try await manager.accessSecretVersion(resolved).version == 2)
        }
    }

    @Test func cacheHitsStillMakeAnAccessSpanUnderATracer() async throws {
        try await withEmulator { fixture in
            let manager = try fixture.manager()
            let recorder = SpanRecorder()
            #expect(!SecretsmithSpans.tracingActive)
            try await withTracer(W3CTracer(recorder: recorder)) {
                #expect(SecretsmithSpans.tracingActive)
                _ = try await manager.accessSecretVersion("dev/app/api-key")
                _ = try await manager.accessSecretVersion("dev/app/api-key")
            }
            let spans = recorder.finishedSpans.filter { $0.name == SecretsmithSpans.access }
            #expect(spans.map { $0.attributes["secretsmith.cache"]?.description } == ["miss", "hit"])
            #expect(spans.allSatisfy { $0.attributes["secretsmith.secret.ref"]?.description == "dev/app/api-key" })
        }
    }

    @Test func shortTextRoundsToTenthsWithoutFoundation() {
        #expect(Duration.milliseconds(250).shortText == "250 ms")
        #expect(Duration.seconds(30).shortText == "30.0 s")
        #expect(Duration.milliseconds(1240).shortText == "1.2 s")
        #expect(Duration.milliseconds(59_960).shortText == "60.0 s")
        #expect(Duration.seconds(-3).shortText == "0 ms")
    }
}
