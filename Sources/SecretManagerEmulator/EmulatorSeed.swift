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

        public init(id: String, versions: [Version] = [], aliases: [String: Int] = [:]) {
            self.id = id
            self.versions = versions
            self.aliases = aliases
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

        /// - Parameter number: The project number; `nil` derives a stable 12-digit number
        ///   from the id (see ``EmulatorSeed/derivedProjectNumber(for:)``).
        public init(id: String, number: Int64? = nil, secrets: [Secret] = [], locations: [Location] = []) {
            self.id = id
            self.number = number ?? EmulatorSeed.derivedProjectNumber(for: id)
            self.secrets = secrets
            self.locations = locations
        }
    }

    /// The seeded projects, in seed order.
    public var projects: [Project]

    public init(projects: [Project] = []) {
        self.projects = projects
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
