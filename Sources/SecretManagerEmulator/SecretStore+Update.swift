import Foundation
import Secretsmith

/// The secret's mutable metadata and its IAM policy: `PATCH …/secrets/S` (what
/// `gcloud secrets update` sends), `:getIamPolicy` and `:setIamPolicy`.
extension SecretStore {
    /// The fields `updateSecret` changes, by their JSON (camelCase) names. `ttl` is an
    /// input that sets `expireTime`; `versionAliases` replaces the aliases.
    static let updatableFields: Set<String> = [
        "labels", "annotations", "versionAliases", "topics", "expireTime", "ttl", "rotation",
        "rotation.nextRotationTime", "rotation.rotationPeriod", "versionDestroyTtl",
    ]

    /// `PATCH …/secrets/S?updateMask=a,b` with a `Secret` body: replaces each field the
    /// mask names (snake_case or camelCase) with the body's value, or clears it when the
    /// body leaves it out (`rotation.next_rotation_time` and `rotation.rotation_period` name
    /// one member of the schedule). A body `etag` must match the secret's. Queues
    /// `SECRET_UPDATE` for the secret's topics, after `TOPIC_CONFIGURED` for topics added.
    ///
    /// - Throws: 400 INVALID_ARGUMENT for a missing mask, a field that cannot be updated,
    ///   or a malformed value (labels and annotations are string maps; aliases name
    ///   existing versions); 409 ABORTED for a stale etag; 404 for a missing secret.
    mutating func updateSecret(_ request: APIRequest) throws(GoogleAPIError) -> JSONValue {
        var (project, secret, name) = try existingSecret(request)
        guard let body = try Self.jsonBody(request), case .object = body else {
            throw .invalidArgument("Invalid JSON payload received: the body must be a Secret object.")
        }
        let mask = (request.query["updateMask"] ?? "").split(separator: ",").map { Self.camelCase(String($0)) }
        guard !mask.isEmpty else {
            throw .invalidArgument("The updateMask query parameter is required and must name at least one field.")
        }
        if let etag = body["etag"]?.stringValue, !etag.isEmpty, etag != secret.etag {
            throw GoogleAPIError(
                httpStatus: 409, status: "ABORTED",
                message: "The etag [\(etag)] does not match the current etag of Secret [\(name)].")
        }
        let before = secret
        for field in mask {
            guard Self.updatableFields.contains(field) else {
                throw .invalidArgument("The update mask names [\(field)], which is not a field of Secret that can be updated.")
            }
            let value: JSONValue? =
                if field.hasPrefix("rotation.") { body["rotation"]?[String(field.dropFirst("rotation.".count))] } else {
                    body[field]
                }
            try apply(field, value: value, to: &secret)
        }
        try Self.checkRotation(of: secret)
        secret.etag = nextEtag()
        store(secret, project: project, location: request.path.location)
        let added = secret.topics.filter { !before.topics.contains($0) }
        if !added.isEmpty { notify(.topicConfigured(topics: added)) }
        notify("SECRET_UPDATE", secret: secret, name: name)
        return WireFormat.secret(secret, name: name)
    }

    /// Checks what Secret Manager requires of a whole secret's rotation schedule: a
    /// `rotationPeriod` needs a `nextRotationTime`, and a schedule needs topics.
    ///
    /// - Throws: 400 INVALID_ARGUMENT.
    static func checkRotation(of secret: StoredSecret) throws(GoogleAPIError) {
        guard let rotation = secret.rotation, !rotation.isEmpty else { return }
        if rotation.rotationPeriod != nil, rotation.nextRotationTime == nil {
            throw .invalidArgument("Secret.rotation.next_rotation_time must be set when rotation_period is set.")
        }
        if secret.topics.isEmpty {
            throw .invalidArgument("Secret.topics must be set to configure rotation.")
        }
    }

