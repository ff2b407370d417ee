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
