import SecretManagerEmulator
import SecretsmithTestSupport
import Testing

/// `PATCH` of a secret's mutable fields (what `gcloud secrets update` sends) and the IAM
/// policy methods (`gcloud secrets get-iam-policy`, `add-iam-policy-binding`).
@Suite struct UpdateAndIAMTests {
    private let secret = "/v1/projects/acme-billing-dev/secrets/api-key"

    @Test func patchReplacesTheFieldsTheMaskNames() async throws {
        try await EmulatorHarness.with { harness async throws in
            let etag = try #require(try await harness.send("GET", secret).json()["etag"] as? String)
            let updated = try await harness.send(
                "PATCH", "\(secret)?alt=json&updateMask=labels%2Cversion_destroy_ttl",
                body: #"{"annotations":{"ignored":"x"},"labels":{"team":"billing","env":"dev"},"versionAliases":{},"versionDestroyTtl":"86400s"}"#)
            #expect(updated.status == 200, "\(updated.text)")
            let object = try updated.json()
            #expect(object["labels"] as? [String: String] == ["team": "billing", "env": "dev"])
            #expect(object["versionDestroyTtl"] as? String == "86400s")
            #expect(object["annotations"] == nil, "not in the mask")
            #expect(object["etag"] as? String != etag)
            let read = try await harness.send("GET", secret).json()
            #expect(read["labels"] as? [String: String] == ["team": "billing", "env": "dev"])

            let cleared = try await harness.send("PATCH", "\(secret)?updateMask=labels", body: "{}")
            #expect(try cleared.json()["labels"] == nil)

            let aliased = try await harness.send("PATCH", "\(secret)?updateMask=versionAliases", body: #"{"versionAliases":{"stable":"1"}}"#)
            #expect(aliased.status == 200)
            #expect(try await harness.access("api-key", "stable").status == 200)
        }
    }

    @Test func patchRefusesWhatItCannotDo() async throws {
        try await EmulatorHarness.with { harness async throws in
            #expect(try await harness.send("PATCH", secret, body: #"{"labels":{"a":"b"}}"#).errorStatus == "INVALID_ARGUMENT")
            #expect(try await harness.send("PATCH", "\(secret)?updateMask=replication", body: "{}").errorStatus == "INVALID_ARGUMENT")
            #expect(try await harness.send("PATCH", "\(secret)?updateMask=labels", body: #"{"labels":{"a":1}}"#).errorStatus == "INVALID_ARGUMENT")
            let stale = try await harness.send("PATCH", "\(secret)?updateMask=labels", body: #"{"etag":"\"0\"","labels":{}}"#)
            #expect(stale.status == 409)
            #expect(stale.errorStatus == "ABORTED")
            // Secret Manager's alias rule: `new` in any case and names over 63 characters are refused.
            for alias in ["new", "NEW", "a" + String(repeating: "b", count: 63)] {
                let refused = try await harness.send(
                    "PATCH", "\(secret)?updateMask=versionAliases", body: #"{"versionAliases":{"\#(alias)":"1"}}"#)
                #expect(refused.errorStatus == "INVALID_ARGUMENT", "\(alias)")
                #expect(String(decoding: refused.body, as: UTF8.self).contains("is not a valid alias"), "\(alias)")
            }
            let missing = try await harness.send("PATCH", "/v1/projects/acme-billing-dev/secrets/nope?updateMask=labels", body: "{}")
            #expect(missing.status == 404)
        }
    }

    @Test func iamPolicyStartsEmptyAndKeepsWhatIsSet() async throws {
        try await EmulatorHarness.with { harness async throws in
            let empty = try await harness.send("GET", "\(secret):getIamPolicy?options.requestedPolicyVersion=3")
            #expect(empty.status == 200)
            #expect(empty.text == #"{"version":1,"etag":"ACAB"}"#)
            let binding = #"{"role":"roles/secretmanager.secretAccessor","members":["user:a@example.com"]}"#
            let set = try await harness.send(
                "POST", "\(secret):setIamPolicy", body: #"{"policy":{"version":3,"etag":"ACAB","bindings":[\#(binding)]}}"#)
            #expect(set.status == 200, "\(set.text)")
            let etag = try #require(try set.json()["etag"] as? String)
            #expect(etag != "ACAB")
            let read = try await harness.send("GET", "\(secret):getIamPolicy")
            let stored = #"{"members":["user:a@example.com"],"role":"roles/secretmanager.secretAccessor"}"#
            #expect(read.text == #"{"version":3,"bindings":[\#(stored)],"etag":"\#(etag)"}"#)
            let stale = try await harness.send("POST", "\(secret):setIamPolicy", body: #"{"policy":{"etag":"ACAB"}}"#)
            #expect(stale.errorStatus == "ABORTED")
            #expect(try await harness.send("POST", "\(secret):setIamPolicy", body: "{}").errorStatus == "INVALID_ARGUMENT")
            #expect(try await harness.send("GET", "/v1/projects/acme-billing-dev/secrets/nope:getIamPolicy").status == 404)
        }
    }
}
