import Testing

@testable import SecretsmithServer

@Suite struct PrincipalTests {
    @Test func staticTokenPrincipalIsNamedByItsTokenName() {
        let principal = Principal.staticToken(named: "ci")
        #expect(principal.name == "token:ci")
        #expect(principal.kind == .staticToken)
        #expect(principal.alternativeNames == ["token:ci"])
    }

    @Test func jwtPrincipalAlsoAnswersToItsSubject() {
        let principal = Principal(
            kind: .kubernetesServiceAccount, name: "kubernetes:payments/api",
            subject: "system:serviceaccount:payments:api", kubernetesNamespace: "payments",
            kubernetesServiceAccount: "api", issuer: "https://kubernetes.default.svc")
        #expect(principal.alternativeNames == ["kubernetes:payments/api", "sub:system:serviceaccount:payments:api"])
        let subjectOnly = Principal(kind: .jwtSubject, name: "sub:1234", subject: "1234")
        #expect(subjectOnly.alternativeNames == ["sub:1234"])
    }
}
