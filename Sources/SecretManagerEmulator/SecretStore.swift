import Foundation

/// The emulator's secrets and the Secret Manager methods over them: a value type with no
/// I/O, owned by ``EmulatorState`` (an actor) and testable on its own.
///
/// Projects are addressed by id or number; answers name them by number, as Google does.
/// A project that is not seeded answers 403 PERMISSION_DENIED, as Google answers for a
/// project the caller cannot see (it does not say whether it exists).
struct SecretStore: Sendable {
    /// One project's secrets.
    struct Project: Sendable {
        let id: String
        let number: Int64
        var secrets: [Key: StoredSecret] = [:]
    }

    /// A secret's place in a project: global (`location == nil`) or regional.
    struct Key: Sendable, Hashable {
        var location: String?
        var id: String
    }

    /// The projects, in seed order.
    private(set) var projects: [Project] = []
    /// Project id and number (as text) → index into `projects`.
    private var projectIndexByName: [String: Int] = [:]
    /// Creation counter for secrets, for stable listing.
    private var nextSequence = 0
    /// Etag counter; etags are quoted hex strings like Google's (`"\"1a2b…\""`).
    var etagCounter: UInt64
    /// The wall clock for `createTime` and `destroyTime`.
    let now: @Sendable () -> Date

    /// - Parameters:
    ///   - seed: The initial projects and secrets (all seeded versions get `now()` as
    ///     their creation time).
    ///   - now: The wall clock.
    init(seed: EmulatorSeed, now: @escaping @Sendable () -> Date) {
        self.now = now
        etagCounter = UInt64(max(0, now().timeIntervalSince1970 * 1_000_000))
        let created = now()
        for seedProject in seed.projects {
            var project = Project(id: seedProject.id, number: seedProject.number)
            let regional = seedProject.locations.flatMap { location in
                location.secrets.map { (Optional(location.name), $0) }
            }
            for (location, seedSecret) in seedProject.secrets.map({ (String?.none, $0) }) + regional {
                var secret = makeSecret(id: seedSecret.id, created: created, location: location)
                for (index, seedVersion) in seedSecret.versions.enumerated() {
                    secret.versions.append(StoredSecret.Version(
                        number: index + 1, payload: seedVersion.payload, state: seedVersion.state,
                        createTime: created, destroyTime: seedVersion.state == .destroyed ? created : nil,
                        etag: nextEtag(), clientSpecifiedPayloadChecksum: false))
                }
                secret.aliases = seedSecret.aliases.filter { $0.value >= 1 && $0.value <= secret.versions.count }
                project.secrets[Key(location: location, id: seedSecret.id)] = secret
            }
            projectIndexByName[seedProject.id] = projects.count
            projectIndexByName[String(seedProject.number)] = projects.count
            projects.append(project)
        }
    }

    /// Handles one API request.
    ///
    /// - Returns: The JSON answer of a successful call (HTTP 200).
    /// - Throws: ``GoogleAPIError`` for every failure, with Google's status.
    mutating func handle(_ request: APIRequest) throws(GoogleAPIError) -> JSONValue {
        switch request.method {
        case .access: try access(request)
        case .getVersion: try getVersion(request)
        case .listVersions: try listVersions(request)
        case .addVersion: try addVersion(request)
        case .enable, .disable, .destroy: try transition(request)
        case .createSecret: try createSecret(request)
        case .getSecret: try getSecret(request)
        case .deleteSecret: try deleteSecret(request)
        case .listSecrets: try listSecrets(request)
        case .updateSecret: try updateSecret(request)
        case .getIamPolicy: try getIamPolicy(request)
        case .setIamPolicy: try setIamPolicy(request)
        case .oauthToken, .stsToken, .metadataPing, .metadataToken, .metadataProjectID, .generateAccessToken:
            // Served by the authentication routes, never routed here.
            throw GoogleAPIError(httpStatus: 500, status: "INTERNAL", message: "Not a Secret Manager method.")
        }
    }

    // MARK: Shared lookups

    /// The index of the project a request names.
    ///
    /// - Throws: 403 PERMISSION_DENIED when the project is not seeded.
    func projectIndex(_ request: APIRequest) throws(GoogleAPIError) -> Int {
        guard let index = projectIndexByName[request.path.project] else {
            throw .permissionDenied(permission: request.method.permission, resource: request.path.requestedName)
        }
        return index
    }

    /// The secret's key in its project.
    func key(_ path: ResourcePath) -> Key {
        Key(location: path.location, id: path.secretID ?? "")
    }

    /// `projects/NUMBER[/locations/L]/secrets/S` for the secret a path names.
    func secretName(_ path: ResourcePath, project index: Int) -> String {
        "\(path.parentName(project: String(projects[index].number)))/secrets/\(path.secretID ?? "")"
    }

    /// The stored secret a request names.
    ///
    /// - Throws: 403 for an unknown project, 404 NOT_FOUND for a missing secret
    ///   (`orNoVersions` words it as access does: "not found or has no versions").
    func existingSecret(
        _ request: APIRequest, orNoVersions: Bool = false
    ) throws(GoogleAPIError) -> (project: Int, secret: StoredSecret, name: String) {
        let index = try projectIndex(request)
        let name = secretName(request.path, project: index)
        guard let secret = projects[index].secrets[key(request.path)] else {
            throw .notFound(orNoVersions ? "Secret [\(name)] not found or has no versions." : "Secret [\(name)] not found.")
        }
        return (index, secret, name)
    }

    /// Stores a changed secret back.
    mutating func store(_ secret: StoredSecret, project index: Int, location: String?) {
        projects[index].secrets[Key(location: location, id: secret.id)] = secret
    }

    /// Removes a secret; returns whether it existed.
    mutating func remove(_ key: Key, project index: Int) -> Bool {
        projects[index].secrets.removeValue(forKey: key) != nil
    }

    /// A new, empty secret with the next creation sequence number.
    mutating func makeSecret(id: String, created: Date, location: String?, replication: JSONValue? = nil) -> StoredSecret {
        nextSequence += 1
        let automatic = JSONValue.object([("automatic", .object([]))])
        return StoredSecret(
            id: id, createTime: created, sequence: nextSequence,
            replication: location == nil ? (replication ?? automatic) : nil, etag: nextEtag())
    }

    /// A fresh etag, quoted as Google sends it.
    mutating func nextEtag() -> String {
        etagCounter += 1
        return "\"\(String(etagCounter, radix: 16))\""
    }

    /// The request body as JSON, or `nil` when it is empty.
    ///
    /// - Throws: 400 INVALID_ARGUMENT when it is not JSON.
    static func jsonBody(_ request: APIRequest) throws(GoogleAPIError) -> JSONValue? {
        guard request.body.contains(where: { !$0.isWhitespaceByte }) else { return nil }
        do {
            return try JSONDecoder().decode(JSONValue.self, from: Data(request.body))
        } catch {
            throw .invalidArgument("Invalid JSON payload received.")
        }
    }
}

extension UInt8 {
    /// Space, tab, CR or LF.
    fileprivate var isWhitespaceByte: Bool { self == 0x20 || self == 0x09 || self == 0x0A || self == 0x0D }
}
