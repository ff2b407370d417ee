import Foundation
import Secretsmith
import SecretsmithTestSupport
import Testing

@testable import SecretsmithServer

/// `HEAD` on the `GET` routes, and render refusals that do not tell which outputs exist.
@Suite struct ServeHeadAndRenderRefusalTests {
    @Test func headOnAGetRouteAnswersAsGetWithoutTheBody() async throws {
        try await withServer { harness in
            let path = "/v1/references/dev/app/db-password%401"
            let get = try await harness.send("GET", path)
            #expect(get.status == 200)
            let head = try await harness.send("HEAD", path)
            #expect(head.status == 200, "\(head.text)")
            #expect(head.body.isEmpty)
            #expect(head.header("Content-Length") == String(get.body.count))
            #expect(head.header("X-Secretsmith-Version") == "1")
            #expect(head.header("Cache-Control") == "no-store")
            let google = try await harness.send("HEAD", "/v1/projects/acme-app-dev/secrets/db-password/versions/1:access")
            #expect(google.status == 200)
            #expect(google.body.isEmpty)
            #expect(Int(google.header("Content-Length") ?? "") ?? 0 > 0)
            // The same guard and policy as GET.
            #expect(try await harness.send("HEAD", path, token: nil).status == 401)
            #expect(try await harness.send("HEAD", path, token: "nobody-token").status == 403)
            #expect(try await harness.send("HEAD", "/healthz", token: nil, guardHeader: false).status == 200)
            // Audited as HEAD, on the GET route's name.
            let events = harness.auditEvents
            #expect(events.count == 6)
            #expect(events[1].metadata["http.method"] == "HEAD")
            #expect(events[1].metadata["route"] == "reference")
            #expect(events[1].metadata["cache"] == "hit")
            #expect(events[4].metadata["http.status"] == "403")
            // A path without GET still refuses HEAD with 405.
            let pubsub = try await harness.send("HEAD", "/v1/events/pubsub")
            #expect(pubsub.status == 405)
            #expect(pubsub.header("Allow") == "POST")
        }
    }

    @Test func anUndeclaredOutputOrEnvironmentIsRefusedAsARefusedOutputIs() async throws {
        try await withServer { harness in
            // token:narrow may not read everything "mixed" uses.
            let refused = try await harness.send("POST", "/v1/outputs/mixed:render", token: "narrow-token")
            let undeclared = try await harness.send("POST", "/v1/outputs/nope:render", token: "narrow-token")
            #expect(refused.status == 403)
            #expect(undeclared.status == 403)
            #expect(refused.errorStatus == "PERMISSION_DENIED")
            #expect(undeclared.errorStatus == "PERMISSION_DENIED")
            // The same words but for the name asked: nothing tells which one exists.
            #expect(refused.text.replacingOccurrences(of: "mixed", with: "NAME") == undeclared.text.replacingOccurrences(of: "nope", with: "NAME"))
            #expect(!refused.text.contains("db-password"))
            // An undeclared environment, for a caller who may read the output, likewise.
            let environment = try await harness.send("POST", "/v1/outputs/app-env:render?environment=nowhere", token: "ci-token")
            let both = try await harness.send("POST", "/v1/outputs/nope:render?environment=nowhere", token: "ci-token")
            #expect(environment.status == 403)
            #expect(environment.text == both.text.replacingOccurrences(of: "nope", with: "app-env"))
            #expect(await harness.fixture.accessCalls() == 0)
            // The audit log says which refusal it was.
            let refusals = harness.auditEvents.map { $0.metadata["refusal"].map { "\($0)" } ?? "" }
            #expect(refusals[0].contains("policy denies"))
            #expect(refusals[1].contains("no output is declared"))
            #expect(refusals[2].contains("no environment is declared"))
            #expect(harness.metricsText().contains("secretsmith_serve_policy_denials_total{route=\"render\"} 4"))
        }
    }
}
