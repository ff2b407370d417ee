import AsyncHTTPClient
import Foundation
import SecretManagerEmulator
import SecretsmithTestSupport
import Testing

/// `POST /v1/token`: the Security Token Service's RFC 8693 exchange of seeded subject
/// tokens, the federated principal it authenticates (for `generateAccessToken` and
/// `access` lists), its OAuth errors, counters, and the seed section that configures it.
@Suite struct TokenExchangeTests {
    static let audience = "//iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/github/providers/actions"
    static let pool = "projects/123456789012/locations/global/workloadIdentityPools/github"
    static let subject = "repo:acme/app:ref:refs/heads/main"
    static let subjectToken = "gh-oidc-\(StandardSeed.sentinel)"
    static let deployer = "deployer@acme.iam.gserviceaccount.com"
    static let stranger = "stranger@acme.iam.gserviceaccount.com"
    static let principal = "principal://iam.googleapis.com/\(pool)/subject/\(subject)"

    static let seedText = """
        workload_identity_providers:
          \(audience):
            subject_token_type: urn:ietf:params:oauth:token-type:jwt
            subject_tokens:
              - { token: "\(subjectToken)", subject: "\(subject)" }
              - { pattern: "eyJ*.ci-*", subject: ci-runner }
        service_accounts:
          \(deployer): { token_creators: [ "principalSet://iam.googleapis.com/\(pool)/*" ] }
          \(stranger): { token_creators: [ someone@acme.iam.gserviceaccount.com ] }
        projects:
          acme:
            access: [ \(deployer), "\(principal)" ]
            secrets:
              open: { versions: [ "open-\(StandardSeed.sentinel)" ] }
              deployers-only: { access: [ \(deployer) ], versions: [ "d" ] }
        """

    static func with<T>(_ body: (AuthHarness) async throws -> T) async throws -> T {
        let seed = try EmulatorSeed.parse(Array(seedText.utf8), file: "seed.yaml")
        let emulator = SecretManagerEmulator(seed: seed, configuration: EmulatorConfiguration(requireAuthentication: true))
        let port = try await emulator.start()
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        return try await withCleanup(AuthHarness(emulator: emulator, port: port, client: client), cleanup: {
            try? await $0.client.shutdown()
            await $0.emulator.stop()
        }, body)
    }

    static func fields(
        subjectToken: String = subjectToken, audience: String = audience,
        subjectTokenType: String = "urn:ietf:params:oauth:token-type:jwt", drop: String? = nil, extra: [(String, String)] = []
    ) -> [(String, String)] {
        let all: [(String, String)] = [
            ("grant_type", "urn:ietf:params:oauth:grant-type:token-exchange"), ("audience", audience),
            ("scope", "https://www.googleapis.com/auth/cloud-platform"),
            ("requested_token_type", "urn:ietf:params:oauth:token-type:access_token"), ("subject_token", subjectToken),
            ("subject_token_type", subjectTokenType),
        ]
        return all.filter { $0.0 != drop } + extra
    }

    static func exchange(_ harness: AuthHarness, _ fields: [(String, String)]) async throws -> EmulatorHarness.Answer {
        let body = fields.map { name, value in
            "\(name)=\(value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? value)"
        }.joined(separator: "&")
        return try await harness.send(
            "POST", "/v1/token", headers: [("Content-Type", "application/x-www-form-urlencoded")], body: body)
    }

    @Test func anAcceptedSubjectTokenIsExchangedAsGoogleAnswers() async throws {
        try await Self.with { harness in
            let answer = try await Self.exchange(harness, Self.fields())
            #expect(answer.status == 200, "\(answer.text)")
            #expect(answer.header("Content-Type") == "application/json")
            let json = try answer.json()
            #expect((json["access_token"] as? String)?.hasPrefix("ya29.") == true)
            #expect(json["issued_token_type"] as? String == "urn:ietf:params:oauth:token-type:access_token")
            #expect(json["token_type"] as? String == "Bearer")
            #expect(json["expires_in"] as? Int == 3600)
            let stats = await harness.emulator.stats()
            #expect(stats.tokensIssued("sts") == 1)
            #expect(stats.count(.stsToken) == 1)
        }
    }

    @Test func theFederatedTokenImpersonatesAndReadsWhereItsPrincipalIsListed() async throws {
        try await Self.with { harness in
            let federated = try #require(try await Self.exchange(harness, Self.fields()).json()["access_token"] as? String)
            let bearer = [("Authorization", "Bearer \(federated)"), ("Content-Type", "application/json")]
            // Directly: the principal is on the project's list, not on the secret's own.
            let open = try await harness.send("GET", "/v1/projects/acme/secrets/open/versions/latest:access", headers: bearer)
            #expect(open.status == 200, "\(open.text)")
            let denied = try await harness.send("GET", "/v1/projects/acme/secrets/deployers-only/versions/latest:access", headers: bearer)
            #expect(denied.status == 403)

            // Through the pool's principalSet on deployer@'s token creators.
            let body = #"{"scope": ["https://www.googleapis.com/auth/cloud-platform"], "lifetime": "1800s"}"#
            let minted = try await harness.send(
                "POST", "/v1/projects/-/serviceAccounts/\(Self.deployer):generateAccessToken", headers: bearer, body: body)
            #expect(minted.status == 200, "\(minted.text)")
            let refused = try await harness.send(
                "POST", "/v1/projects/-/serviceAccounts/\(Self.stranger):generateAccessToken", headers: bearer, body: body)
            #expect(refused.status == 403)
            let records = await harness.emulator.impersonations()
            #expect(records.map(\.caller) == [Self.principal, Self.principal])
            #expect(records.map(\.status) == [200, 403])

            let deployerToken = try #require(try minted.json()["accessToken"] as? String)
            let read = try await harness.send(
                "GET", "/v1/projects/acme/secrets/deployers-only/versions/latest:access",
                headers: [("Authorization", "Bearer \(deployerToken)")])
            #expect(read.status == 200, "\(read.text)")
        }
    }

