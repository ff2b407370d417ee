import Foundation
import Secretsmith
import SecretsmithTestSupport
import Testing

@testable import SecretsmithServer

/// The API of `secretsmith serve` in front of the in-process emulator.
@Suite struct ServeAPITests {
    @Test func accessAnswersGooglesShapeWithCRC32C() async throws {
        try await withServer { harness in
            let answer = try await harness.send("GET", "/v1/projects/acme-app-dev/secrets/db-password/versions/2:access")
            #expect(answer.status == 200, "\(answer.text)")
            let json = try answer.json()
            #expect(json["name"] as? String == "projects/acme-app-dev/secrets/db-password/versions/2")
            let payload = try #require(json["payload"] as? [String: Any])
            let encoded = try #require(payload["data"] as? String)
            let data = try #require(Data(base64Encoded: encoded))
            #expect(String(decoding: data, as: UTF8.self) == "pw2-\(StandardSeed.sentinel)\n")
            #expect(payload["dataCrc32c"] as? String == String(CRC32C.checksum(Array(data))))
            #expect(answer.header("Cache-Control") == "no-store")
        }
    }

    @Test func latestResolvesToTheVersionNumberInName() async throws {
        try await withServer { harness in
            // Version 3 of acme-app-dev/db-password is the latest and DISABLED: Google's 400.
            let latest = try await harness.send("GET", "/v1/projects/acme-app-dev/secrets/api-key/versions/latest:access")
            #expect(latest.status == 200)
            #expect(try latest.json()["name"] as? String == "projects/acme-app-dev/secrets/api-key/versions/1")
            let disabled = try await harness.send("GET", "/v1/projects/acme-app-dev/secrets/db-password/versions/3:access")
            #expect(disabled.status == 400)
            #expect(disabled.errorStatus == "FAILED_PRECONDITION")
        }
    }

    @Test func getVersionAnswersMetadataWithoutPayload() async throws {
        try await withServer { harness in
            let answer = try await harness.send("GET", "/v1/projects/acme-app-dev/secrets/db-password/versions/1")
            #expect(answer.status == 200, "\(answer.text)")
            let json = try answer.json()
            #expect(json["name"] as? String == "projects/acme-app-dev/secrets/db-password/versions/1")
            #expect(json["state"] as? String == "ENABLED")
            #expect(json["createTime"] is String)
            #expect(json["payload"] == nil)
            #expect(!answer.text.contains(StandardSeed.sentinel))
        }
    }

    @Test func regionalPathsMatchTheProjectsLocation() async throws {
        try await withServer { harness in
            let regional = try await harness.send(
                "GET", "/v1/projects/acme-app-dev/locations/europe-west1/secrets/regional/versions/1:access")
            #expect(regional.status == 200, "\(regional.text)")
            #expect(
                try regional.json()["name"] as? String
                    == "projects/acme-app-dev/locations/europe-west1/secrets/regional/versions/1")
            // The global path does not name the regional secret, nor another location.
            let global = try await harness.send("GET", "/v1/projects/acme-app-dev/secrets/regional/versions/1:access")
            #expect(global.status == 403)
            let elsewhere = try await harness.send(
                "GET", "/v1/projects/acme-app-dev/locations/us-east1/secrets/regional/versions/1:access")
            #expect(elsewhere.status == 403)
        }
    }

    @Test func aProjectNoEnvironmentDeclaresIsPermissionDeniedInGooglesWords() async throws {
        try await withServer { harness in
            let answer = try await harness.send("GET", "/v1/projects/acme-billing-dev/secrets/db-password/versions/1:access")
            #expect(answer.status == 403)
            let error = try #require(try answer.json()["error"] as? [String: Any])
            #expect(error["code"] as? Int == 403)
            #expect(error["status"] as? String == "PERMISSION_DENIED")
            #expect(
                error["message"] as? String
                    == "Permission 'secretmanager.versions.access' denied for resource 'projects/acme-billing-dev/secrets/db-password/versions/1' (or it may not exist).")
            // No upstream call was made for it.
            #expect(await harness.fixture.accessCalls() == 0)
        }
    }

    @Test func referencesAnswerThePayloadWithItsVersion() async throws {
        try await withServer { harness in
            let answer = try await harness.send("GET", "/v1/references/dev/app/db-password%401")
            #expect(answer.status == 200)
            #expect(answer.text == "pw1-\(StandardSeed.sentinel)")
            #expect(answer.header("X-Secretsmith-Version") == "1")
            #expect(answer.header("Content-Type") == "application/octet-stream")
            let pointer = try await harness.send("GET", "/v1/references/dev/app/config%23/db/port")
            #expect(pointer.status == 200)
            #expect(pointer.text == "5432")
            let alias = try await harness.send("GET", "/v1/references/dev/app/api-key")
            #expect(alias.status == 200)
            #expect(alias.header("X-Secretsmith-Version") == "1")
            let relative = try await harness.send("GET", "/v1/references/app/api-key")
            #expect(relative.status == 400)
            #expect(relative.errorStatus == "INVALID_ARGUMENT")
            let missing = try await harness.send("GET", "/v1/references/dev/app/missing")
            #expect(missing.status == 404)
            #expect(missing.errorStatus == "NOT_FOUND")
        }
    }

    @Test func renderAnswersTheOutputInMemory() async throws {
        try await withServer { harness in
            let answer = try await harness.send("POST", "/v1/outputs/app-env:render?environment=dev")
            #expect(answer.status == 200, "\(answer.text)")
            #expect(answer.text.contains("DB_PASSWORD='pw1-\(StandardSeed.sentinel)'"))
            #expect(answer.text.contains("API_KEY='key-\(StandardSeed.sentinel)'"))
            #expect(!FileManager.default.fileExists(atPath: "/tmp/app.env"))
            let unknown = try await harness.send("POST", "/v1/outputs/nope:render")
            #expect(unknown.status == 403)
        }
    }

    @Test func healthReadinessAndMetricsNeedNoToken() async throws {
        try await withServer { harness in
            let health = try await harness.send("GET", "/healthz", token: nil, guardHeader: false)
            #expect(health.status == 200)
            _ = try await harness.send("GET", "/v1/references/dev/app/db-password%401")
            let ready = try await harness.send("GET", "/readyz", token: nil, guardHeader: false)
            #expect(ready.status == 200, "\(ready.text)")
            let json = try ready.json()
            #expect(json["status"] as? String == "ready")
            #expect((json["credentials"] as? [String: String])?["dev"] == "ok")
            #expect(json["breakers"] is [Any])
            let metrics = try await harness.send("GET", "/metrics", token: nil, guardHeader: false)
            #expect(metrics.status == 200)
            #expect(metrics.text.contains("secretsmith_serve_requests_total"))
            #expect(metrics.text.contains(#"route="reference""#))
            #expect(metrics.text.contains("secretsmith_access_requests_total"))
            #expect(!metrics.text.contains(StandardSeed.sentinel))
        }
    }

    @Test func unknownPathsAnswerGooglesNotFound() async throws {
        try await withServer { harness in
            let answer = try await harness.send("GET", "/v1/nothing/here")
            #expect(answer.status == 404)
            #expect(answer.errorStatus == "NOT_FOUND")
        }
    }
}