    /// Sets one updatable field of `secret` from a request body (`nil` clears it).
    ///
    /// - Throws: 400 INVALID_ARGUMENT for a malformed value.
    func apply(_ field: String, value: JSONValue?, to secret: inout StoredSecret) throws(GoogleAPIError) {
        switch field {
        case "labels", "annotations":
            guard let value, !value.isEmptyCollection else {
                secret.fields[field] = nil
                return
            }
            guard case .object(let members) = value, members.allSatisfy({ $0.1.stringValue != nil }) else {
                throw .invalidArgument("Invalid value at 'secret.\(field)': expected a map of strings.")
            }
            secret.fields[field] = .object(members.sorted { $0.0 < $1.0 })
        case "versionAliases":
            var aliases: [String: Int] = [:]
            if case .object(let members)? = value {
                for (alias, number) in members {
                    let parsed: Int? = switch number {
                    case .string(let text): Int(text)
                    case .integer(let integer): Int(integer)
                    default: nil
                    }
                    guard ResourcePath.isAlias(alias), alias != "latest" else {
                        throw .invalidArgument(
                            "Invalid value at 'secret.version_aliases': [\(alias)] is not a valid alias (a letter first, "
                                + "then at most 62 letters, digits, '_' or '-'; not 'latest' or 'new').")
                    }
                    guard let parsed, parsed >= 1, parsed <= secret.versions.count else {
                        throw .invalidArgument("Invalid value at 'secret.version_aliases': [\(alias)] must name an existing version.")
                    }
                    aliases[alias] = parsed
                }
            } else if let value, !value.isEmptyCollection {
                throw .invalidArgument("Invalid value at 'secret.version_aliases': expected a map.")
            }
            secret.aliases = aliases
        case "topics":
            secret.topics = try Self.topics(value)
        case "rotation":
            secret.rotation = try rotation(value)
        case "rotation.nextRotationTime":
            var rotation = secret.rotation ?? RotationSchedule()
            rotation.nextRotationTime = try nextRotationTime(value)
            secret.rotation = rotation.isEmpty ? nil : rotation
        case "rotation.rotationPeriod":
            var rotation = secret.rotation ?? RotationSchedule()
            rotation.rotationPeriod = try Self.rotationPeriod(value)
            secret.rotation = rotation.isEmpty ? nil : rotation
        case "ttl":
            guard let text = value?.stringValue else {
                secret.fields["expireTime"] = nil
                return
            }
            guard text.hasSuffix("s"), let seconds = Double(text.dropLast()), seconds >= 0 else {
                throw .invalidArgument("Invalid value at 'secret.ttl': expected a duration such as \"86400s\".")
            }
            secret.fields["expireTime"] = .string(WireFormat.timestamp(now().addingTimeInterval(seconds)))
        default:
            secret.fields[field] = (value?.isEmptyCollection ?? true) ? nil : value
        }
    }

    /// A `topics` value: `[{"name": "projects/P/topics/T"}, …]`, at most 10, no repeats;
    /// absent or empty clears them.
    ///
    /// - Throws: 400 INVALID_ARGUMENT for another shape, a malformed name or too many.
    static func topics(_ value: JSONValue?) throws(GoogleAPIError) -> [String] {
        guard let value, !value.isEmptyCollection, value != .null else { return [] }
        guard case .array(let items) = value else {
            throw .invalidArgument("Invalid value at 'secret.topics': expected a list of Topic objects.")
        }
        var names: [String] = []
        for item in items {
            guard case .object(let members) = item, members.allSatisfy({ $0.0 == "name" }),
                let name = item["name"]?.stringValue
            else {
                throw .invalidArgument("Invalid value at 'secret.topics': each topic must be {\"name\": \"projects/*/topics/*\"}.")
            }
            guard TopicName.isValid(name) else {
                throw .invalidArgument("Topic name [\(name)] is invalid: expected projects/{project}/topics/{topic}.")
            }
            guard !names.contains(name) else {
                throw .invalidArgument("Topic [\(name)] appears more than once in Secret.topics.")
            }
            names.append(name)
        }
        guard names.count <= TopicName.maximumPerSecret else {
            throw .invalidArgument(
                "Secret.topics has \(names.count) topics; at most \(TopicName.maximumPerSecret) are allowed.")
        }
        return names
    }

    /// A `rotation` value (`{"nextRotationTime", "rotationPeriod"}`); absent or empty clears it.
    ///
    /// - Throws: 400 INVALID_ARGUMENT for unknown members or values outside Google's bounds.
    func rotation(_ value: JSONValue?) throws(GoogleAPIError) -> RotationSchedule? {
        guard let value, !value.isEmptyCollection, value != .null else { return nil }
        guard case .object(let members) = value else {
            throw .invalidArgument("Invalid value at 'secret.rotation': expected a Rotation object.")
        }
        if let unknown = members.first(where: { !["nextRotationTime", "rotationPeriod"].contains($0.0) }) {
            throw .invalidArgument("Invalid JSON payload received. Unknown name \"\(unknown.0)\" at 'secret.rotation'.")
        }
        let rotation = RotationSchedule(
            nextRotationTime: try nextRotationTime(value["nextRotationTime"]),
            rotationPeriod: try Self.rotationPeriod(value["rotationPeriod"]))
        return rotation.isEmpty ? nil : rotation
    }

