import Foundation

/// The secrets an emulator starts with, usually read from a YAML seed file.
///
/// The seed file:
/// ```yaml
/// projects:
///   acme-billing-dev:                 # project id
///     number: 100000000001            # optional; else derived from the id (stable)
///     secrets:
///       db-password:
///         versions:                   # versions 1, 2, 3… in this order
///           - data: "dev-db-pass-SENTINEL\n"   # UTF-8 text payload
///           - data_base64: "AAEC"              # or raw bytes, standard base64
///             state: DISABLED                  # ENABLED (default) | DISABLED | DESTROYED
///           - "short form"                     # a plain string is `data:`
///         aliases: { current: 1 }     # alias -> version number
///       empty-secret: {}              # a secret with no versions
///     locations:
///       europe-west1:                 # regional secrets: projects/P/locations/L/secrets/S
///         secrets:
///           api-key:
///             versions: [ "regional-SENTINEL" ]
/// ```
/// Authentication (used when the emulator runs with `--auth`, and by its token endpoints
/// at any time; see ``SecretManagerEmulator``):
/// ```yaml
/// service_accounts:                   # accounts whose JWT-bearer assertions /token accepts
///   ci@acme.iam.gserviceaccount.com:
///     private_key_id: 5f3c2a…         # the key's id, matched against the JWT's `kid`
///     public_key: |                   # PEM, SPKI (BEGIN PUBLIC KEY) or PKCS#1 (BEGIN RSA PUBLIC KEY)
///       -----BEGIN PUBLIC KEY-----
///       …
///     # public_key_file: ci.pub.pem   # or a PEM file, relative to the seed file
///     token_creators: [ deployer@acme.iam.gserviceaccount.com ]  # who may impersonate it
///   deployer@acme.iam.gserviceaccount.com: {}   # no key: can only be impersonated
/// authorized_users:                   # refresh-token grants (gcloud user credentials)
///   dev@example.com:
///     client_id: 1234.apps.googleusercontent.com
///     client_secret: emulator-secret
///     refresh_token: "1//refresh-SENTINEL"
/// metadata:                           # what the metadata server endpoints answer
///   service_account: runner@acme.iam.gserviceaccount.com   # default: default@PROJECT.iam.gserviceaccount.com
///   project_id: acme-billing-dev      # default: the first seeded project
/// workload_identity_providers:        # the Security Token Service (POST /v1/token), keyed by audience
///   //iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/github/providers/actions:
///     subject_token_type: urn:ietf:params:oauth:token-type:jwt   # optional; any type when absent
///     subject_tokens:                 # accepted subject tokens and the subject each stands for
///       - { token: "gh-oidc-SENTINEL", subject: "repo:acme/app:ref:refs/heads/main" }
///       - { pattern: "eyJ*", subject: ci }   # or a glob (`*`, `?`) over the whole token
/// projects:
///   acme-billing-dev:
///     access: [ ci@acme.iam.gserviceaccount.com ]   # who may use the project's secrets
///     secrets:
///       db-password:
///         access: [ dev@example.com ]              # a secret's own list wins over the project's
///         versions: [ "…" ]
/// ```
/// Without `access:` on the secret or its project, every authenticated caller may use it.
/// `token_creators` absent means any authenticated caller may impersonate the account;
/// with delegates, each link of the chain must be a token creator of the next. Principals
/// are emails (service accounts, authorized users, the metadata server's account) or a
/// federated identity: `principal://iam.googleapis.com/POOL/subject/SUBJECT` for one
/// subject, `principalSet://iam.googleapis.com/POOL/*` for every subject of a pool (POOL
/// is `projects/N/locations/global/workloadIdentityPools/P`).
///
/// Every key is checked: a misspelt key is an error, reported with its
/// `file:line:column`. A `DESTROYED` version needs no payload. Payloads are at most
/// 65536 bytes (Secret Manager's limit). Aliases start with a letter, are not `latest`,
/// and point at an existing version.
///
/// Answers always name a project by its number (`projects/100000000001/…`), as Google
/// does; requests may use the id or the number.
public struct EmulatorSeed: Sendable, Equatable {
    /// A version's state, as Secret Manager names it.
    public enum VersionState: String, Sendable, Hashable, CaseIterable {
        /// The version can be accessed.
        case enabled = "ENABLED"
        /// Access fails with FAILED_PRECONDITION; it can be enabled again.
        case disabled = "DISABLED"
        /// The payload is gone for good; access fails with FAILED_PRECONDITION.
        case destroyed = "DESTROYED"
    }

