import Foundation
@testable import Secretsmith
import Testing

/// `external_account` files: every subject token source Google's libraries read, the
/// fields around them, and errors that name the file and the key (never a value).
@Suite struct ExternalAccountCredentialsTests {
    static let origin = "GOOGLE_APPLICATION_CREDENTIALS file /tmp/gha-creds.json"
    static let audience = "//iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/github/providers/actions"
    static let impersonationURL =
        "https://iamcredentials.googleapis.com/v1/projects/-/serviceAccounts/deployer@acme.iam.gserviceaccount.com:generateAccessToken"

    /// A file as `google-github-actions/auth` writes it, with `credential_source` replaced
    /// and `extra` fields merged in.
    static func file(_ credentialSource: Any, extra: [String: Any] = [:]) -> [UInt8] {
        var object: [String: Any] = [
            "type": "external_account", "audience": audience,
            "subject_token_type": "urn:ietf:params:oauth:token-type:jwt",
            "token_url": "https://sts.googleapis.com/v1/token",
            "service_account_impersonation_url": impersonationURL,
            "credential_source": credentialSource,
        ]
        object.merge(extra) { $1 }
        return Array(try! JSONSerialization.data(withJSONObject: object))
    }

    static func parse(_ bytes: [UInt8]) throws -> ExternalAccountCredentials {
        let file = try GoogleCredentialsFile.parse(bytes, origin: origin)
        guard case .externalAccount(let credentials) = file else {
            Issue.record("not external_account: \(file)")
            throw CancellationError()
        }
        return credentials
    }

    static func error(_ bytes: [UInt8]) throws -> AuthenticationError {
        try #require(throws: AuthenticationError.self) { _ = try GoogleCredentialsFile.parse(bytes, origin: origin) }
    }

    @Test func githubActionsURLSourceAsTheActionWritesIt() throws {
        let credentials = try Self.parse(
            Self.file([
                "url": "https://pipelines.actions.githubusercontent.com/abc/idtoken?api-version=2.0&audience=https%3A%2F%2Fiam.googleapis.com",
                "headers": ["Authorization": "Bearer request-token-SENTINEL"],
                "format": ["type": "json", "subject_token_field_name": "value"],
            ]))
        #expect(credentials.audience == Self.audience)
        #expect(credentials.subjectTokenType == "urn:ietf:params:oauth:token-type:jwt")
        #expect(credentials.tokenURL == "https://sts.googleapis.com/v1/token")
        #expect(credentials.serviceAccountImpersonationURL == Self.impersonationURL)
        #expect(credentials.impersonatedServiceAccount == "deployer@acme.iam.gserviceaccount.com")
        #expect(credentials.tokenLifetimeSeconds == nil)
        #expect(!credentials.isWorkforcePool)
        guard case .url(let url, let headers, let format) = credentials.credentialSource else {
            Issue.record("not a URL source: \(credentials.credentialSource)")
            return
        }
        #expect(url.hasPrefix("https://pipelines.actions.githubusercontent.com/abc/idtoken?"))
        #expect(headers == ["Authorization": "Bearer request-token-SENTINEL"])
        #expect(format == .json(field: "value"))
        // The header value (GitHub's request token) and the query never reach a description.
        let description = "\(credentials)"
        #expect(!description.contains("SENTINEL"), "\(description)")
        #expect(description.contains("subject token URL https://pipelines.actions.githubusercontent.com/abc/idtoken"))
        #expect(!description.contains("api-version"))
    }

    @Test func fileSourcesAsTextOrJSON() throws {
        let text = try Self.parse(Self.file(["file": "/var/run/secrets/tokens/gcp-ksa/token"]))
        guard case .file(let path, let format) = text.credentialSource else { Issue.record("\(text)"); return }
        #expect(path == "/var/run/secrets/tokens/gcp-ksa/token")
        #expect(format == .text)

        let explicitText = try Self.parse(Self.file(["file": "/t", "format": ["type": "text"]]))
        guard case .file(_, .text) = explicitText.credentialSource else { Issue.record("\(explicitText)"); return }

        let json = try Self.parse(
            Self.file(["file": "/t.json", "format": ["type": "json", "subject_token_field_name": "id_token"]]))
        guard case .file("/t.json", .json(field: "id_token")) = json.credentialSource else { Issue.record("\(json)"); return }
    }

    @Test func executableSourceWithGooglesDefaultsAndBounds() throws {
        let defaults = try Self.parse(Self.file(["executable": ["command": "/usr/local/bin/get-token --audience 'a b'"]]))
        guard case .executable(let executable) = defaults.credentialSource else { Issue.record("\(defaults)"); return }
        #expect(executable.timeoutMillis == 30_000)
        #expect(executable.outputFile == nil)
        #expect(executable.program == "/usr/local/bin/get-token")

        let configured = try Self.parse(
            Self.file(["executable": ["command": "get-token", "timeout_millis": 5000, "output_file": "/tmp/cache.json"]]))
        guard case .executable(let other) = configured.credentialSource else { Issue.record("\(configured)"); return }
        #expect(other == ExecutableSubjectTokenConfiguration(command: "get-token", timeoutMillis: 5000, outputFile: "/tmp/cache.json"))
    }

