import Foundation
import InMemoryLogging
import Logging
import SecretsmithTestSupport
import Synchronization
import Testing

@testable import SecretsmithServer

@Suite struct JWTAuthenticatorTests {
    static let kubernetesIssuer = "https://kubernetes.default.svc.cluster.local"

    /// A kubernetes authenticator whose JWKS is `keys`, served by a fetch the test counts.
    struct Fixture {
        let clock = TestWallClock()
        let logs = InMemoryLogHandler()
        let jwks: Locked<[UInt8]>
        let fails: Locked<Bool>
        /// How long each fetch takes (a slow issuer).
        let fetchDelay: Locked<Duration>
        let authenticator: JWTAuthenticator

        init(
            kind: JWTIssuerConfiguration.Kind = .kubernetes, issuer: String = JWTAuthenticatorTests.kubernetesIssuer,
            keys: [[String: Any]] = [TestIssuer.rsaJWK(kid: "rsa-1"), TestIssuer.ecJWK(kid: "ec-1")],
            maxAge: Duration? = nil
        ) {
            let jwks = Locked(TestIssuer.jwks(keys))
            let fails = Locked(false)
            let fetchDelay = Locked(Duration.zero)
            var logger = Logger(label: "test") { [logs] _ in logs }
            logger.logLevel = .trace
            let configuration = JWTIssuerConfiguration(
                kind: kind, issuer: issuer, audiences: ["secretsmith", "other"], keys: .url("http://127.0.0.1:1/jwks"))
            let clock = self.clock
            let store = JWKSKeyStore(
                source: configuration.keys,
                fetch: { [jwks, fails, fetchDelay] in
                    if fetchDelay.value > .zero { try await Task.sleep(for: fetchDelay.value) }
                    if fails.value { throw JWKSProblem("HTTP status 500") }
                    return (jwks.value, maxAge)
                },
                timing: configuration.timing, now: clock.closure, logger: logger)
            self.jwks = jwks
            self.fails = fails
            self.fetchDelay = fetchDelay
            authenticator = JWTAuthenticator(configuration: configuration, keyStore: store, now: clock.closure)
        }

        var logText: String { logs.entries.map { "\($0.message) \($0.metadata)" }.joined(separator: "\n") }

        func claims(_ extra: [String: TestJSON] = [:], lifetime: Int = 3600) -> [String: TestJSON] {
            var claims: [String: TestJSON] = [
                "iss": .string(JWTAuthenticatorTests.kubernetesIssuer), "aud": ["secretsmith"],
                "sub": "system:serviceaccount:payments:api",
                "iat": .number(Double(clock.seconds)), "nbf": .number(Double(clock.seconds)),
                "exp": .number(Double(clock.seconds + lifetime)),
                "kubernetes.io": ["namespace": "payments", "serviceaccount": ["name": "api", "uid": "1234"]],
            ]
            claims.merge(extra) { $1 }
            return claims
        }

        func refusal(_ token: String) async -> BearerTokenRejection? {
            do throws(BearerTokenRejection) {
                _ = try await authenticator.authenticate(bearerToken: token)
                return nil
            } catch {
                #expect(!error.reason.contains(token), "a refusal repeats the token")
                #expect(!error.reason.contains("eyJ"), "a refusal repeats part of the token")
                return error
            }
        }
    }

    @Test func kubernetesTokenSignedWithRS256MapsToNamespaceAndServiceAccount() async throws {
        let fixture = Fixture()
        let token = try await TestIssuer.token(fixture.claims())
        let principal = try #require(try await fixture.authenticator.authenticate(bearerToken: token))
        #expect(principal.name == "kubernetes:payments/api")
        #expect(principal.kind == .kubernetesServiceAccount)
        #expect(principal.subject == "system:serviceaccount:payments:api")
        #expect(principal.issuer == Self.kubernetesIssuer)
        #expect(principal.alternativeNames == ["kubernetes:payments/api", "sub:system:serviceaccount:payments:api"])
        #expect(!fixture.logText.contains(token))
    }

