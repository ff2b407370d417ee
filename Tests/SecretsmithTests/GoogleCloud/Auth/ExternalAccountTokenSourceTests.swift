import AsyncHTTPClient
import Foundation
import Logging
@testable import Secretsmith
import Testing

/// The token exchange request as Google's STS expects it, the subject token sources
/// (file, URL, executable) and the gate on executables, against loopback servers.
@Suite struct ExternalAccountTokenSourceTests {
    static let origin = "GOOGLE_APPLICATION_CREDENTIALS file /tmp/gha-creds.json"
    static let subjectToken = "eyJhbGciOiJSUzI1NiJ9.subject-SENTINEL.sig"

    static var transport: AuthHTTPTransport {
        AuthHTTPTransport(
            httpClient: .shared, logger: Logger(label: "test"), clock: .continuous,
            retry: RetryPolicy(maxAttempts: 1, initialBackoff: .milliseconds(1), maxBackoff: .milliseconds(1), multiplier: 2))
    }

    static func credentials(
        source: Any, tokenURL: String = "https://sts.googleapis.com/v1/token", extra: [String: Any] = [:]
    ) throws -> ExternalAccountCredentials {
        var object: [String: Any] = [
            "type": "external_account", "audience": ExternalAccountCredentialsTests.audience,
            "subject_token_type": "urn:ietf:params:oauth:token-type:jwt", "token_url": tokenURL, "credential_source": source,
        ]
        object.merge(extra) { $1 }
        guard case .externalAccount(let credentials) = try GoogleCredentialsFile.parse(
            Array(try JSONSerialization.data(withJSONObject: object)), origin: origin)
        else { throw CancellationError() }
        return credentials
    }

    static func source(_ credentials: ExternalAccountCredentials, environment: [String: String] = [:]) -> ExternalAccountTokenSource {
        ExternalAccountTokenSource(credentials: credentials, origin: origin, environment: environment, transport: transport)
    }

    static func temporaryFile(_ name: String, _ text: String, mode: Int = 0o600) throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("secretsmith-wif-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = directory.appendingPathComponent(name).path
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
        return path
    }

