import SecretManagerEmulator
import SecretsmithTestSupport
import Testing

/// Error answers: Google's JSON envelope with the status of <https://cloud.google.com/apis/design/errors>'s table, and
/// the front end's HTML 404 for unknown paths.
@Suite struct ErrorTests {
    private let acme = EmulatorHarness.acmeNumber

    @Test func latestPointingAtADisabledVersionFailsPrecondition() async throws {
        try await EmulatorHarness.with { harness async throws in
            let answer = try await harness.access("db-password", "latest")
            #expect(answer.status == 400)
            #expect(answer.header("Content-Type") == "application/json; charset=UTF-8")
            #expect(answer.text == """
                {"error":{"code":400,"message":"Secret Version [projects/\(acme)/secrets/db-password/versions/3] is in DISABLED state.","status":"FAILED_PRECONDITION"}}
                """)
        }
    }

    @Test func aliasOrNumberOfADisabledOrDestroyedVersionFailsPrecondition() async throws {
        try await EmulatorHarness.with { harness async throws in
            let broken = try await harness.access("db-password", "broken")
            #expect(broken.status == 400)
            #expect(broken.errorStatus == "FAILED_PRECONDITION")
            let destroyed = try await harness.access("gone", "1")
            #expect(destroyed.status == 400)
            #expect(destroyed.errorStatus == "FAILED_PRECONDITION")
            #expect(destroyed.text.contains("is in DESTROYED state."))
        }
    }

    @Test func missingSecretIsNotFoundInGooglesEnvelope() async throws {
        try await EmulatorHarness.with { harness async throws in
            let answer = try await harness.access("nope", "latest")
            #expect(answer.status == 404)
            #expect(answer.text == """
                {"error":{"code":404,"message":"Secret [projects/\(acme)/secrets/nope] not found or has no versions.","status":"NOT_FOUND"}}
                """)
        }
    }

    @Test(arguments: [("db-password", "9"), ("db-password", "nosuchalias"), ("empty", "latest"), ("empty", "1")])
    func missingVersionIsNotFound(secret: String, version: String) async throws {
        try await EmulatorHarness.with { harness async throws in
            let answer = try await harness.access(secret, version)
            #expect(answer.status == 404)
            #expect(answer.errorStatus == "NOT_FOUND")
        }
    }

    @Test(arguments: ["/v1/projects/acme-billing-dev/secrets/bad!id/versions/1:access",
                      "/v1/projects/acme-billing-dev/secrets/db-password/versions/0:access",
                      "/v1/projects/acme-billing-dev/secrets/db-password/versions/-3:access"])
    func malformedNamesAreInvalidArguments(path: String) async throws {
        try await EmulatorHarness.with { harness async throws in
            let answer = try await harness.send("GET", path)
            #expect(answer.status == 400)
            #expect(answer.errorStatus == "INVALID_ARGUMENT")
        }
    }

    @Test func unknownProjectIsPermissionDenied() async throws {
        try await EmulatorHarness.with { harness async throws in
            let answer = try await harness.access("db-password", "1", project: "someone-elses")
            #expect(answer.status == 403)
            #expect(answer.errorStatus == "PERMISSION_DENIED")
        }
    }

    @Test(arguments: [("GET", "/v1/nothing/here"), ("GET", "/"), ("DELETE", "/v1/projects/acme-billing-dev/secrets/db-password/versions/1"),
                      ("GET", "/v1/projects/acme-billing-dev/secrets/db-password/versions/1:explode"),
                      ("POST", "/v1/projects/acme-billing-dev/secrets/db-password/versions/1:access")])
    func unknownPathsGetAnHTMLPage(method: String, path: String) async throws {
        try await EmulatorHarness.with { harness async throws in
            let answer = try await harness.send(method, path)
            #expect(answer.status == 404)
            #expect(answer.header("Content-Type") == "text/html; charset=UTF-8")
            #expect(answer.text.hasPrefix("<!DOCTYPE html>"))
            #expect(answer.text.contains("was not found on this server"))
            #expect(await harness.emulator.stats().unknownPaths == 1)
        }
    }
}
