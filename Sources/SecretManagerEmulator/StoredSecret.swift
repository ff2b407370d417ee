import Foundation

/// A secret as the emulator keeps it: its versions (number = index + 1), aliases and
/// the metadata Secret Manager reports.
struct StoredSecret: Sendable {
    /// One version of the secret.
    struct Version: Sendable {
        /// The version number, 1-based, in creation order.
        let number: Int
        /// The payload bytes; empty once destroyed.
        var payload: [UInt8]
        /// The version's state.
        var state: EmulatorSeed.VersionState
        /// When the version was created.
        let createTime: Date
        /// When the version was destroyed, if it was.
        var destroyTime: Date?
        /// The current etag, quoted as Google sends it (`"\"…\""`).
        var etag: String
        /// Whether `addVersion` carried a `dataCrc32c` that was verified.
        var clientSpecifiedPayloadChecksum: Bool
    }

    /// The secret id.
    let id: String
    /// When the secret was created.
    let createTime: Date
    /// Creation order among all secrets of the emulator, for stable listing.
    let sequence: Int
    /// The versions, version `n` at index `n - 1`.
    var versions: [Version] = []
    /// Alias → version number.
    var aliases: [String: Int] = [:]
    /// The `replication` object given at creation (global secrets), echoed back.
    var replication: JSONValue?
    /// The secret's etag.
    var etag: String
    /// The other mutable fields of the secret as the client sent them (`labels`,
    /// `annotations`, `expireTime`, `versionDestroyTtl`), by JSON name.
    var fields: [String: JSONValue] = [:]
    /// The Pub/Sub topics (`projects/P/topics/T`, at most 10) its event notifications go to.
    var topics: [String] = []
    /// The rotation schedule, or `nil` for none.
    var rotation: RotationSchedule?
    /// The IAM policy set with `setIamPolicy`: `bindings` (and `auditConfigs`) as sent, or
    /// `nil` for none yet.
    var iamPolicy: [(String, JSONValue)]?
    /// The policy's version (1 when unset or without conditions; 3 when the client asked for it).
    var iamPolicyVersion: Int64 = 1
    /// The policy's etag: base64 of 8 bytes, as IAM sends it (`"ACAB"` for an unset policy).
    var iamPolicyEtag = "ACAB"

    /// The version a path segment names: a number, `latest` (the newest version whatever
    /// its state) or an alias; `nil` when there is no such version.
    func version(named id: String) -> Version? {
        let number: Int?
        if id == "latest" {
            number = versions.last?.number
        } else if let parsed = ResourcePath.versionNumber(id) {
            number = parsed
        } else {
            number = aliases[id]
        }
        guard let number, number >= 1, number <= versions.count else { return nil }
        return versions[number - 1]
    }
}