    @Test func es256TokenIsAccepted() async throws {
        let fixture = Fixture()
        let token = try await TestIssuer.token(fixture.claims(), kid: "ec-1", ec: true)
        #expect(try await fixture.authenticator.authenticate(bearerToken: token)?.name == "kubernetes:payments/api")
    }

    @Test func kubernetesSubjectAloneNamesTheServiceAccount() async throws {
        let fixture = Fixture()
        var claims = fixture.claims(["sub": "system:serviceaccount:web:frontend"])
        claims["kubernetes.io"] = nil
        let principal = try await fixture.authenticator.authenticate(bearerToken: try await TestIssuer.token(claims))
        #expect(principal?.name == "kubernetes:web/frontend")
        claims["sub"] = "robot-7"
        let other = try await fixture.authenticator.authenticate(bearerToken: try await TestIssuer.token(claims))
        #expect(other?.name == "sub:robot-7")
        #expect(other?.kind == .jwtSubject)
    }

    @Test func expiryIsCheckedWithTheClockSkew() async throws {
        let fixture = Fixture()
        let token = try await TestIssuer.token(fixture.claims(lifetime: 600))
        fixture.clock.advance(seconds: 600 + 59)
        #expect(try await fixture.authenticator.authenticate(bearerToken: token) != nil, "within the 60 s skew")
        fixture.clock.advance(seconds: 2)
        let refusal = try #require(await fixture.refusal(token))
        #expect(refusal.reason.contains("expired"))
        #expect(!refusal.isUnavailable)
    }

    @Test func notBeforeAndIssuedAtInTheFutureBeyondTheSkewAreRefused() async throws {
        let fixture = Fixture()
        let now = Double(fixture.clock.seconds)
        let early = try await TestIssuer.token(fixture.claims(["nbf": .number(now + 61)]))
        #expect(try #require(await fixture.refusal(early)).reason.contains("not valid before"))
        let withinSkew = try await TestIssuer.token(fixture.claims(["nbf": .number(now + 30), "iat": .number(now + 30)]))
        #expect(try await fixture.authenticator.authenticate(bearerToken: withinSkew) != nil)
        let future = try await TestIssuer.token(fixture.claims(["iat": .number(now + 120)]))
        #expect(try #require(await fixture.refusal(future)).reason.contains("issued in the future"))
        var claims = fixture.claims()
        claims["exp"] = nil
        #expect(try #require(await fixture.refusal(try await TestIssuer.token(claims))).reason.contains("no `exp`"))
    }

    @Test func audienceMustNameAConfiguredOneAsStringOrArray() async throws {
        let fixture = Fixture()
        let wrong = try await TestIssuer.token(fixture.claims(["aud": "someone-else"]))
        #expect(try #require(await fixture.refusal(wrong)).reason.contains("`aud`"))
        let wrongList = try await TestIssuer.token(fixture.claims(["aud": ["a", "b"]]))
        #expect(await fixture.refusal(wrongList) != nil)
        let single = try await TestIssuer.token(fixture.claims(["aud": "other"]))
        #expect(try await fixture.authenticator.authenticate(bearerToken: single) != nil)
        let list = try await TestIssuer.token(fixture.claims(["aud": ["vault", "secretsmith"]]))
        #expect(try await fixture.authenticator.authenticate(bearerToken: list) != nil)
    }

    @Test func anotherIssuerOrAnOpaqueTokenIsNotRecognised() async throws {
        let fixture = Fixture()
        let foreign = try await TestIssuer.token(fixture.claims(["iss": "https://issuer.example.com"]))
        #expect(try await fixture.authenticator.authenticate(bearerToken: foreign) == nil)
        for opaque in ["opaque-static-token", "a.b.c", "", "..", "eyJhbGciOiJSUzI1NiJ9.e30"] {
            #expect(try await fixture.authenticator.authenticate(bearerToken: opaque) == nil)
        }
        // Neither needed the issuer's keys.
        #expect(await fixture.authenticator.keyStore.fetchCount == 0)
    }

