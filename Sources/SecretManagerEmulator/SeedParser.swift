import Foundation
import Secretsmith
import YAML

/// Turns a seed YAML document into an ``EmulatorSeed``, checking every key and value and
/// reporting the first problem with its position. The format is documented on
/// ``EmulatorSeed``.
struct SeedParser {
    /// The file name used in errors.
    let file: String

    /// Secret Manager's payload limit, in bytes.
    static let maxPayloadBytes = 65_536

    /// - Throws: ``EmulatorSeedError``.
    func parse(_ bytes: [UInt8]) throws(EmulatorSeedError) -> EmulatorSeed {
        let root: YAMLNode?
        do {
            root = try YAMLParser.parse(bytes, file: file)
        } catch {
            throw EmulatorSeedError(file: file, mark: error.mark, message: error.message)
        }
        guard let root, !isNull(root) else { return EmulatorSeed() }
        var seed = EmulatorSeed()
        let sections = try mapping(
            root, keys: ["projects", "service_accounts", "authorized_users", "metadata", "workload_identity_providers"],
            what: "the seed")
        for entry in sections {
            switch entry.name {
            case "projects":
                for project in try mapping(entry.value, what: "`projects`") {
                    seed.projects.append(try self.project(id: project.keyNode, node: project.value))
                }
            case "service_accounts":
                seed.serviceAccounts = try serviceAccounts(entry.value)
            case "authorized_users":
                seed.authorizedUsers = try authorizedUsers(entry.value)
            case "workload_identity_providers":
                seed.workloadIdentityProviders = try workloadIdentityProviders(entry.value)
            default:
                seed.metadata = try metadataServer(entry.value)
            }
        }
        try checkUniqueNumbers(seed)
        return seed
    }

    private func project(id idNode: YAMLNode, node: YAMLNode) throws(EmulatorSeedError) -> EmulatorSeed.Project {
        let id = try scalar(idNode, what: "a project id")
        guard ResourcePath.isProject(id), ResourcePath.versionNumber(id) == nil else {
            throw error(idNode, "`\(id)` is not a valid project id (lower-case letters, digits and `-`, not all digits)")
        }
        var number: Int64?
        var secrets: [EmulatorSeed.Secret] = []
        var locations: [EmulatorSeed.Location] = []
        var access: [String]?
        for (key, _, value) in try mapping(node, keys: ["number", "secrets", "locations", "access"], what: "project `\(id)`") {
            switch key {
            case "access":
                access = try principals(value, what: "`access`")
            case "number":
                let text = try scalar(value, what: "`number`")
                guard let parsed = Int64(text), parsed > 0, ResourcePath.versionNumber(text) != nil else {
                    throw error(value, "`number` must be a positive whole number, like 100000000001")
                }
                number = parsed
            case "secrets":
                secrets = try secretList(value)
            default:
                for (name, nameNode, locationNode) in try mapping(value, what: "`locations`") {
                    guard ResourcePath.isLocation(name) else {
                        throw error(nameNode, "`\(name)` is not a valid location, like europe-west1")
                    }
                    var location = EmulatorSeed.Location(name: name)
                    for (_, _, secretsNode) in try mapping(locationNode, keys: ["secrets"], what: "location `\(name)`") {
                        location.secrets = try secretList(secretsNode)
                    }
                    locations.append(location)
                }
            }
        }
        return EmulatorSeed.Project(id: id, number: number, secrets: secrets, locations: locations, access: access)
    }

    private func secretList(_ node: YAMLNode) throws(EmulatorSeedError) -> [EmulatorSeed.Secret] {
        var secrets: [EmulatorSeed.Secret] = []
        for (id, idNode, secretNode) in try mapping(node, what: "`secrets`") {
            guard ResourcePath.isSecretID(id) else {
                throw error(idNode, "`\(id)` is not a valid secret id (letters, digits, `_` and `-`, at most 255)")
            }
            secrets.append(try secret(id: id, node: secretNode))
        }
        return secrets
    }

