import SecretsmithTestSupport
import Testing

@testable import SecretManagerEmulator

/// The router's shapes: every API route is counted under its method, other shapes get
/// the HTML 404 page, captures are percent-decoded, and names are validated.
@Suite struct ResourcePathTests {
    @Test func routesEveryMethod() async throws {
        let secret = "/v1/projects/acme-billing-dev/secrets/api-key"
        let regional = "/v1/projects/acme-billing-dev/locations/europe-west1/secrets/regional-key"
        let cases: [(String, String, EmulatorMethod, String)] = [
            ("GET", "\(secret)/versions/latest:access", .access, "projects/acme-billing-dev/secrets/api-key/versions/latest"),
            ("GET", "\(secret)/versions/2", .getVersion, "projects/acme-billing-dev/secrets/api-key/versions/2"),
            ("GET", "\(secret)/versions", .listVersions, "projects/acme-billing-dev/secrets/api-key/versions"),
            ("POST", "\(secret)/versions/1:disable", .disable, "projects/acme-billing-dev/secrets/api-key/versions/1"),
            ("POST", "\(secret)/versions/1:enable", .enable, "projects/acme-billing-dev/secrets/api-key/versions/1"),
            ("POST", "\(secret):addVersion", .addVersion, "projects/acme-billing-dev/secrets/api-key"),
            ("GET", "\(secret):getIamPolicy", .getIamPolicy, "projects/acme-billing-dev/secrets/api-key"),
            ("POST", "\(secret):setIamPolicy", .setIamPolicy, "projects/acme-billing-dev/secrets/api-key"),
            ("PATCH", "\(secret)?updateMask=labels", .updateSecret, "projects/acme-billing-dev/secrets/api-key"),
            ("GET", secret, .getSecret, "projects/acme-billing-dev/secrets/api-key"),
            ("GET", "/v1/projects/acme-billing-dev/secrets", .listSecrets, "projects/acme-billing-dev/secrets"),
            ("POST", "/v1/projects/acme-billing-dev/secrets?secretId=new", .createSecret, "projects/acme-billing-dev/secrets"),
            ("DELETE", "/v1/projects/acme-billing-dev/secrets/new", .deleteSecret, "projects/acme-billing-dev/secrets/new"),
            ("GET", "\(regional)/versions/1:access", .access, "projects/acme-billing-dev/locations/europe-west1/secrets/regional-key/versions/1"),
            ("POST", "\(secret)/versions/1:destroy", .destroy, "projects/acme-billing-dev/secrets/api-key/versions/1"),
        ]
        try await EmulatorHarness.with { harness async throws in
            for (httpMethod, path, method, resource) in cases {
                let before = await harness.emulator.stats().count(method, resource: resource)
                let answer = try await harness.send(httpMethod, path, body: httpMethod == "GET" || httpMethod == "DELETE" ? nil : "{}")
                #expect(!answer.text.hasPrefix("<!DOCTYPE"), "\(httpMethod) \(path) was not routed")
                #expect(await harness.emulator.stats().count(method, resource: resource) == before + 1, "\(httpMethod) \(path)")
            }
            #expect(await harness.emulator.stats().unknownPaths == 0)
        }
    }

    @Test(arguments: [
        "/v1/foo", "/v2/projects/acme-billing-dev/secrets", "/v1/projects/acme-billing-dev", "/v1/projects//secrets/api-key",
        "/v1/projects/acme-billing-dev//secrets/api-key", "/v1/projects/acme-billing-dev/secrets/api-key/",
        "/v1/projects/acme-billing-dev/secrets/api-key/versions/1/extra", "/v1/projects/acme-billing-dev/locations/l",
        "/v1/projects/acme-billing-dev/things/s", "/v1/projects/acme-billing-dev/secrets/api-key/versions/:access",
        "/v1/projects/acme-billing-dev/secrets/api-key:explode", "/v1/projects/acme-billing-dev/secrets/api-key/aliases/x",
    ])
    func otherShapesGetTheHTMLPage(path: String) async throws {
        try await EmulatorHarness.with { harness async throws in
            let answer = try await harness.send("GET", path)
            #expect(answer.status == 404)
            #expect(answer.text.hasPrefix("<!DOCTYPE html>"), "\(path)")
            let stats = await harness.emulator.stats()
            #expect(stats.unknownPaths == 1)
            #expect(stats.requests == 0)
        }
    }

    @Test func percentDecodesCaptures() async throws {
        try await EmulatorHarness.with { harness async throws in
            let answer = try await harness.send("GET", "/v1/projects/acme-billing-dev/secrets/api%2Dkey/versions/%31:access")
            #expect(answer.status == 200)
            #expect(await harness.emulator.stats().count(.access, resource: "projects/acme-billing-dev/secrets/api-key/versions/1") == 1)
        }
    }

    @Test func validatesSegmentContents() {
        func error(_ project: String, location: String? = nil, secret: String, version: String? = nil) -> GoogleAPIError? {
            let target: ResourcePath.Target = version.map { .version(secret: secret, version: $0) } ?? .secret(secret)
            return ResourcePath(project: project, location: location, target: target).validationError
        }
        #expect(error("acme", secret: "db", version: "latest") == nil)
        #expect(error("100000000001", secret: "db", version: "current") == nil)
        #expect(error("acme", secret: "bad!id", version: "1")?.status == "INVALID_ARGUMENT")
        #expect(error("acme", secret: "db", version: "0")?.status == "INVALID_ARGUMENT")
        #expect(error("acme", secret: "db", version: "01")?.status == "INVALID_ARGUMENT")
        #expect(error("acme", secret: "db", version: "-1")?.status == "INVALID_ARGUMENT")
        #expect(error("Acme", secret: "db")?.httpStatus == 400)
        #expect(error("acme", location: "EU", secret: "db")?.httpStatus == 400)
    }
}