    @Test func badSignatureIsRefused() async throws {
        let fixture = Fixture()
        let forged = try await TestIssuer.token(fixture.claims(), kid: "rsa-1", rsaKey: TestIssuer.otherRSA)
        #expect(try #require(await fixture.refusal(forged)).reason.contains("signature"))
        // A good token with its claims swapped for another's keeps a signature that no longer fits.
        let good = try await TestIssuer.token(fixture.claims())
        let other = try await TestIssuer.token(fixture.claims(["sub": "system:serviceaccount:kube-system:admin"]))
        let parts = good.split(separator: ".")
        let otherParts = other.split(separator: ".")
        let spliced = "\(parts[0]).\(otherParts[1]).\(parts[2])"
        #expect(try #require(await fixture.refusal(spliced)).reason.contains("signature"))
    }

    @Test func algNoneAndMismatchedAlgorithmsAreRefused() async throws {
        let fixture = Fixture()
        let unsigned = try TestIssuer.unsignedToken(fixture.claims())
        #expect(try #require(await fixture.refusal(unsigned)).reason.contains("`none`"))
        // An RSA signature presented as ES256 under the RSA key's kid.
        let mismatched = try await TestIssuer.token(fixture.claims(), kid: "rsa-1", headerAlg: "ES256")
        #expect(await fixture.refusal(mismatched) != nil)
        let hmac = try await TestIssuer.token(fixture.claims(), kid: "rsa-1", headerAlg: "HS256")
        #expect(try #require(await fixture.refusal(hmac)).reason.contains("`HS256`"))
    }

    @Test func aTokenNamingAnotherAlgorithmDoesNotChangeHowAKeyWithoutAlgVerifies() async throws {
        let fixture = Fixture(keys: [TestIssuer.rsaJWK(kid: "rsa-1", alg: nil)])
        // RS256 bytes presented as PS256: refused, and it must not pin the key to PS256.
        let mislabelled = try await TestIssuer.token(fixture.claims(), kid: "rsa-1", headerAlg: "PS256")
        #expect(try #require(await fixture.refusal(mislabelled)).reason.contains("signature"))
        let good = try await TestIssuer.token(fixture.claims())
        #expect(try await fixture.authenticator.authenticate(bearerToken: good) != nil)
        // An RSA key never verifies an ES256 token.
        let es = try await TestIssuer.token(fixture.claims(), kid: "rsa-1", headerAlg: "ES256")
        #expect(try #require(await fixture.refusal(es)).reason.contains("does not sign with"))
    }

    @Test func unknownKidRefreshesOnceThenFindsTheNewKey() async throws {
        let fixture = Fixture(keys: [TestIssuer.rsaJWK(kid: "rsa-1")])
        let first = try await TestIssuer.token(fixture.claims())
        #expect(try await fixture.authenticator.authenticate(bearerToken: first) != nil)
        #expect(await fixture.authenticator.keyStore.fetchCount == 1)

        // The issuer rotates: a new key appears; a token signed with it triggers one refresh.
        fixture.jwks.value = TestIssuer.jwks([TestIssuer.rsaJWK(kid: "rsa-1"), TestIssuer.ecJWK(kid: "ec-2")])
        fixture.clock.advance(seconds: 31)
        let rotated = try await TestIssuer.token(fixture.claims(), kid: "ec-2", ec: true)
        #expect(try await fixture.authenticator.authenticate(bearerToken: rotated) != nil)
        #expect(await fixture.authenticator.keyStore.fetchCount == 2)

        // Made-up kids within the refresh interval cost no fetch.
        for index in 0..<5 {
            let madeUp = try await TestIssuer.token(fixture.claims(), kid: "unknown-\(index)")
            #expect(try #require(await fixture.refusal(madeUp)).reason.contains("does not list"))
        }
        #expect(await fixture.authenticator.keyStore.fetchCount == 2)
    }

