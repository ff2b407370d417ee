import SecretManagerEmulator
import SecretsmithTestSupport
import Testing

/// Secret methods over HTTP: create, get, list, delete.
@Suite struct SecretTests {
    private let acme = EmulatorHarness.acmeNumber

    @Test func createAddAccessListDelete() async throws {
        try await EmulatorHarness.with { harness async throws in
            let created = try await harness.send(
                "POST", "/v1/projects/acme-billing-dev/secrets?secretId=fresh",
                body: #"{"replication":{"automatic":{}}}"#)
            #expect(created.status == 200)
            let json = try created.json()
            #expect(json["name"] as? String == "projects/\(acme)/secrets/fresh")
            #expect((json["replication"] as? [String: Any])?["automatic"] != nil)

            let again = try await harness.send(
                "POST", "/v1/projects/acme-billing-dev/secrets?secretId=fresh", body: #"{"replication":{"automatic":{}}}"#)
            #expect(again.status == 409)
            #expect(again.errorStatus == "ALREADY_EXISTS")

            #expect(try await harness.access("fresh", "latest").status == 404)
            let added = try await harness.send(
                "POST", "/v1/projects/acme-billing-dev/secrets/fresh:addVersion", body: #"{"payload":{"data":"QQ=="}}"#)
            #expect(try added.json()["name"] as? String == "projects/\(acme)/secrets/fresh/versions/1")
            #expect(try await harness.access("fresh", "1").status == 200)

            let got = try await harness.send("GET", "/v1/projects/\(acme)/secrets/fresh")
            #expect(try got.json()["name"] as? String == "projects/\(acme)/secrets/fresh")

            let list = try await harness.send("GET", "/v1/projects/acme-billing-dev/secrets")
            let names = (try list.json()["secrets"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
            #expect(names.contains("projects/\(acme)/secrets/fresh"))
            #expect(names.contains("projects/\(acme)/secrets/db-password"))
            #expect(!names.contains { $0.contains("regional-key") })

            let deleted = try await harness.send("DELETE", "/v1/projects/acme-billing-dev/secrets/fresh")
            #expect(deleted.status == 200)
            #expect(deleted.text == "{}")
            #expect(try await harness.send("GET", "/v1/projects/acme-billing-dev/secrets/fresh").status == 404)
            #expect(try await harness.access("fresh", "1").status == 404)
        }
    }

    @Test func getSecretShowsAliases() async throws {
        try await EmulatorHarness.with { harness async throws in
            let answer = try await harness.send("GET", "/v1/projects/acme-billing-dev/secrets/db-password")
            let aliases = try #require(try answer.json()["versionAliases"] as? [String: Any])
            #expect(aliases["current"] as? String == "2")
        }
    }

    @Test func createNeedsAValidIDAndReplication() async throws {
        try await EmulatorHarness.with { harness async throws in
            let noID = try await harness.send("POST", "/v1/projects/acme-billing-dev/secrets", body: #"{"replication":{"automatic":{}}}"#)
            #expect(noID.errorStatus == "INVALID_ARGUMENT")
            let badID = try await harness.send("POST", "/v1/projects/acme-billing-dev/secrets?secretId=no%20spaces", body: "{}")
            #expect(badID.errorStatus == "INVALID_ARGUMENT")
            let noReplication = try await harness.send("POST", "/v1/projects/acme-billing-dev/secrets?secretId=x", body: "{}")
            #expect(noReplication.errorStatus == "INVALID_ARGUMENT")
            let unknownProject = try await harness.send("POST", "/v1/projects/nobody-here/secrets?secretId=x", body: "{}")
            #expect(unknownProject.status == 403)
        }
    }

    @Test func regionalSecretsAreCreatedWithoutReplication() async throws {
        try await EmulatorHarness.with { harness async throws in
            let parent = "/v1/projects/acme-billing-dev/locations/europe-west1/secrets"
            let created = try await harness.send("POST", "\(parent)?secretId=regional-new", body: "{}")
            #expect(created.status == 200)
            #expect(try created.json()["name"] as? String == "projects/\(acme)/locations/europe-west1/secrets/regional-new")
            let list = try await harness.send("GET", parent)
            let names = (try list.json()["secrets"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
            #expect(names == [
                "projects/\(acme)/locations/europe-west1/secrets/regional-key",
                "projects/\(acme)/locations/europe-west1/secrets/regional-new",
            ])
        }
    }
}
