import Secretsmith
import Testing

@testable import SecretsmithServer

@Suite struct AccessPolicyTests {
    let policy = AccessPolicy([
        .init(principals: ["token:ci", "sub:1234"], allow: ["prod/billing/*", "dev/*/*"], rateLimit: .init(requestsPerSecond: 5, burst: 10)),
        .init(principals: ["kubernetes:payments/*"], allow: ["prod/payments/db-*"], rateLimit: .init(requestsPerSecond: 50, burst: 5)),
        .init(principals: ["token:ci"], allow: ["staging/app/key"], rateLimit: .init(requestsPerSecond: 1, burst: 1)),
        .init(principals: ["token:open"], allow: ["dev/app/a"]),
        .init(principals: ["token:open"], allow: ["dev/app/b"], rateLimit: .init(requestsPerSecond: 1, burst: 1)),
    ])

    @Test func theUnionOfMatchingRulesAllows() {
        let ci = Principal.staticToken(named: "ci")
        #expect(policy.allows(ci, environment: "prod", project: "billing", secret: "db"))
        #expect(policy.allows(ci, environment: "dev", project: "x", secret: "y"))
        #expect(policy.allows(ci, environment: "staging", project: "app", secret: "key"))
        #expect(!policy.allows(ci, environment: "prod", project: "payments", secret: "db-password"))
        #expect(!policy.allows(ci, environment: "staging", project: "app", secret: "key2"))
        #expect(!policy.allows(.staticToken(named: "cid"), environment: "dev", project: "x", secret: "y"))
    }

    @Test func alternativeNamesAndPrincipalGlobsMatch() {
        let pod = Principal(
            kind: .kubernetesServiceAccount, name: "kubernetes:payments/api", subject: "1234",
            kubernetesNamespace: "payments", kubernetesServiceAccount: "api")
        #expect(policy.allows(pod, environment: "prod", project: "payments", secret: "db-password"))
        // Through `sub:1234`.
        #expect(policy.allows(pod, environment: "prod", project: "billing", secret: "x"))
        #expect(!policy.allows(pod, environment: "prod", project: "payments", secret: "api-key"))
        let other = Principal(kind: .kubernetesServiceAccount, name: "kubernetes:paymentsx/api")
        #expect(!policy.allows(other, environment: "prod", project: "payments", secret: "db-password"))
    }

    @Test func theMostGenerousMatchingRateLimitApplies() {
        #expect(policy.rateLimit(for: .staticToken(named: "ci")) == .init(requestsPerSecond: 5, burst: 10))
        let pod = Principal(kind: .kubernetesServiceAccount, name: "kubernetes:payments/api", subject: "1234")
        #expect(policy.rateLimit(for: pod) == .init(requestsPerSecond: 50, burst: 5))
        // A matching rule without a limit means no limit.
        #expect(policy.rateLimit(for: .staticToken(named: "open")) == nil)
        #expect(policy.rateLimit(for: .staticToken(named: "nobody")) == nil)
    }

    @Test func globsMatchRunsOfCharacters() {
        #expect(Glob("*").matches(""))
        #expect(Glob("db-*").matches("db-password"))
        #expect(!Glob("db-*").matches("api-db-password"))
        #expect(Glob("*-key").matches("api-key"))
        #expect(Glob("a*b*c").matches("abc"))
        #expect(Glob("a*b*c").matches("aXXbYYc"))
        #expect(!Glob("a*b*c").matches("aXXcYYb"))
        #expect(!Glob("ab*ba").matches("aba"))
        #expect(Glob("exact").matches("exact"))
        #expect(!Glob("exact").matches("exactly"))
    }

    @Test func tokenBucketsRefillAtTheirRate() {
        let clock = ManualInstant()
        let limiter = RateLimiter(now: { clock.now })
        let limit = ServeConfiguration.RateLimit(requestsPerSecond: 2, burst: 3)
        #expect(limiter.take("a", limit: limit) == nil)
        #expect(limiter.take("a", limit: limit) == nil)
        #expect(limiter.take("a", limit: limit) == nil)
        let wait = limiter.take("a", limit: limit)
        #expect(wait == .milliseconds(500))
        #expect(limiter.take("b", limit: limit) == nil)
        clock.advance(.milliseconds(500))
        #expect(limiter.take("a", limit: limit) == nil)
        #expect(limiter.take("a", limit: limit) != nil)
    }
}

import Synchronization

final class ManualInstant: Sendable {
    private let instant = Mutex(ContinuousClock.now)
    var now: ContinuousClock.Instant { instant.withLock { $0 } }
    func advance(_ duration: Duration) { instant.withLock { $0 += duration } }
}
