import Foundation
import Secretsmith
import SecretsmithTestSupport
import Testing

@testable import SecretsmithServer

/// Authentication, the policy, rate limits, the SSRF header and the audit log.
@Suite struct ServeGuardTests {
    @Test func missingOrUnknownTokensAre401WithWWWAuthenticate() async throws {
        try await withServer { harness in
            let path = "/v1/references/dev/app/api-key"
            let missing = try await harness.send("GET", path, token: nil)
            #expect(missing.status == 401)
            #expect(missing.errorStatus == "UNAUTHENTICATED")
            #expect(missing.header("WWW-Authenticate")?.hasPrefix("Bearer") == true)
            let unknown = try await harness.send("GET", path, token: "wrong-token")
            #expect(unknown.status == 401)
            #expect(unknown.header("WWW-Authenticate")?.contains("invalid_token") == true)
            let rejected = try await harness.send("GET", path, token: "rejected-token")
            #expect(rejected.status == 401)
            #expect(rejected.text.contains("expired"))
            let unavailable = try await harness.send("GET", path, token: "unavailable-token")
            #expect(unavailable.status == 503)
            #expect(unavailable.errorStatus == "UNAVAILABLE")
            #expect(await harness.fixture.accessCalls() == 0)
            #expect(harness.metricsText().contains(#"secretsmith_serve_auth_failures_total{reason="missing"} 1"#))
            #expect(harness.metricsText().contains(#"secretsmith_serve_auth_failures_total{reason="unavailable"} 1"#))
        }
    }

    @Test func withoutTheRequiredHeaderTheAnswerIs400BeforeAuthentication() async throws {
        try await withServer { harness in
            let answer = try await harness.send("GET", "/v1/references/dev/app/api-key", guardHeader: false)
            #expect(answer.status == 400)
            #expect(answer.errorStatus == "INVALID_ARGUMENT")
            #expect(answer.text.contains("X-Secretsmith-Request"))
            // An empty value does not count.
            let empty = try await harness.send(
                "GET", "/v1/references/dev/app/api-key", guardHeader: false, headers: [("X-Secretsmith-Request", "")])
            #expect(empty.status == 400)
        }
    }

    @Test func thePolicyIsCheckedOnCacheHitsToo() async throws {
        try await withServer { harness in
            // token:ci may read dev/*/*: the first read fills the cache.
            let allowed = try await harness.send("GET", "/v1/references/dev/app/db-password%401", token: "ci-token")
            #expect(allowed.status == 200)
            #expect(await harness.fixture.accessCalls() == 1)
            // token:narrow may read only dev/app/api-key and dev/eu/*: refused although cached.
            let denied = try await harness.send("GET", "/v1/references/dev/app/db-password%401", token: "narrow-token")
            #expect(denied.status == 403)
            #expect(denied.errorStatus == "PERMISSION_DENIED")
            #expect(!denied.text.contains(StandardSeed.sentinel))
            // The same words whether or not the secret exists.
            let deniedMissing = try await harness.send("GET", "/v1/references/dev/app/missing", token: "narrow-token")
            #expect(deniedMissing.status == 403)
            func message(_ answer: EmulatorHarness.Answer) throws -> String? {
                (try answer.json()["error"] as? [String: Any])?["message"] as? String
            }
            #expect(try message(denied) == #"Permission denied for reference "dev/app/db-password" (or it may not exist)."#)
            #expect(try message(deniedMissing) == #"Permission denied for reference "dev/app/missing" (or it may not exist)."#)
            // And on Google's route.
            let google = try await harness.send(
                "GET", "/v1/projects/acme-app-dev/secrets/db-password/versions/1:access", token: "narrow-token")
            #expect(google.status == 403)
            #expect(await harness.fixture.accessCalls() == 1)
            // A principal no rule names reads nothing.
            let nobody = try await harness.send("GET", "/v1/references/dev/app/api-key", token: "nobody-token")
            #expect(nobody.status == 403)
            #expect(harness.metricsText().contains("secretsmith_serve_policy_denials_total"))
        }
    }