    @Test func concurrentTokensOfARotatedKeyShareOneRefreshAndAllPass() async throws {
        let fixture = Fixture(keys: [TestIssuer.rsaJWK(kid: "rsa-1")])
        _ = try await fixture.authenticator.authenticate(bearerToken: try await TestIssuer.token(fixture.claims()))
        fixture.clock.advance(seconds: 31)
        fixture.jwks.value = TestIssuer.jwks([TestIssuer.rsaJWK(kid: "rsa-1"), TestIssuer.ecJWK(kid: "ec-2")])
        // A slow issuer: every request arrives while the one refresh is under way, and each
        // must wait for it rather than be refused for an unknown key.
        fixture.fetchDelay.value = .milliseconds(200)
        let rotated = try await TestIssuer.token(fixture.claims(), kid: "ec-2", ec: true)
        let accepted = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<20 {
                group.addTask { (try? await fixture.authenticator.authenticate(bearerToken: rotated)) != nil }
            }
            return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(accepted == 20)
        #expect(await fixture.authenticator.keyStore.fetchCount == 2)
    }

    @Test func staleKeysStayInUseWhenARefreshFailsAndNoKeysMeansUnavailable() async throws {
        let fixture = Fixture(maxAge: .seconds(60))
        let token = try await TestIssuer.token(fixture.claims())
        #expect(try await fixture.authenticator.authenticate(bearerToken: token) != nil)
        fixture.fails.value = true
        fixture.clock.advance(seconds: 120)
        #expect(try await fixture.authenticator.authenticate(bearerToken: token) != nil, "stale keys are kept")
        #expect(await fixture.authenticator.keyStore.fetchCount == 2)
        #expect(fixture.logText.contains("previous keys stay in use"))

        let empty = Fixture()
        empty.fails.value = true
        let refusal = try #require(await empty.refusal(try await TestIssuer.token(empty.claims())))
        #expect(refusal.isUnavailable)
        #expect(refusal.reason.contains("could not be obtained"))
        // The caller is not told where the keys come from (a file path, a URL) or why they failed.
        #expect(!refusal.reason.contains("obtained from") && !refusal.reason.contains("500"), "\(refusal.reason)")
        #expect(empty.logText.contains("The JWKS could not be refreshed"))
    }

    @Test func googleTokensNeedAVerifiedEmailAndAcceptBothIssuerForms() async throws {
        let fixture = Fixture(kind: .google, issuer: "https://accounts.google.com")
        var claims = fixture.claims([
            "iss": "accounts.google.com", "sub": "1234567890", "email": "app@acme-prod.iam.gserviceaccount.com",
            "email_verified": true,
        ])
        claims["kubernetes.io"] = nil
        let verified = try await fixture.authenticator.authenticate(bearerToken: try await TestIssuer.token(claims))
        #expect(verified?.name == "google:app@acme-prod.iam.gserviceaccount.com")
        #expect(verified?.email == "app@acme-prod.iam.gserviceaccount.com")
        #expect(verified?.alternativeNames == ["google:app@acme-prod.iam.gserviceaccount.com", "sub:1234567890"])

        claims["iss"] = "https://accounts.google.com"
        claims["email_verified"] = false
        let unverified = try await fixture.authenticator.authenticate(bearerToken: try await TestIssuer.token(claims))
        #expect(unverified?.name == "sub:1234567890")
        #expect(unverified?.email == nil)
    }