    @Test func aPatternAcceptsMatchingTokensAsItsSubject() async throws {
        try await Self.with { harness in
            let federated = try #require(
                try await Self.exchange(harness, Self.fields(subjectToken: "eyJhbGciOi.ci-42")).json()["access_token"] as? String)
            let body = #"{"scope": ["https://www.googleapis.com/auth/cloud-platform"]}"#
            _ = try await harness.send(
                "POST", "/v1/projects/-/serviceAccounts/\(Self.deployer):generateAccessToken",
                headers: [("Authorization", "Bearer \(federated)")], body: body)
            #expect(await harness.emulator.impersonations().first?.caller == "principal://iam.googleapis.com/\(Self.pool)/subject/ci-runner")
        }
    }

    enum Refusal: String, CaseIterable {
        case wrongToken, unknownAudience, wrongTokenType, missingSubjectToken, wrongRequestedType, wrongGrant, badOptions
    }

    @Test(arguments: Refusal.allCases)
    func refusalsAreOAuthErrorsWithoutTheToken(refusal: Refusal) async throws {
        try await Self.with { harness in
            let fields: [(String, String)]
            let expected: String
            switch refusal {
            case .wrongToken:
                fields = Self.fields(subjectToken: "wrong-\(StandardSeed.sentinel)")
                expected = "invalid_grant"
            case .unknownAudience:
                fields = Self.fields(audience: Self.audience.replacingOccurrences(of: "actions", with: "other"))
                expected = "invalid_target"
            case .wrongTokenType:
                fields = Self.fields(subjectTokenType: "urn:ietf:params:oauth:token-type:saml2")
                expected = "invalid_grant"
            case .missingSubjectToken:
                fields = Self.fields(drop: "subject_token")
                expected = "invalid_request"
            case .wrongRequestedType:
                fields = Self.fields(drop: "requested_token_type") + [("requested_token_type", "urn:ietf:params:oauth:token-type:jwt")]
                expected = "invalid_request"
            case .wrongGrant:
                fields = [("grant_type", "client_credentials")] + Self.fields(drop: "grant_type")
                expected = "unsupported_grant_type"
            case .badOptions:
                fields = Self.fields(extra: [("options", "not-json")])
                expected = "invalid_request"
            }
            let answer = try await Self.exchange(harness, fields)
            #expect(answer.status == 400, "\(answer.text)")
            let json = try answer.json()
            #expect(json["error"] as? String == expected, "\(answer.text)")
            #expect(!(json["error_description"] as? String ?? "").isEmpty)
            #expect(!answer.text.contains(StandardSeed.sentinel))
            let stats = await harness.emulator.stats()
            #expect(stats.tokenRefusals["sts"] == 1)
            #expect(stats.tokensIssued() == 0)
        }
    }

    @Test func workforceOptionsAsGooglesLibrariesEncodeThemAreAccepted() async throws {
        try await Self.with { harness in
            // Percent-encoded JSON, then form-encoded again (google-auth-library-python's `sts`).
            let options = #"{"userProject": "acme"}"#.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
            let answer = try await Self.exchange(harness, Self.fields(extra: [("options", options)]))
            #expect(answer.status == 200, "\(answer.text)")
        }
    }

    @Test func theSeedSectionIsParsedAndCheckedWithPositions() throws {
        let seed = try EmulatorSeed.parse(Array(Self.seedText.utf8), file: "seed.yaml")
        #expect(seed.workloadIdentityProviders == [
            .init(
                audience: Self.audience, subjectTokenType: "urn:ietf:params:oauth:token-type:jwt",
                subjectTokens: [
                    .init(token: Self.subjectToken, subject: Self.subject), .init(token: "eyJ*.ci-*", isPattern: true, subject: "ci-runner"),
                ])
        ])
        #expect(seed.serviceAccounts.first?.tokenCreators == ["principalSet://iam.googleapis.com/\(Self.pool)/*"])
        let broken: [(String, String)] = [
            ("workload_identity_providers:\n  //iam.googleapis.com/projects/1/pools/x:\n    subject_tokens: [ { token: a, subject: b } ]\n",
             "seed.yaml:2:3: `//iam.googleapis.com/projects/1/pools/x` is not a provider name"),
            ("workload_identity_providers:\n  \(Self.audience):\n    subject_tokens: [ { token: a } ]\n",
             "a subject token needs `subject`"),
            ("workload_identity_providers:\n  \(Self.audience):\n    subject_tokens: [ { token: a, pattern: \"b*\", subject: c } ]\n",
             "needs either `token` or `pattern`"),
            ("workload_identity_providers:\n  \(Self.audience):\n    subject_tokens: [ { pattern: exact, subject: c } ]\n",
             "`pattern` needs a `*` or `?`"),
            ("workload_identity_providers:\n  \(Self.audience):\n    subjects: []\n", "seed.yaml:3:5: unknown key `subjects`"),
            ("workload_identity_providers:\n  \(Self.audience): {}\n", "needs `subject_tokens`"),
            ("service_accounts:\n  a@b.iam.gserviceaccount.com: { token_creators: [ \"principal://elsewhere/x\" ] }\n",
             "is not a principal"),
        ]
        for (text, expected) in broken {
            let error = try #require(throws: EmulatorSeedError.self) { _ = try EmulatorSeed.parse(Array(text.utf8), file: "seed.yaml") }
            #expect("\(error)".contains(expected), "\(error)")
        }
    }
}
