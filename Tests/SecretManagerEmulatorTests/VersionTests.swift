import Foundation
import SecretManagerEmulator
import SecretsmithTestSupport
import Testing

/// Version methods over HTTP: get, list (newest first, paging, filter), add, and the
/// enable/disable/destroy transitions.
@Suite struct VersionTests {
    private let acme = EmulatorHarness.acmeNumber
    private let base = "/v1/projects/acme-billing-dev/secrets/db-password"

    private func names(_ answer: EmulatorHarness.Answer) throws -> [String] {
        let versions = try answer.json()["versions"] as? [[String: Any]] ?? []
        return versions.compactMap { $0["name"] as? String }
    }

    @Test func getVersionAnswersMetadata() async throws {
        try await EmulatorHarness.with { harness async throws in
            let answer = try await harness.send("GET", "\(base)/versions/current")
            #expect(answer.status == 200)
            let json = try answer.json()
            #expect(json["name"] as? String == "projects/\(acme)/secrets/db-password/versions/2")
            #expect(json["state"] as? String == "ENABLED")
            let etag = try #require(json["etag"] as? String)
            #expect(etag.hasPrefix("\"") && etag.hasSuffix("\""))
            let createTime = try #require(json["createTime"] as? String)
            #expect(createTime.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z/) != nil)
            #expect(json["destroyTime"] == nil)
            #expect(json["payload"] == nil)
            // Metadata of a disabled version is readable.
            let disabled = try await harness.send("GET", "\(base)/versions/3")
            #expect(try disabled.json()["state"] as? String == "DISABLED")
        }
    }

    @Test func listIsNewestFirstWithPaging() async throws {
        try await EmulatorHarness.with { harness async throws in
            let first = try await harness.send("GET", "\(base)/versions?pageSize=2")
            #expect(first.status == 200)
            let firstJSON = try first.json()
            #expect(try names(first) == ["projects/\(acme)/secrets/db-password/versions/3", "projects/\(acme)/secrets/db-password/versions/2"])
            #expect(firstJSON["totalSize"] as? Int == 3)
            let token = try #require(firstJSON["nextPageToken"] as? String)
            let encoded = token.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? token
            let second = try await harness.send("GET", "\(base)/versions?pageSize=2&pageToken=\(encoded)")
            #expect(try names(second) == ["projects/\(acme)/secrets/db-password/versions/1"])
            #expect(try second.json()["nextPageToken"] == nil)
            let all = try await harness.send("GET", "\(base)/versions")
            #expect(try names(all).count == 3)
        }
    }

    @Test func listFiltersOnState() async throws {
        try await EmulatorHarness.with { harness async throws in
            let enabled = try await harness.send("GET", "\(base)/versions?filter=state%3AENABLED")
            #expect(try names(enabled) == ["projects/\(acme)/secrets/db-password/versions/2", "projects/\(acme)/secrets/db-password/versions/1"])
            let disabled = try await harness.send("GET", "\(base)/versions?filter=state:DISABLED")
            #expect(try names(disabled) == ["projects/\(acme)/secrets/db-password/versions/3"])
            let none = try await harness.send("GET", "\(base)/versions?filter=state:DESTROYED")
            #expect(none.text == "{}")
            let bad = try await harness.send("GET", "\(base)/versions?filter=colour:blue")
            #expect(bad.status == 400)
            #expect(bad.errorStatus == "INVALID_ARGUMENT")
        }
    }