    @Test func jwksIsFetchedFromALoopbackServerWithItsMaxAge() async throws {
        let jwks = TestIssuer.jwks([TestIssuer.rsaJWK(kid: "rsa-1")])
        try await withLoopbackServer({ _, _ in
            .init(status: 200, headers: ["Content-Type": "application/json", "Cache-Control": "public, max-age=120"], body: jwks)
        }) { server in
            let clock = TestWallClock()
            let authenticator = try JWTAuthenticator(
                configuration: JWTIssuerConfiguration(
                    kind: .kubernetes, issuer: Self.kubernetesIssuer, audiences: ["secretsmith"],
                    keys: .url("\(server.baseURL)/openid/v1/jwks")),
                now: clock.closure)
            let claims: [String: TestJSON] = [
                "iss": .string(Self.kubernetesIssuer), "aud": "secretsmith", "sub": "system:serviceaccount:a:b",
                "exp": .number(Double(clock.seconds + 3600)),
            ]
            let token = try await TestIssuer.token(claims)
            #expect(try await authenticator.authenticate(bearerToken: token)?.name == "kubernetes:a/b")
            clock.advance(seconds: 100)
            #expect(try await authenticator.authenticate(bearerToken: token) != nil)
            #expect(server.received.count == 1, "cached for max-age")
            clock.advance(seconds: 30)
            #expect(try await authenticator.authenticate(bearerToken: token) != nil)
            #expect(server.received.count == 2, "fetched again after max-age")
            #expect(server.received.first?.path == "/openid/v1/jwks")
        }
    }

    @Test func jwksIsReadFromAFile() async throws {
        try await withWorkspace { workspace in
            let path = try workspace.write("jwks.json", bytes: TestIssuer.jwks([TestIssuer.ecJWK(kid: "ec-1")]))
            let clock = TestWallClock()
            let authenticator = try JWTAuthenticator(
                configuration: JWTIssuerConfiguration(
                    kind: .kubernetes, issuer: Self.kubernetesIssuer, audiences: ["secretsmith"], keys: .file(path)),
                now: clock.closure)
            let claims: [String: TestJSON] = [
                "iss": .string(Self.kubernetesIssuer), "aud": "secretsmith", "sub": "system:serviceaccount:a:b",
                "exp": .number(Double(clock.seconds + 3600)),
            ]
            let token = try await TestIssuer.token(claims, kid: "ec-1", ec: true)
            #expect(try await authenticator.authenticate(bearerToken: token)?.name == "kubernetes:a/b")
        }
    }

    @Test func plainHTTPJWKSIsRefusedOffLoopback() {
        #expect(throws: AuthenticationSetupError.self) {
            try JWKSSource.url("http://kubernetes.default.svc/openid/v1/jwks").validate()
        }
        #expect(throws: Never.self) { try JWKSSource.url("https://kubernetes.default.svc/openid/v1/jwks").validate() }
        #expect(throws: Never.self) { try JWKSSource.url("http://127.0.0.1:8080/jwks").validate() }
    }

    @Test func cacheControlMaxAgeIsParsed() {
        #expect(JWKSKeyStore.maxAge(cacheControl: ["public, max-age=19766, must-revalidate, no-transform"]) == .seconds(19766))
        #expect(JWKSKeyStore.maxAge(cacheControl: ["no-store"]) == .zero)
        #expect(JWKSKeyStore.maxAge(cacheControl: []) == nil)
    }

    @Test func chainTriesStaticTokensThenJWTIssuersAndRefusesTheRest() async throws {
        let fixture = Fixture()
        let staticTokens = StaticTokenAuthenticator(
            file: try StaticTokenFile.parse(StaticTokenFile.line(name: "ci", token: "opaque-ci-token"), path: "t"),
            path: "t")
        let chain = AuthenticatorChain([staticTokens, fixture.authenticator])
        #expect(try await chain.authenticate(bearerToken: "opaque-ci-token") == .staticToken(named: "ci"))
        let token = try await TestIssuer.token(fixture.claims())
        #expect(try await chain.authenticate(bearerToken: token).name == "kubernetes:payments/api")
        let foreign = try await TestIssuer.token(fixture.claims(["iss": "https://elsewhere.example.com"]))
        await #expect(throws: BearerTokenRejection.self) { try await chain.authenticate(bearerToken: foreign) }
        await #expect(throws: BearerTokenRejection.self) { try await chain.authenticate(bearerToken: "opaque-other") }
    }
}
