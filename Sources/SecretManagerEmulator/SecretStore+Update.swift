import Foundation

/// The secret's mutable metadata and its IAM policy: `PATCH …/secrets/S` (what
/// `gcloud secrets update` sends), `:getIamPolicy` and `:setIamPolicy`.
extension SecretStore {
    /// The fields `updateSecret` changes, by their JSON (camelCase) names. `ttl` is an
    /// input that sets `expireTime`; `versionAliases` replaces the aliases.
    static let updatableFields: Set<String> = [
        "labels", "annotations", "versionAliases", "topics", "expireTime", "ttl", "rotation", "versionDestroyTtl",
    ]

    /// `PATCH …/secrets/S?updateMask=a,b` with a `Secret` body: replaces each field the
    /// mask names (snake_case or camelCase) with the body's value, or clears it when the
    /// body leaves it out. A body `etag` must match the secret's.
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
        for field in mask {
            guard Self.updatableFields.contains(field) else {
                throw .invalidArgument("The update mask names [\(field)], which is not a field of Secret that can be updated.")
            }
            try apply(field, value: body[field], to: &secret)
        }
        secret.etag = nextEtag()
        store(secret, project: project, location: request.path.location)
        return WireFormat.secret(secret, name: name)
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
                    guard let parsed, parsed >= 1, parsed <= secret.versions.count,
                        ResourcePath.isAlias(alias), alias != "latest"
                    else {
                        throw .invalidArgument("Invalid value at 'secret.version_aliases': [\(alias)] must be an alias naming an existing version.")
                    }
                    aliases[alias] = parsed
                }
            } else if let value, !value.isEmptyCollection {
                throw .invalidArgument("Invalid value at 'secret.version_aliases': expected a map.")
            }
            secret.aliases = aliases
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
