extension EmulatorSeed {
    /// A service account the emulator's token endpoints know.
    public struct ServiceAccount: Sendable, Equatable {
        /// The account's email, the JWT's `iss` and the principal in grants.
        public var email: String
        /// The key's id, matched against the JWT header's `kid` when both are present.
        public var privateKeyID: String?
        /// The public key in PEM (SPKI or PKCS#1), or `nil` for an account that can only be
        /// impersonated or serve as the metadata server's account.
        public var publicKeyPEM: String?
        /// The principals that may mint its tokens with `generateAccessToken`, or `nil` for
        /// every authenticated caller.
        public var tokenCreators: [String]?

        public init(email: String, privateKeyID: String? = nil, publicKeyPEM: String? = nil, tokenCreators: [String]? = nil) {
            self.email = email
            self.privateKeyID = privateKeyID
            self.publicKeyPEM = publicKeyPEM
            self.tokenCreators = tokenCreators
        }
    }

    /// A user of the refresh-token grant.
    public struct AuthorizedUser: Sendable, Equatable {
        /// The user's email, the principal in grants.
        public var email: String
        public var clientID: String
        public var clientSecret: String
        public var refreshToken: String

        public init(email: String, clientID: String, clientSecret: String, refreshToken: String) {
            self.email = email
            self.clientID = clientID
            self.clientSecret = clientSecret
            self.refreshToken = refreshToken
        }
    }

    /// What the metadata server endpoints answer.
    public struct MetadataServer: Sendable, Equatable {
        /// The instance's default service account; `nil` means
        /// `default@PROJECT.iam.gserviceaccount.com`.
        public var serviceAccount: String?
        /// The project id; `nil` means the first seeded project (else `emulator-project`).
        public var projectID: String?

        public init(serviceAccount: String? = nil, projectID: String? = nil) {
            self.serviceAccount = serviceAccount
            self.projectID = projectID
        }
    }
}

extension EmulatorSeed {
    /// A workload identity pool provider whose subject tokens the Security Token Service
    /// endpoint (`POST /v1/token`) exchanges for access tokens.
    ///
    /// The federated token's principal is Google's form,
    /// `principal://iam.googleapis.com/projects/N/locations/global/workloadIdentityPools/POOL/subject/SUBJECT`
    /// (``principal(subject:)``); `token_creators` and `access` lists name it, or the whole
    /// pool as `principalSet://iam.googleapis.com/projects/N/locations/global/workloadIdentityPools/POOL/*`.
    public struct WorkloadIdentityProvider: Sendable, Equatable {
        /// One accepted subject token (or a glob of them) and the subject it authenticates.
        public struct SubjectToken: Sendable, Equatable {
            /// The exact token, or a glob (`*` any run of characters, `?` one) when ``isPattern``.
            public var token: String
            public var isPattern: Bool
            /// The subject, e.g. `repo:acme/app:ref:refs/heads/main`.
            public var subject: String

            public init(token: String, isPattern: Bool = false, subject: String) {
                self.token = token
                self.isPattern = isPattern
                self.subject = subject
            }
        }

        /// The provider's full name as clients send it in `audience`:
        /// `//iam.googleapis.com/projects/N/locations/global/workloadIdentityPools/POOL/providers/PROVIDER`
        /// (or a workforce pool's `//iam.googleapis.com/locations/global/workforcePools/POOL/providers/PROVIDER`).
        public var audience: String
        /// The accepted `subject_token_type`, or `nil` for any.
        public var subjectTokenType: String?
        /// The accepted subject tokens, in seed order (the first match wins).
        public var subjectTokens: [SubjectToken]

        public init(audience: String, subjectTokenType: String? = nil, subjectTokens: [SubjectToken]) {
            self.audience = audience
            self.subjectTokenType = subjectTokenType
            self.subjectTokens = subjectTokens
        }

        /// The pool part of ``audience`` (`projects/N/locations/global/workloadIdentityPools/POOL`),
        /// or `nil` when the audience is not a provider name.
        public static func pool(ofAudience audience: String) -> String? {
            let prefix = "//iam.googleapis.com/"
            guard audience.hasPrefix(prefix), let range = audience.range(of: "/providers/", options: .backwards) else {
                return nil
            }
            let pool = String(audience[audience.index(audience.startIndex, offsetBy: prefix.count)..<range.lowerBound])
            let provider = audience[range.upperBound...]
            let parts = pool.split(separator: "/", omittingEmptySubsequences: false)
            guard !provider.isEmpty, !provider.contains("/") else { return nil }
            let workload = parts.count == 6 && parts[0] == "projects" && parts[2] == "locations"
                && parts[4] == "workloadIdentityPools"
            let workforce = parts.count == 4 && parts[0] == "locations" && parts[2] == "workforcePools"
            guard workload || workforce, !parts.contains(where: \.isEmpty) else { return nil }
            return pool
        }

        /// The principal of `subject` in this provider's pool.
        public func principal(subject: String) -> String {
            "principal://iam.googleapis.com/\(Self.pool(ofAudience: audience) ?? audience)/subject/\(subject)"
        }
    }
}