    private func secret(id: String, node: YAMLNode) throws(EmulatorSeedError) -> EmulatorSeed.Secret {
        var secret = EmulatorSeed.Secret(id: id)
        var aliasNodes: [(name: String, node: YAMLNode)] = []
        var rotationNode: YAMLNode?
        for (key, _, value) in try mapping(
            node, keys: ["versions", "aliases", "access", "topics", "rotation"], what: "secret `\(id)`")
        {
            if key == "topics" {
                secret.topics = try topics(value, secret: id)
            } else if key == "rotation" {
                rotationNode = value
                secret.rotation = try rotation(value, secret: id)
            } else if key == "access" {
                secret.access = try principals(value, what: "`access`")
            } else if key == "versions" {
                for versionNode in try sequence(value, what: "`versions`") {
                    secret.versions.append(try version(versionNode))
                }
            } else {
                for (name, nameNode, numberNode) in try mapping(value, what: "`aliases`") {
                    guard ResourcePath.isAlias(name), name != "latest" else {
                        throw error(nameNode, "`\(name)` is not a valid alias (a letter first, then at most 62 letters, digits, `_` or `-`; not `latest` or `new`)")
                    }
                    aliasNodes.append((name, numberNode))
                }
            }
        }
        for (name, numberNode) in aliasNodes {
            let text = try scalar(numberNode, what: "an alias's version")
            guard let number = ResourcePath.versionNumber(text), number <= secret.versions.count else {
                throw error(numberNode, "alias `\(name)` must name an existing version number of secret `\(id)` (1…\(secret.versions.count))")
            }
            secret.aliases[name] = number
        }
        if let rotationNode, secret.rotation != nil, secret.topics.isEmpty {
            throw error(rotationNode, "secret `\(id)` has a `rotation` but no `topics`; Secret Manager needs topics to configure rotation")
        }
        return secret
    }

    /// `topics: [projects/P/topics/T, …]`: at most 10, each a valid topic name, no repeats.
    private func topics(_ node: YAMLNode, secret id: String) throws(EmulatorSeedError) -> [String] {
        let items = try sequence(node, what: "`topics` of secret `\(id)`")
        var names: [String] = []
        for item in items {
            let name = try scalar(item, what: "a topic")
            guard TopicName.isValid(name) else {
                throw error(item, "`\(name)` in `topics` is not a Pub/Sub topic name like projects/PROJECT/topics/TOPIC (the topic id: 3–255 letters, digits or -_.~+%, starting with a letter)")
            }
            guard !names.contains(name) else {
                throw error(item, "topic `\(name)` appears twice in `topics` of secret `\(id)`")
            }
            names.append(name)
        }
        guard names.count <= TopicName.maximumPerSecret else {
            throw error(node, "secret `\(id)` has \(names.count) topics; Secret Manager allows at most \(TopicName.maximumPerSecret)")
        }
        return names
    }

    /// `rotation: {next_rotation_time: RFC3339, rotation_period: 3600s}`.
    private func rotation(_ node: YAMLNode, secret id: String) throws(EmulatorSeedError) -> EmulatorSeed.Rotation? {
        var rotation = EmulatorSeed.Rotation()
        let entries = try mapping(
            node, keys: ["next_rotation_time", "rotation_period"], what: "`rotation` of secret `\(id)`")
        for (key, _, value) in entries {
            let text = try scalar(value, what: "`\(key)`")
            if key == "next_rotation_time" {
                guard let date = RFC3339.date(from: text) else {
                    throw error(value, "`next_rotation_time` must be an RFC 3339 timestamp like 2026-12-01T12:00:00Z")
                }
                rotation.nextRotationTime = date
            } else {
                guard let seconds = RotationSchedule.seconds(text) else {
                    throw error(value, "`rotation_period` must be whole seconds like 3600s")
                }
                if let problem = RotationSchedule.periodProblem(seconds) {
                    throw error(value, "`rotation_period` \(problem)")
                }
                rotation.rotationPeriod = .seconds(seconds)
            }
        }
        if rotation.rotationPeriod != nil, rotation.nextRotationTime == nil {
            throw error(node, "`rotation` of secret `\(id)` has a `rotation_period` but no `next_rotation_time`; Secret Manager needs both")
        }
        return rotation.nextRotationTime == nil ? nil : rotation
    }