    @Test func renderNeedsEveryReferenceAllowed() async throws {
        try await withServer { harness in
            let denied = try await harness.send("POST", "/v1/outputs/mixed:render", token: "narrow-token")
            #expect(denied.status == 403, "\(denied.text)")
            #expect(await harness.fixture.accessCalls() == 0)
            let allowed = try await harness.send("POST", "/v1/outputs/mixed:render", token: "ci-token")
            #expect(allowed.status == 200, "\(allowed.text)")
        }
    }

    @Test func aBurstOverTheLimitIs429WithRetryAfter() async throws {
        try await withServer { harness in
            // token:prod-reader: burst 2, one more token every 100 s (so a slow machine cannot refill it).
            let path = "/v1/references/prod/app/db-password"
            #expect(try await harness.send("GET", path, token: "prod-token").status == 200)
            #expect(try await harness.send("GET", path, token: "prod-token").status == 200)
            let limited = try await harness.send("GET", path, token: "prod-token")
            #expect(limited.status == 429)
            #expect(limited.errorStatus == "RESOURCE_EXHAUSTED")
            let retryAfter = try #require(limited.header("Retry-After").flatMap(Int.init))
            #expect((1...100).contains(retryAfter))
            // Other principals have buckets of their own.
            #expect(try await harness.send("GET", "/v1/references/dev/app/api-key", token: "ci-token").status == 200)
            #expect(harness.metricsText().contains("secretsmith_serve_rate_limited_total 1"))
        }
    }

    @Test func auditEventsNameThePrincipalAndCacheOutcomeButNoValue() async throws {
        try await withServer { harness in
            _ = try await harness.send("GET", "/v1/references/dev/app/db-password%401")
            _ = try await harness.send("GET", "/v1/projects/acme-app-dev/secrets/db-password/versions/1:access")
            _ = try await harness.send("GET", "/v1/references/dev/app/db-password%401", token: "narrow-token")
            _ = try await harness.send("POST", "/v1/outputs/app-env:render?environment=dev")
            _ = try await harness.send("GET", "/v1/references/dev/app/api-key", token: "secret-looking-token-\(StandardSeed.sentinel)")
            let events = harness.auditEvents
            #expect(events.count == 5)
            #expect(events[0].metadata["principal"] == "token:ci")
            #expect(events[0].metadata["secret.ref"] == "dev/app/db-password@1")
            #expect(events[0].metadata["secret.version"] == "1")
            #expect(events[0].metadata["cache"] == "miss")
            #expect(events[0].metadata["http.status"] == "200")
            #expect(events[0].metadata["route"] == "reference")
            #expect(events[0].metadata["duration_ms"] != nil)
            #expect(events[1].metadata["cache"] == "hit")
            #expect(events[1].metadata["route"] == "access")
            #expect(events[1].metadata["resource"] == "projects/acme-app-dev/secrets/db-password/versions/1")
            #expect(events[2].metadata["principal"] == "token:narrow")
            #expect(events[2].metadata["http.status"] == "403")
            #expect(events[3].metadata["route"] == "render")
            #expect(events[4].metadata["http.status"] == "401")
            // No value and no token anywhere in the log, the metrics or the error bodies.
            #expect(!harness.auditText.contains(StandardSeed.sentinel))
            #expect(!harness.auditText.contains("ci-token"))
            #expect(!harness.metricsText().contains(StandardSeed.sentinel))
        }
    }

    @Test func upstreamCallsCarryTheRequestReason() async throws {
        let reason = try await GoogleRESTRequest.$requestReason.withValue("secretsmith serve for token:ci\n") {
            var request = HTTPClientRequestProbe.make()
            _ = try await GoogleRESTRequest.addHeaders(
                to: &request, requiresCredentials: false, tokenProvider: nil, quotaProject: nil)
            return request.headers["x-goog-request-reason"].first
        }
        #expect(reason == "secretsmith serve for token:ci?")
        var plain = HTTPClientRequestProbe.make()
        _ = try await GoogleRESTRequest.addHeaders(to: &plain, requiresCredentials: false, tokenProvider: nil, quotaProject: nil)
        #expect(plain.headers["x-goog-request-reason"].isEmpty)
    }
}

import AsyncHTTPClient

enum HTTPClientRequestProbe {
    static func make() -> HTTPClientRequest { HTTPClientRequest(url: "http://127.0.0.1:1/") }
}