    @Test func optionalFieldsAndDefaults() throws {
        var object = (try JSONSerialization.jsonObject(with: Data(Self.file(["file": "/t"])))) as! [String: Any]
        object["token_url"] = nil
        object["service_account_impersonation_url"] = nil
        let bare = try Self.parse(Array(try JSONSerialization.data(withJSONObject: object)))
        #expect(bare.tokenURL == "https://sts.googleapis.com/v1/token")
        #expect(bare.serviceAccountImpersonationURL == nil && bare.impersonatedServiceAccount == nil)

        let full = try Self.parse(
            Self.file(
                ["file": "/t"],
                extra: [
                    "service_account_impersonation": ["token_lifetime_seconds": 1800],
                    "quota_project_id": "acme-billing", "client_id": "client-1", "client_secret": "client-secret-SENTINEL",
                    "audience": "//iam.googleapis.com/locations/global/workforcePools/staff/providers/okta",
                    "workforce_pool_user_project": "acme-billing",
                ]))
        #expect(full.tokenLifetimeSeconds == 1800)
        #expect(full.quotaProjectID == "acme-billing")
        #expect(full.clientID == "client-1")
        #expect(full.isWorkforcePool)
        #expect(full.workforcePoolUserProject == "acme-billing")
        #expect(!"\(full)".contains("SENTINEL"))
    }

    /// Each broken file, and the words its error must contain: the key path and what is wrong.
    static let broken: [(String, [UInt8], [String])] = [
        ("no audience", Array(#"{"type":"external_account","subject_token_type":"t","credential_source":{"file":"/t"}}"#.utf8),
         ["no \"audience\" field"]),
        ("no subject_token_type", Array(#"{"type":"external_account","audience":"a","credential_source":{"file":"/t"}}"#.utf8),
         ["no \"subject_token_type\" field"]),
        ("no credential_source", Array(#"{"type":"external_account","audience":"a","subject_token_type":"t"}"#.utf8),
         ["no \"credential_source\" object"]),
        ("credential_source not an object", file("file:/t"), ["\"credential_source\" field", "not an object"]),
        ("no source", file(["format": ["type": "text"]]), ["names no subject token source", "\"file\", \"url\" or \"executable\""]),
        ("two sources", file(["file": "/t", "url": "http://x"]), ["\"file\" and \"url\"", "only one"]),
        ("file not a string", file(["file": 7]), ["\"credential_source.file\" field", "not a string"]),
        ("unknown format", file(["file": "/t", "format": ["type": "xml"]]), ["\"credential_source.format.type\"", "\"text\" or \"json\""]),
        ("json without field", file(["file": "/t", "format": ["type": "json"]]),
         ["no \"credential_source.format.subject_token_field_name\" field"]),
        ("headers not strings", file(["url": "http://x", "headers": ["A": 1]]), ["\"credential_source.headers\"", "object of strings"]),
        ("no command", file(["executable": ["timeout_millis": 6000]]), ["no \"credential_source.executable.command\" field"]),
        ("timeout too short", file(["executable": ["command": "x", "timeout_millis": 100]]),
         ["\"credential_source.executable.timeout_millis\" is 100", "5 to 120 seconds"]),
        ("timeout not a number", file(["executable": ["command": "x", "timeout_millis": "5s"]]),
         ["\"credential_source.executable.timeout_millis\"", "not a whole number"]),
        ("unclosed quote", file(["executable": ["command": "get-token 'oops"]]),
         ["\"credential_source.executable.command\" cannot be split", "single quote"]),
        ("AWS", file(["environment_id": "aws1", "region_url": "http://169.254.169.254/x"]),
         ["AWS-sourced workload identity federation", "\"credential_source.environment_id\"", "not supported"]),
        ("certificate", file(["certificate": ["use_default_certificate_config": true]]),
         ["X.509 certificate-sourced", "\"credential_source.certificate\"", "not supported"]),
        ("impersonation URL", file(["file": "/t"], extra: ["service_account_impersonation_url": "https://example.com/x"]),
         ["\"service_account_impersonation_url\"", "generateAccessToken"]),
        ("lifetime", file(["file": "/t"], extra: ["service_account_impersonation": ["token_lifetime_seconds": 50_000]]),
         ["\"service_account_impersonation.token_lifetime_seconds\" is 50000", "600 and 43200"]),
        ("workforce project on a workload pool", file(["file": "/t"], extra: ["workforce_pool_user_project": "p"]),
         ["\"workforce_pool_user_project\"", "workforce pool audience"]),
    ]

    @Test(arguments: broken.indices)
    func brokenFilesAreConfigurationErrorsNamingTheFileAndKey(index: Int) throws {
        let (name, bytes, expected) = Self.broken[index]
        let error = try Self.error(bytes)
        #expect(error.kind == .configuration, "\(name)")
        #expect(error.description.hasPrefix("Credentials from \(Self.origin): "), "\(name): \(error.description)")
        for words in expected {
            #expect(error.description.contains(words), "\(name): \(error.description)")
        }
    }

    @Test func aJSONSyntaxErrorNamesItsPositionNotTheText() throws {
        let error = try Self.error(Array("{\"type\": \"external_account\",\n  \"client_secret\": secret-SENTINEL}".utf8))
        #expect(error.kind == .configuration)
        #expect(error.description.contains("not valid JSON (a syntax error, at line 2, column 20;"), "\(error.description)")
        #expect(!error.description.contains("SENTINEL"))
    }

    @Test func shellWordsSplitLikePythonsShlex() throws {
        #expect(try ShellWords.split("  /bin/get-token  --a=1\t--b  ") == ["/bin/get-token", "--a=1", "--b"])
        #expect(try ShellWords.split(#"x 'a b' "c \"d\" \$e \n" f\ g"#) == ["x", "a b", #"c "d" $e \n"#, "f g"])
        #expect(try ShellWords.split(#"x '' """#) == ["x", "", ""])
        #expect(try ShellWords.split("a'b'c\"d\"") == ["abcd"])
        #expect(throws: ShellWords.SyntaxError.self) { try ShellWords.split("x \"open") }
        #expect(throws: ShellWords.SyntaxError.self) { try ShellWords.split("x \\") }
    }
}