    /// One version of a seeded secret.
    public struct Version: Sendable, Equatable {
        /// The payload bytes (empty for a destroyed version).
        public var payload: [UInt8]
        /// The version's state.
        public var state: VersionState

        public init(payload: [UInt8], state: VersionState = .enabled) {
            self.payload = state == .destroyed ? [] : payload
            self.state = state
        }
    }

    /// One seeded secret.
    public struct Secret: Sendable, Equatable {
        /// The secret id, `[a-zA-Z0-9_-]{1,255}`.
        public var id: String
        /// Versions 1, 2, 3… in order.
        public var versions: [Version]
        /// Alias name → version number.
        public var aliases: [String: Int]
        /// The principals (emails) that may use the secret when authentication is on, or
        /// `nil` to follow the project's list.
        public var access: [String]?

        public init(id: String, versions: [Version] = [], aliases: [String: Int] = [:], access: [String]? = nil) {
            self.id = id
            self.versions = versions
            self.aliases = aliases
            self.access = access
        }
    }

    /// The regional secrets of one location.
    public struct Location: Sendable, Equatable {
        /// The location, e.g. `europe-west1`.
        public var name: String
        /// The secrets in this location, in seed order.
        public var secrets: [Secret]

        public init(name: String, secrets: [Secret] = []) {
            self.name = name
            self.secrets = secrets
        }
    }

    /// One seeded project.
    public struct Project: Sendable, Equatable {
        /// The project id, e.g. `acme-billing-dev`.
        public var id: String
        /// The project number, e.g. 100000000001.
        public var number: Int64
        /// Global secrets, in seed order.
        public var secrets: [Secret]
        /// Regional secrets by location, in seed order.
        public var locations: [Location]
        /// The principals (emails) that may use the project's secrets when authentication
        /// is on, or `nil` for every authenticated caller.
        public var access: [String]?

        /// - Parameter number: The project number; `nil` derives a stable 12-digit number
        ///   from the id (see ``EmulatorSeed/derivedProjectNumber(for:)``).
        public init(
            id: String, number: Int64? = nil, secrets: [Secret] = [], locations: [Location] = [], access: [String]? = nil
        ) {
            self.id = id
            self.number = number ?? EmulatorSeed.derivedProjectNumber(for: id)
            self.secrets = secrets
            self.locations = locations
            self.access = access
        }
    }

    /// The seeded projects, in seed order.
    public var projects: [Project]
    /// Service accounts the token endpoints know, in seed order.
    public var serviceAccounts: [ServiceAccount]
    /// Users whose refresh tokens the token endpoint accepts, in seed order.
    public var authorizedUsers: [AuthorizedUser]
    /// What the metadata server answers; `nil` takes the defaults.
    public var metadata: MetadataServer?
    /// Workload identity pool providers the Security Token Service endpoint knows, in seed order.
    public var workloadIdentityProviders: [WorkloadIdentityProvider]

    public init(
        projects: [Project] = [], serviceAccounts: [ServiceAccount] = [], authorizedUsers: [AuthorizedUser] = [],
        metadata: MetadataServer? = nil, workloadIdentityProviders: [WorkloadIdentityProvider] = []
    ) {
        self.projects = projects
        self.serviceAccounts = serviceAccounts
        self.authorizedUsers = authorizedUsers
        self.metadata = metadata
        self.workloadIdentityProviders = workloadIdentityProviders
    }

    /// Reads and parses a seed file.
    ///
    /// - Parameter path: The seed file's path.
    /// - Throws: ``EmulatorSeedError`` when the file cannot be read or is not a valid seed.
    public static func load(path: String) throws(EmulatorSeedError) -> EmulatorSeed {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw EmulatorSeedError(file: path, mark: nil, message: "the seed file cannot be read", kind: .notFound)
        }
        return try parse(Array(data), file: path)
    }

    /// Parses a seed document.
    ///
    /// - Parameters:
    ///   - bytes: The YAML text, UTF-8.
    ///   - file: The name used in error positions.
    /// - Throws: ``EmulatorSeedError`` with the position of the first problem.
    public static func parse(_ bytes: [UInt8], file: String) throws(EmulatorSeedError) -> EmulatorSeed {
        try SeedParser(file: file).parse(bytes)
    }

    /// A stable project number for a project id: 12 digits from the id's FNV-1a hash, so a
    /// seed without `number:` gives the same names on every run.
    public static func derivedProjectNumber(for id: String) -> Int64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in id.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        return 100_000_000_000 + Int64(hash % 900_000_000_000)
    }
}