    @Test func addVersionThenAccessByNumberAndLatest() async throws {
        try await EmulatorHarness.with { harness async throws in
            let data = Data("new-SENTINEL".utf8).base64EncodedString()
            let added = try await harness.send(
                "POST", "/v1/projects/acme-billing-dev/secrets/api-key:addVersion",
                body: #"{"payload":{"data":"\#(data)"}}"#)
            #expect(added.status == 200)
            let json = try added.json()
            #expect(json["name"] as? String == "projects/\(acme)/secrets/api-key/versions/3")
            #expect(json["state"] as? String == "ENABLED")
            for version in ["3", "latest"] {
                let access = try await harness.access("api-key", version)
                #expect(access.status == 200)
                let payload = try #require(try access.json()["payload"] as? [String: Any])
                #expect(payload["data"] as? String == data)
            }
        }
    }

    @Test func addVersionVerifiesTheChecksum() async throws {
        try await EmulatorHarness.with { harness async throws in
            let path = "/v1/projects/acme-billing-dev/secrets/api-key:addVersion"
            let good = try await harness.send("POST", path, body: #"{"payload":{"data":"c2VDcjN0Cg==","dataCrc32c":"3131222104"}}"#)
            #expect(good.status == 200)
            #expect(try good.json()["clientSpecifiedPayloadChecksum"] as? Bool == true)
            let bad = try await harness.send("POST", path, body: #"{"payload":{"data":"c2VDcjN0Cg==","dataCrc32c":"3131222105"}}"#)
            #expect(bad.status == 400)
            #expect(bad.errorStatus == "INVALID_ARGUMENT")
            let notBase64 = try await harness.send("POST", path, body: #"{"payload":{"data":"%%%"}}"#)
            #expect(notBase64.status == 400)
            let notJSON = try await harness.send("POST", path, body: "{")
            #expect(notJSON.errorStatus == "INVALID_ARGUMENT")
            // Only the good one was added.
            let list = try await harness.send("GET", "/v1/projects/acme-billing-dev/secrets/api-key/versions")
            #expect(try list.json()["totalSize"] as? Int == 3)
            let missing = try await harness.send("POST", "/v1/projects/acme-billing-dev/secrets/nope:addVersion", body: "{}")
            #expect(missing.status == 404)
        }
    }

    @Test func enableDisableDestroyTransitions() async throws {
        try await EmulatorHarness.with { harness async throws in
            let version = "\(base)/versions/1"
            let disabled = try await harness.send("POST", "\(version):disable", body: "{}")
            #expect(disabled.status == 200)
            #expect(try disabled.json()["state"] as? String == "DISABLED")
            #expect(try await harness.access("db-password", "1").errorStatus == "FAILED_PRECONDITION")

            let enabled = try await harness.send("POST", "\(version):enable")
            #expect(try enabled.json()["state"] as? String == "ENABLED")
            #expect(try await harness.access("db-password", "1").status == 200)

            let destroyed = try await harness.send("POST", "\(version):destroy")
            let json = try destroyed.json()
            #expect(json["state"] as? String == "DESTROYED")
            #expect(json["destroyTime"] as? String != nil)
            let access = try await harness.access("db-password", "1")
            #expect(access.status == 400)
            #expect(access.text.contains("DESTROYED"))

            let revive = try await harness.send("POST", "\(version):enable")
            #expect(revive.status == 400)
            #expect(revive.errorStatus == "FAILED_PRECONDITION")

            // `latest` is version 3 (DISABLED): enabling it makes latest accessible.
            #expect(try await harness.send("POST", "\(base)/versions/latest:enable").status == 200)
            #expect(try await harness.access("db-password", "latest").status == 200)
        }
    }

    @Test func staleEtagIsAborted() async throws {
        try await EmulatorHarness.with { harness async throws in
            let answer = try await harness.send("POST", "\(base)/versions/2:disable", body: #"{"etag":"\"stale\""}"#)
            #expect(answer.status == 409)
            #expect(answer.errorStatus == "ABORTED")
            let etag = try #require(try await harness.send("GET", "\(base)/versions/2").json()["etag"] as? String)
            let escaped = etag.replacingOccurrences(of: "\"", with: "\\\"")
            let ok = try await harness.send("POST", "\(base)/versions/2:disable", body: #"{"etag":"\#(escaped)"}"#)
            #expect(ok.status == 200)
        }
    }
}