    private func version(_ node: YAMLNode) throws(EmulatorSeedError) -> EmulatorSeed.Version {
        if case .scalar(let text) = node.content, !isNull(node) {
            return try EmulatorSeed.Version(payload: checkedSize(Array(text.value.utf8), node))
        }
        var payload: [UInt8]?
        var state = EmulatorSeed.VersionState.enabled
        for (key, _, value) in try mapping(node, keys: ["data", "data_base64", "state"], what: "a version") {
            switch key {
            case "data", "data_base64":
                guard payload == nil else {
                    throw error(value, "a version takes either `data` or `data_base64`, not both")
                }
                let text = try scalar(value, what: "`\(key)`")
                if key == "data" {
                    payload = try checkedSize(Array(text.utf8), value)
                } else {
                    guard let decoded = Data(base64Encoded: text) else {
                        throw error(value, "`data_base64` is not valid standard base64")
                    }
                    payload = try checkedSize(Array(decoded), value)
                }
            default:
                let text = try scalar(value, what: "`state`")
                guard let parsed = EmulatorSeed.VersionState(rawValue: text) else {
                    throw error(value, "`state` must be ENABLED, DISABLED or DESTROYED, not `\(text)`")
                }
                state = parsed
            }
        }
        guard payload != nil || state == .destroyed else {
            throw error(node, "a version needs `data` or `data_base64` (only a DESTROYED version has none)")
        }
        return EmulatorSeed.Version(payload: payload ?? [], state: state)
    }

    private func checkUniqueNumbers(_ seed: EmulatorSeed) throws(EmulatorSeedError) {
        var seenIDs = Set<String>()
        var seenNumbers: [Int64: String] = [:]
        for project in seed.projects {
            guard seenIDs.insert(project.id).inserted else {
                throw EmulatorSeedError(file: file, mark: nil, message: "project `\(project.id)` appears twice")
            }
            if let other = seenNumbers[project.number] {
                throw EmulatorSeedError(
                    file: file, mark: nil,
                    message: "projects `\(other)` and `\(project.id)` have the same number \(project.number)")
            }
            seenNumbers[project.number] = project.id
        }
    }

    // MARK: Node helpers

    private func checkedSize(_ payload: [UInt8], _ node: YAMLNode) throws(EmulatorSeedError) -> [UInt8] {
        guard payload.count <= Self.maxPayloadBytes else {
            throw error(node, "the payload is \(payload.count) bytes; Secret Manager allows at most \(Self.maxPayloadBytes)")
        }
        return payload
    }

    /// A plain `null`, `~` or empty scalar: YAML's null.
    func isNull(_ node: YAMLNode) -> Bool {
        guard case .scalar(let scalar) = node.content, scalar.style == .plain else { return false }
        return ["", "~", "null", "Null", "NULL"].contains(scalar.value)
    }

    /// The pairs of a mapping (a null counts as empty), keys as strings, checking that each
    /// key is allowed (when `keys` is given) and appears once.
    func mapping(
        _ node: YAMLNode, keys allowed: Set<String>? = nil, what: String
    ) throws(EmulatorSeedError) -> [(name: String, keyNode: YAMLNode, value: YAMLNode)] {
        if isNull(node) { return [] }
        guard case .mapping(let pairs) = node.content else {
            throw error(node, "\(what) must be a mapping")
        }
        var seen = Set<String>()
        var result: [(name: String, keyNode: YAMLNode, value: YAMLNode)] = []
        for pair in pairs {
            let key = try scalar(pair.key, what: "a key")
            if let allowed, !allowed.contains(key) {
                let expected = allowed.sorted().map { "`\($0)`" }.joined(separator: ", ")
                throw error(pair.key, "unknown key `\(key)` in \(what); expected \(expected)")
            }
            guard seen.insert(key).inserted else {
                throw error(pair.key, "key `\(key)` appears twice in \(what)")
            }
            result.append((key, pair.key, pair.value))
        }
        return result
    }

    func sequence(_ node: YAMLNode, what: String) throws(EmulatorSeedError) -> [YAMLNode] {
        if isNull(node) { return [] }
        guard case .sequence(let items) = node.content else {
            throw error(node, "\(what) must be a list")
        }
        return items
    }

    func scalar(_ node: YAMLNode, what: String) throws(EmulatorSeedError) -> String {
        guard case .scalar(let scalar) = node.content else {
            throw error(node, "\(what) must be a single value, not a list or mapping")
        }
        return scalar.value
    }

    func error(_ node: YAMLNode, _ message: String) -> EmulatorSeedError {
        EmulatorSeedError(file: file, mark: node.mark, message: message)
    }
}