    @Test func exchangeFormFieldsAreExactlyRFC8693AsGoogleSendsThem() throws {
        let source = Self.source(try Self.credentials(source: ["file": "/t"]))
        let fields = source.exchangeFields(subjectToken: "subject")
        #expect(fields.map(\.0) == ["grant_type", "audience", "scope", "requested_token_type", "subject_token", "subject_token_type"])
        #expect(fields.map(\.1) == [
            "urn:ietf:params:oauth:grant-type:token-exchange", ExternalAccountCredentialsTests.audience,
            "https://www.googleapis.com/auth/cloud-platform", "urn:ietf:params:oauth:token-type:access_token", "subject",
            "urn:ietf:params:oauth:token-type:jwt",
        ])
        let request = source.exchangeRequest(subjectToken: "subject")
        #expect(request.method == .POST)
        #expect(request.headers.first(name: "Content-Type") == "application/x-www-form-urlencoded")
        #expect(request.headers.first(name: "Authorization") == nil)
    }

    @Test func workforcePoolOptionsAndClientAuthentication() throws {
        let workforce = "//iam.googleapis.com/locations/global/workforcePools/staff/providers/okta"
        let withProject = Self.source(
            try Self.credentials(source: ["file": "/t"], extra: ["audience": workforce, "workforce_pool_user_project": "acme-billing"]))
        let options = try #require(withProject.exchangeFields(subjectToken: "s").last)
        #expect(options.0 == "options")
        #expect(options.1.removingPercentEncoding == #"{"userProject":"acme-billing"}"#)
        #expect(options.1.hasPrefix("%7B"))

        // With a client, Basic authentication identifies the project: no options.
        let withClient = Self.source(
            try Self.credentials(
                source: ["file": "/t"],
                extra: [
                    "audience": workforce, "workforce_pool_user_project": "acme-billing", "client_id": "client-1",
                    "client_secret": "secret/1",
                ]))
        #expect(!withClient.exchangeFields(subjectToken: "s").contains { $0.0 == "options" })
        let request = withClient.exchangeRequest(subjectToken: "s")
        #expect(request.headers.first(name: "Authorization") == "Basic \(Data("client-1:secret/1".utf8).base64EncodedString())")
    }

    @Test func theBodySentOnTheWireAndTheAnswerRead() async throws {
        let server = try await ScriptedHTTPServer.start(answers: [
            .init(
                status: 200,
                body: #"{"access_token":"federated","issued_token_type":"urn:ietf:params:oauth:token-type:access_token","token_type":"Bearer","expires_in":3599}"#)
        ])
        defer { Task { try? await server.stop() } }
        let tokenFile = try Self.temporaryFile("token", Self.subjectToken)
        let source = Self.source(try Self.credentials(source: ["file": tokenFile], tokenURL: "http://\(server.host)/v1/token"))
        let token = try await source.fetchToken()
        #expect(token.value == "federated")
        #expect(token.expiresIn == .seconds(3599))
        let received = try #require(server.received.first)
        #expect(received.method == "POST")
        #expect(received.uri == "/v1/token")
        #expect(
            received.body
                == "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Atoken-exchange"
                + "&audience=%2F%2Fiam.googleapis.com%2Fprojects%2F123456789012%2Flocations%2Fglobal%2FworkloadIdentityPools%2Fgithub%2Fproviders%2Factions"
                + "&scope=https%3A%2F%2Fwww.googleapis.com%2Fauth%2Fcloud-platform"
                + "&requested_token_type=urn%3Aietf%3Aparams%3Aoauth%3Atoken-type%3Aaccess_token"
                + "&subject_token=\(AuthHTTPTransport.formEncode(Self.subjectToken))"
                + "&subject_token_type=urn%3Aietf%3Aparams%3Aoauth%3Atoken-type%3Ajwt")
    }

    @Test func aRefusedExchangeIsPermissionNamingTheFileAndCodeButNeverTheToken() async throws {
        // A server that echoes the subject token in its description: it is redacted.
        let server = try await ScriptedHTTPServer.start(answers: [
            .init(status: 400, body: #"{"error":"invalid_grant","error_description":"Token \#(Self.subjectToken) is stale."}"#)
        ])
        defer { Task { try? await server.stop() } }
        let tokenFile = try Self.temporaryFile("token", Self.subjectToken)
        let source = Self.source(try Self.credentials(source: ["file": tokenFile], tokenURL: "http://\(server.host)/v1/token"))
        let error = try await #require(throws: AuthenticationError.self) { _ = try await source.fetchToken() }
        #expect(error.kind == .permission)
        #expect(error.description.contains(Self.origin), "\(error.description)")
        #expect(error.description.contains("invalid_grant"))
        #expect(error.description.contains("Security Token Service http://\(server.host)/v1/token"))
        #expect(!error.description.contains("SENTINEL"), "\(error.description)")
    }

    @Test func fileSourceErrorsNameThePathAndField() async throws {
        let missing = Self.source(try Self.credentials(source: ["file": "/nonexistent/token"]))
        let notFound = try await #require(throws: AuthenticationError.self) { _ = try await missing.retriever.subjectToken() }
        #expect(notFound.kind == .permission)
        #expect(notFound.description.contains("the subject token file /nonexistent/token (credential_source.file) does not exist"))

        let jsonFile = try Self.temporaryFile("token.json", #"{"other": "\#(Self.subjectToken)"}"#)
        let wrongField = Self.source(
            try Self.credentials(source: ["file": jsonFile, "format": ["type": "json", "subject_token_field_name": "value"]]))
        let noField = try await #require(throws: AuthenticationError.self) { _ = try await wrongField.retriever.subjectToken() }
        #expect(noField.description.contains("has no non-empty string field \"value\""), "\(noField.description)")
        #expect(!noField.description.contains("SENTINEL"))

        let good = try Self.temporaryFile("good.json", #"{"value": "\#(Self.subjectToken)"}"#)
        let json = Self.source(try Self.credentials(source: ["file": good, "format": ["type": "json", "subject_token_field_name": "value"]]))
        #expect(try await json.retriever.subjectToken() == Self.subjectToken)
        // Text is taken whole, as Google's libraries take it.
        let text = Self.source(try Self.credentials(source: ["file": try Self.temporaryFile("t", "abc\n")]))
        #expect(try await text.retriever.subjectToken() == "abc\n")
    }

    @Test func urlSourceSendsItsHeadersAndReadsJSON() async throws {
        let server = try await ScriptedHTTPServer.start(answers: [
            .init(status: 200, body: #"{"count": 1, "value": "\#(Self.subjectToken)"}"#),
            .init(status: 403, body: #"{"message": "request token \#(Self.subjectToken) expired"}"#),
        ])
        defer { Task { try? await server.stop() } }
        let source = Self.source(
            try Self.credentials(source: [
                "url": "http://\(server.host)/idtoken?audience=x",
                "headers": ["Authorization": "Bearer request-token-SENTINEL"],
                "format": ["type": "json", "subject_token_field_name": "value"],
            ]))
        #expect(try await source.retriever.subjectToken() == Self.subjectToken)
        let received = try #require(server.received.first)
        #expect(received.method == "GET")
        #expect(received.uri == "/idtoken?audience=x")
        #expect(received.authorization == "Bearer request-token-SENTINEL")

        let refused = try await #require(throws: AuthenticationError.self) { _ = try await source.retriever.subjectToken() }
        #expect(refused.kind == .permission)
        #expect(refused.description.contains("subject token URL http://\(server.host)/idtoken (credential_source.url) answered HTTP 403"))
        #expect(!refused.description.contains("SENTINEL") && !refused.description.contains("audience=x"), "\(refused.description)")
    }

    // MARK: Executables

    static func executable(_ script: String, extra: [String: Any] = [:]) throws -> ExternalAccountCredentials {
        let path = try temporaryFile("get-token.sh", "#!/bin/sh\n" + script, mode: 0o700)
        // 30 s: a loaded test run can take seconds to start a shell; the overrun test sets 5 s.
        var executable: [String: Any] = ["command": "\(path) --flag 'two words'", "timeout_millis": 30000]
        executable.merge(extra) { $1 }
        return try credentials(
            source: ["executable": executable],
            extra: [
                "service_account_impersonation_url": ExternalAccountCredentialsTests.impersonationURL
            ])
    }

    static let allow = ["GOOGLE_EXTERNAL_ACCOUNT_ALLOW_EXECUTABLES": "1", "PATH": "/usr/bin:/bin"]

    static func success(expiration: Int = Int(Date().timeIntervalSince1970) + 3600) -> String {
        #"{"version": 1, "success": true, "token_type": "urn:ietf:params:oauth:token-type:jwt", "id_token": "\#(subjectToken)", "expiration_time": \#(expiration)}"#
    }

    @Test func executablesRunOnlyWhenAllowed() async throws {
        let credentials = try Self.executable("echo '\(Self.success())'")
        for environment in [[:], ["GOOGLE_EXTERNAL_ACCOUNT_ALLOW_EXECUTABLES": "true"]] {
            let error = try await #require(throws: AuthenticationError.self) {
                _ = try await Self.source(credentials, environment: environment).retriever.subjectToken()
            }
            #expect(error.kind == .configuration)
            #expect(error.description.contains(Self.origin))
            #expect(error.description.contains("GOOGLE_EXTERNAL_ACCOUNT_ALLOW_EXECUTABLES=1"), "\(error.description)")
        }
        #expect(try await Self.source(credentials, environment: Self.allow).retriever.subjectToken() == Self.subjectToken)
    }

    @Test func executableGetsGooglesVariablesAndArguments() async throws {
        let record = try Self.temporaryFile("record", "")
        let output = (record as NSString).deletingLastPathComponent + "/output.json"
        let credentials = try Self.executable(
            """
            printf '%s\\n' "$1" "$2" "$GOOGLE_EXTERNAL_ACCOUNT_AUDIENCE" "$GOOGLE_EXTERNAL_ACCOUNT_TOKEN_TYPE" \
              "$GOOGLE_EXTERNAL_ACCOUNT_INTERACTIVE" "$GOOGLE_EXTERNAL_ACCOUNT_IMPERSONATED_EMAIL" \
              "$GOOGLE_EXTERNAL_ACCOUNT_OUTPUT_FILE" "$INHERITED" > \(record)
            echo '\(Self.success())'
            """, extra: ["output_file": output])
        let token = try await Self.source(credentials, environment: Self.allow.merging(["INHERITED": "yes"]) { $1 })
            .retriever.subjectToken()
        #expect(token == Self.subjectToken)
        let lines = String(decoding: try Data(contentsOf: URL(fileURLWithPath: record)), as: UTF8.self)
            .split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(Array(lines.prefix(8)) == [
            "--flag", "two words", ExternalAccountCredentialsTests.audience, "urn:ietf:params:oauth:token-type:jwt", "0",
            "deployer@acme.iam.gserviceaccount.com", output, "yes",
        ])
    }

    @Test func anUnexpiredOutputFileIsUsedWithoutRunningTheProgram() async throws {
        let output = try Self.temporaryFile("output.json", Self.success())
        // The program would fail: the cached response must be used instead.
        let cached = try Self.executable("exit 3", extra: ["output_file": output])
        #expect(try await Self.source(cached, environment: Self.allow).retriever.subjectToken() == Self.subjectToken)

        // Expired: the program runs (and fails here).
        try Data(Self.success(expiration: 1_000_000_000).utf8).write(to: URL(fileURLWithPath: output))
        let error = try await #require(throws: AuthenticationError.self) {
            _ = try await Self.source(cached, environment: Self.allow).retriever.subjectToken()
        }
        #expect(error.kind == .permission)
        #expect(error.description.contains("exited with status 3"), "\(error.description)")
    }

    @Test func executableResponsesGoogleDefines() async throws {
        let cases: [(String, FailureKind, String)] = [
            (#"{"version": 1, "success": false, "code": "401", "message": "Caller not authorized."}"#, .permission,
             "reported failure: code 401: Caller not authorized."),
            (#"{"version": 2, "success": true}"#, .configuration, "response version 2"),
            (#"{"success": true}"#, .configuration, "without a numeric \"version\""),
            (#"{"version": 1, "token_type": "x"}"#, .configuration, "without a boolean \"success\""),
            (#"{"version": 1, "success": true, "token_type": "urn:ietf:params:oauth:token-type:jwt", "expiration_time": 1000000000, "id_token": "\#(Self.subjectToken)"}"#,
             .permission, "expired"),
            (#"{"version": 1, "success": true, "token_type": "urn:ietf:params:oauth:token-type:saml2"}"#, .permission,
             "without a non-empty \"saml_response\""),
            (#"{"version": 1, "success": true, "token_type": "bearer", "id_token": "x"}"#, .configuration, "token type \"bearer\""),
            ("not json", .configuration, "not a JSON object"),
        ]
        for (response, kind, words) in cases {
            let credentials = try Self.executable("cat <<'EOF'\n\(response)\nEOF\n")
            let error = try await #require(throws: AuthenticationError.self) {
                _ = try await Self.source(credentials, environment: Self.allow).retriever.subjectToken()
            }
            #expect(error.kind == kind, "\(response)")
            #expect(error.description.contains(words), "\(error.description)")
            #expect(!error.description.contains("SENTINEL"))
        }
        let saml = try Self.executable(
            #"echo '{"version": 1, "success": true, "token_type": "urn:ietf:params:oauth:token-type:saml2", "saml_response": "PHNhbWw+"}'"#)
        #expect(try await Self.source(saml, environment: Self.allow).retriever.subjectToken() == "PHNhbWw+")
    }

    @Test func aProgramThatOverrunsItsTimeoutIsStopped() async throws {
        // timeout_millis is at least 5 s (Google's lower bound); the program would sleep a minute.
        let credentials = try Self.executable("exec sleep 60", extra: ["timeout_millis": 5000])
        let started = ContinuousClock.now
        let error = try await #require(throws: AuthenticationError.self) {
            _ = try await Self.source(credentials, environment: Self.allow).retriever.subjectToken()
        }
        #expect(error.kind == .unavailable)
        #expect(error.description.contains("did not finish within timeout_millis 5000 ms"), "\(error.description)")
        #expect(ContinuousClock.now - started < .seconds(55))
    }
}