    /// A `rotation.nextRotationTime` set through the API: RFC 3339, 300 s to 100 years ahead.
    func nextRotationTime(_ value: JSONValue?) throws(GoogleAPIError) -> Date? {
        guard let value, value != .null else { return nil }
        guard let text = value.stringValue, let date = RFC3339.date(from: text) else {
            throw .invalidArgument("Invalid value at 'secret.rotation.next_rotation_time': expected an RFC 3339 timestamp.")
        }
        let lead = date.timeIntervalSince(now())
        guard lead >= Double(RotationSchedule.minimumLead), lead <= Double(RotationSchedule.maximumSpan) else {
            throw .invalidArgument(
                "Secret.rotation.next_rotation_time [\(text)] must be at least \(RotationSchedule.minimumLead)s and at most "
                    + "\(RotationSchedule.maximumSpan)s in the future.")
        }
        return date
    }

    /// A `rotation.rotationPeriod`: whole seconds (`"3600s"`), 1 hour to 100 years.
    static func rotationPeriod(_ value: JSONValue?) throws(GoogleAPIError) -> Int64? {
        guard let value, value != .null else { return nil }
        guard let text = value.stringValue, let seconds = RotationSchedule.seconds(text) else {
            throw .invalidArgument("Invalid value at 'secret.rotation.rotation_period': expected whole seconds such as \"3600s\".")
        }
        if let problem = RotationSchedule.periodProblem(seconds) {
            throw .invalidArgument("Secret.rotation.rotation_period [\(text)] \(problem).")
        }
        return seconds
    }

    /// `GET …/secrets/S:getIamPolicy`: the policy set last, or the empty policy.
    func getIamPolicy(_ request: APIRequest) throws(GoogleAPIError) -> JSONValue {
        let (_, secret, _) = try existingSecret(request)
        return WireFormat.policy(of: secret)
    }

    /// `POST …/secrets/S:setIamPolicy` with `{"policy":{"version","bindings","etag"}}`:
    /// stores the bindings (not enforced: the seed's `access` lists govern `--auth`) and
    /// answers the stored policy with a new etag.
    ///
    /// - Throws: 400 INVALID_ARGUMENT without a policy object; 409 ABORTED when the
    ///   policy's etag is not the current one (a concurrent change).
    mutating func setIamPolicy(_ request: APIRequest) throws(GoogleAPIError) -> JSONValue {
        var (project, secret, _) = try existingSecret(request)
        guard let policy = try Self.jsonBody(request)?["policy"], case .object(let members) = policy else {
            throw .invalidArgument("Invalid JSON payload received: `policy` is required.")
        }
        if let etag = policy["etag"]?.stringValue, !etag.isEmpty, etag != secret.iamPolicyEtag {
            throw GoogleAPIError(
                httpStatus: 409, status: "ABORTED",
                message: "There were concurrent policy changes. Please retry the whole read-modify-write with exponential backoff.")
        }
        if let bindings = policy["bindings"], case .array = bindings {} else if policy["bindings"] != nil {
            throw .invalidArgument("Invalid value at 'policy.bindings': expected a list.")
        }
        secret.iamPolicy = members.filter { $0.0 == "bindings" || $0.0 == "auditConfigs" }
        if case .integer(let version)? = policy["version"], [1, 3].contains(version) {
            secret.iamPolicyVersion = version
        }
        etagCounter &+= 1
        var counter = etagCounter.bigEndian
        secret.iamPolicyEtag = withUnsafeBytes(of: &counter) { Data($0).base64EncodedString() }
        store(secret, project: project, location: request.path.location)
        return WireFormat.policy(of: secret)
    }

    /// `version_destroy_ttl` → `versionDestroyTtl`.
    static func camelCase(_ name: String) -> String {
        let parts = name.trimmingCharacters(in: .whitespaces).split(separator: "_")
        guard let first = parts.first else { return "" }
        return String(first) + parts.dropFirst().map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
    }
}
