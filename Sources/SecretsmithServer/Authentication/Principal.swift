/// Who made a request to `secretsmith serve`, as established by a ``BearerTokenAuthenticator``.
///
/// A principal has one canonical ``name`` that the `serve.policy` rules match and that audit
/// log events and the `x-goog-request-reason` header print:
///
/// | kind | name | established from |
/// |---|---|---|
/// | ``Kind/staticToken`` | `token:NAME` | a token whose SHA-256 is listed under `NAME` in the static tokens file |
/// | ``Kind/kubernetesServiceAccount`` | `kubernetes:NAMESPACE/SERVICEACCOUNT` | a projected service-account token (`kubernetes.io` claims) |
/// | ``Kind/googleIdentity`` | `google:EMAIL` | a Google-signed ID token whose `email` is verified |
/// | ``Kind/jwtSubject`` | `sub:SUBJECT` | any other verified JWT (its `sub` claim) |
///
/// Every JWT principal also matches `sub:SUBJECT` (``alternativeNames``), so a policy may name
/// a caller either way. A principal never carries the token it was established from.
package struct Principal: Sendable, Hashable, CustomStringConvertible {
    /// How the principal was established.
    package enum Kind: String, Sendable, Hashable, CaseIterable {
        case staticToken = "token"
        case kubernetesServiceAccount = "kubernetes"
        case googleIdentity = "google"
        case jwtSubject = "sub"
    }

    /// How the principal was established.
    package var kind: Kind
    /// The canonical name, `KIND:IDENTIFIER` (see the table above).
    package var name: String
    /// The JWT `sub` claim, for JWT principals.
    package var subject: String?
    /// The verified `email` claim of a Google ID token.
    package var email: String?
    /// The Kubernetes namespace of a projected service-account token.
    package var kubernetesNamespace: String?
    /// The Kubernetes service account's name of a projected service-account token.
    package var kubernetesServiceAccount: String?
    /// The JWT issuer (`iss`) that vouched for the principal; `nil` for static tokens.
    package var issuer: String?

    package init(
        kind: Kind, name: String, subject: String? = nil, email: String? = nil,
        kubernetesNamespace: String? = nil, kubernetesServiceAccount: String? = nil, issuer: String? = nil
    ) {
        self.kind = kind
        self.name = name
        self.subject = subject
        self.email = email
        self.kubernetesNamespace = kubernetesNamespace
        self.kubernetesServiceAccount = kubernetesServiceAccount
        self.issuer = issuer
    }

    /// A principal for the static token listed under `tokenName`.
    package static func staticToken(named tokenName: String) -> Principal {
        Principal(kind: .staticToken, name: "token:\(tokenName)")
    }

    /// Every name a policy rule may use for this principal: ``name`` first, then `sub:SUBJECT`
    /// when a JWT subject is known and differs.
    package var alternativeNames: [String] {
        var names = [name]
        if let subject, name != "sub:\(subject)" { names.append("sub:\(subject)") }
        return names
    }

    package var description: String { name }
}
