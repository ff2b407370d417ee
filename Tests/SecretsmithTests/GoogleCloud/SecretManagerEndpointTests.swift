@testable import Secretsmith
import Testing

@Suite struct SecretManagerEndpointTests {
    @Test func theEmulatorHostWinsAndMeansPlainHTTPWithoutCredentials() throws {
        let endpoint = try SecretManagerEndpoint.resolve(
            configured: SecretManagerEndpoint.globalDefault, location: "europe-west1", emulatorHost: "127.0.0.1:8085")
        #expect(endpoint == SecretManagerEndpoint(baseURL: "http://127.0.0.1:8085", requiresCredentials: false))
        let v6 = try SecretManagerEndpoint.resolve(configured: "", location: nil, emulatorHost: "[::1]:9000")
        #expect(v6.baseURL == "http://[::1]:9000")
    }

    @Test func aLocationSelectsTheRegionalHost() throws {
        let endpoint = try SecretManagerEndpoint.resolve(
            configured: SecretManagerEndpoint.globalDefault, location: "europe-west1", emulatorHost: nil)
        #expect(endpoint.baseURL == "https://secretmanager.europe-west1.rep.googleapis.com")
        #expect(endpoint.requiresCredentials)
    }

    @Test("unusable addresses are configuration errors, not crashes", arguments: [
        ("", "127.0.0.1:99999", "outside 1–65535"),
        ("", "notaport", "HOST:PORT"),
        ("", "127.0.0.1:0", "outside 1–65535"),
        ("http://127.0.0.1:70000", "", "outside 1–65535"),
        ("ftp://example.com", "", "scheme"),
        ("https://user:hunter2@example.com", "", "user information"),
        ("https://", "", "no host"),
    ])
    func refused(configured: String, emulatorHost: String, problem: String) {
        let error = #expect(throws: ConfigurationError.self) {
            _ = try SecretManagerEndpoint.resolve(configured: configured, location: nil, emulatorHost: emulatorHost)
        }
        #expect(error?.description.contains(problem) == true, "\(String(describing: error))")
        #expect(error?.description.contains("hunter2") == false)
    }
}
