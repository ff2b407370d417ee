import Foundation
import SecretManagerEmulator
@testable import Secretsmith
import Testing

/// Key file parsing (PKCS#8 and PKCS#1), the JWT-bearer assertion's header and claims, and
/// the credential file types of Application Default Credentials.
@Suite struct ServiceAccountKeyTests {
    static let account = AuthFixture.ci

    static func keyJSON(pkcs1: Bool = false, tokenURI: String? = nil, drop: String? = nil, replace: [String: Any] = [:]) -> [UInt8] {
        var object = (try? JSONSerialization.jsonObject(
            with: Data(account.keyFileJSON(tokenURI: tokenURI ?? "https://oauth2.googleapis.com/token", pkcs1: pkcs1).utf8)))
            as? [String: Any] ?? [:]
        if tokenURI == nil { object["token_uri"] = nil }
        if let drop { object[drop] = nil }
        object.merge(replace) { $1 }
        return Array(try! JSONSerialization.data(withJSONObject: object))
    }

    @Test(arguments: [false, true])
    func parsesPKCS8AndPKCS1Keys(pkcs1: Bool) throws {
        let key = try ServiceAccountKey(json: Self.keyJSON(pkcs1: pkcs1), source: "test key")
        #expect(key.clientEmail == Self.account.email)
        #expect(key.privateKeyID == Self.account.privateKeyID)
        #expect(key.projectID == "emulator-project")
        #expect(key.tokenURI == "https://oauth2.googleapis.com/token")  // the default when absent
        #expect(String(describing: key).leaks.isEmpty)
    }

    @Test func assertionCarriesGooglesHeaderAndClaims() throws {
        let key = try ServiceAccountKey(json: Self.keyJSON(tokenURI: "http://127.0.0.1:1/token"), source: "test key")
        let issuedAt = Date(timeIntervalSince1970: 1_800_000_000)
        let jwt = try JWTBearerAssertion(key: key, audience: key.tokenURI, issuedAt: issuedAt).signed(with: key)
        let parts = jwt.split(separator: ".").map(String.init)
        try #require(parts.count == 3)
        #expect(!jwt.contains("="))
        func decode(_ part: String) throws -> [String: Any] {
            var base64 = part.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
            while base64.count % 4 != 0 { base64 += "=" }
            let data = try #require(Data(base64Encoded: base64))
            return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        }
        let header = try decode(parts[0])
        #expect(header["alg"] as? String == "RS256")
        #expect(header["typ"] as? String == "JWT")
        #expect(header["kid"] as? String == Self.account.privateKeyID)
        let claims = try decode(parts[1])
        #expect(claims["iss"] as? String == Self.account.email)
        #expect(claims["aud"] as? String == "http://127.0.0.1:1/token")
        #expect(claims["scope"] as? String == "https://www.googleapis.com/auth/cloud-platform")
        #expect((claims["iat"] as? NSNumber)?.int64Value == 1_800_000_000)
        #expect((claims["exp"] as? NSNumber)?.int64Value == 1_800_003_600)
        // A 2048-bit RSA signature is 256 bytes: 342 base64url characters.
        #expect(parts[2].count == 342)
    }

    @Test func unusableKeyFilesAreConfigurationErrorsThatNameTheFieldNotTheValue() throws {
        let cases: [[UInt8]] = [
            Array("not json".utf8),
            Self.keyJSON(drop: "client_email"),
            Self.keyJSON(drop: "private_key"),
            Self.keyJSON(replace: ["private_key": "-----BEGIN PRIVATE KEY-----\nMIIBroken-\(AuthFixture.sentinel)\n-----END PRIVATE KEY-----\n"]),
            Self.keyJSON(replace: ["type": "authorized_user"]),
        ]
        for bytes in cases {
            let error = try #require(throws: AuthenticationError.self) {
                _ = try ServiceAccountKey(json: bytes, source: "service account key file /etc/sa.json")
            }
            #expect(error.kind == .configuration)
            #expect(error.description.contains("/etc/sa.json"))
            #expect(error.description.leaks.isEmpty, "\(error.description)")
        }
    }

    @Test func credentialFileTypes() throws {
        let user = try GoogleCredentialsFile.parse(
            Array(#"{"type":"authorized_user","client_id":"c","client_secret":"s-SENTINEL-7c1f","refresh_token":"r-SENTINEL-7c1f"}"#.utf8),
            origin: "f")
        guard case .authorizedUser(let credentials) = user else { Issue.record("not a user: \(user)"); return }
        #expect(credentials.tokenURI == "https://oauth2.googleapis.com/token")
        #expect(String(describing: credentials).leaks.isEmpty)

        let impersonated = try GoogleCredentialsFile.parse(
            Array(
                #"""
                {"type":"impersonated_service_account",
                 "service_account_impersonation_url":"https://iamcredentials.googleapis.com/v1/projects/-/serviceAccounts/deployer@p.iam.gserviceaccount.com:generateAccessToken",
                 "delegates":["hop@p.iam.gserviceaccount.com"],
                 "source_credentials":{"type":"authorized_user","client_id":"c","client_secret":"s","refresh_token":"r"}}
                """#.utf8),
            origin: "f")
        guard case .impersonatedServiceAccount(_, let target, let delegates, let source) = impersonated,
            case .authorizedUser = source
        else { Issue.record("not impersonated: \(impersonated)"); return }
        #expect(target == "deployer@p.iam.gserviceaccount.com")
        #expect(delegates == ["hop@p.iam.gserviceaccount.com"])

        for (type, expected) in [
            ("external_account", "no \"audience\" field"), ("external_account_authorized_user", "not supported yet"),
            ("something_else", "\"something_else\" are not supported"),
        ] {
            let error = try #require(throws: AuthenticationError.self) {
                _ = try GoogleCredentialsFile.parse(Array(#"{"type":"\#(type)"}"#.utf8), origin: "GOOGLE_APPLICATION_CREDENTIALS file /x.json")
            }
            #expect(error.kind == .configuration)
            #expect(error.description.contains(expected), "\(error.description)")
            #expect(error.description.contains("/x.json"))
        }
    }

    @Test func formEncodingEscapesEverythingButUnreservedCharacters() {
        #expect(AuthHTTPTransport.formEncode("urn:ietf:params:oauth:grant-type:jwt-bearer") == "urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer")
        #expect(AuthHTTPTransport.formEncode("a b+c/d=é") == "a%20b%2Bc%2Fd%3D%C3%A9")
        #expect(AuthHTTPTransport.formEncode("1//0g-x_y.z*") == "1%2F%2F0g-x_y.z*")
    }

    @Test func rfc3339TimestampsWithAndWithoutFractions() {
        #expect(RFC3339.date(from: "2026-11-29T13:00:00Z") == Date(timeIntervalSince1970: 1_795_957_200))
        #expect(RFC3339.date(from: "2026-11-29T13:00:00.250Z")?.timeIntervalSince1970 == 1_795_957_200.25)
        #expect(RFC3339.date(from: "2026-11-29T14:00:00+01:00") == Date(timeIntervalSince1970: 1_795_957_200))
        #expect(RFC3339.date(from: "tomorrow") == nil)
    }
}
