import Testing

@testable import SecretManagerEmulator

@Suite struct ResourcePathTests {
    @Test func parsesAccessWithCustomVerb() throws {
        let path = try #require(ResourcePath.parse("/v1/projects/acme/secrets/db/versions/4:access"))
        #expect(path.project == "acme")
        #expect(path.location == nil)
        #expect(path.target == .version(secret: "db", version: "4"))
        #expect(path.verb == "access")
        #expect(path.requestedName == "projects/acme/secrets/db/versions/4")
        #expect(EmulatorMethod(httpMethod: "GET", path: path) == .access)
        #expect(EmulatorMethod(httpMethod: "POST", path: path) == nil)
    }

    @Test func parsesRegionalPaths() throws {
        let path = try #require(ResourcePath.parse("/v1/projects/acme/locations/europe-west1/secrets/db:addVersion"))
        #expect(path.location == "europe-west1")
        #expect(path.target == .secret("db"))
        #expect(EmulatorMethod(httpMethod: "POST", path: path) == .addVersion)
        #expect(path.name(project: "123") == "projects/123/locations/europe-west1/secrets/db")
    }

    @Test func routesEveryMethod() throws {
        let cases: [(String, String, EmulatorMethod)] = [
            ("GET", "/v1/projects/p/secrets/s/versions/latest:access", .access),
            ("GET", "/v1/projects/p/secrets/s/versions/2", .getVersion),
            ("GET", "/v1/projects/p/secrets/s/versions", .listVersions),
            ("POST", "/v1/projects/p/secrets/s:addVersion", .addVersion),
            ("POST", "/v1/projects/p/secrets/s/versions/1:enable", .enable),
            ("POST", "/v1/projects/p/secrets/s/versions/1:disable", .disable),
            ("POST", "/v1/projects/p/secrets/s/versions/1:destroy", .destroy),
            ("POST", "/v1/projects/p/secrets", .createSecret),
            ("GET", "/v1/projects/p/secrets/s", .getSecret),
            ("DELETE", "/v1/projects/p/secrets/s", .deleteSecret),
            ("GET", "/v1/projects/p/secrets", .listSecrets),
        ]
        for (httpMethod, raw, expected) in cases {
            let path = try #require(ResourcePath.parse(raw), "\(raw)")
            #expect(EmulatorMethod(httpMethod: httpMethod, path: path) == expected, "\(httpMethod) \(raw)")
        }
    }

    @Test(arguments: [
        "/v1/foo", "/v2/projects/p/secrets", "/v1/projects/p", "/v1/projects//secrets/s",
        "/v1/projects/p/secrets/s/versions/1/extra", "/v1/projects/p/locations/l", "/v1/projects/p/things/s",
        "/v1/projects/p/secrets/s/versions/1:", "/", "/v1/projects/p/secrets/s/aliases/x",
    ])
    func rejectsOtherShapes(raw: String) {
        #expect(ResourcePath.parse(raw) == nil)
    }

    @Test func percentDecodesSegments() throws {
        let path = try #require(ResourcePath.parse("/v1/projects/p/secrets/db/versions/3%3Aaccess"))
        #expect(path.verb == "access")
        #expect(path.versionID == "3")
    }

    @Test func validatesSegmentContents() throws {
        func error(_ raw: String) throws -> GoogleAPIError? {
            try #require(ResourcePath.parse(raw)).validationError
        }
        #expect(try error("/v1/projects/acme/secrets/db/versions/latest:access") == nil)
        #expect(try error("/v1/projects/100000000001/secrets/db/versions/current:access") == nil)
        #expect(try error("/v1/projects/acme/secrets/bad!id/versions/1:access")?.status == "INVALID_ARGUMENT")
        #expect(try error("/v1/projects/acme/secrets/db/versions/0:access")?.status == "INVALID_ARGUMENT")
        #expect(try error("/v1/projects/acme/secrets/db/versions/01:access")?.status == "INVALID_ARGUMENT")
        #expect(try error("/v1/projects/acme/secrets/db/versions/-1:access")?.status == "INVALID_ARGUMENT")
        #expect(try error("/v1/projects/Acme/secrets/db")?.httpStatus == 400)
        #expect(try error("/v1/projects/acme/locations/EU/secrets/db")?.httpStatus == 400)
    }
}
