/// The secret methods: create, get, delete, list.
extension SecretStore {
    /// `POST …/secrets?secretId=S` with `{"replication":{…}}` (global secrets; regional
    /// secrets have no replication), and optionally labels, annotations, topics,
    /// `expireTime` or `ttl`, rotation and `versionDestroyTtl`. Queues `TOPIC_CONFIGURED`
    /// and `SECRET_CREATE` for the secret's topics.
    ///
    /// - Throws: 400 INVALID_ARGUMENT for a missing or malformed `secretId` or a global
    ///   secret without `replication`; 409 ALREADY_EXISTS; 403 for an unknown project.
    mutating func createSecret(_ request: APIRequest) throws(GoogleAPIError) -> JSONValue {
        let project = try projectIndex(request)
        guard let secretID = request.query["secretId"], !secretID.isEmpty else {
            throw .invalidArgument("The secretId query parameter is required.")
        }
        guard ResourcePath.isSecretID(secretID) else {
            throw .invalidArgument(
                "The provided Secret ID [\(secretID)] does not match the expected format [[a-zA-Z_0-9-]{1,255}].")
        }
        var path = request.path
        path.target = .secret(secretID)
        let name = secretName(path, project: project)
        let body = try Self.jsonBody(request)
        if let body {
            guard case .object = body else {
                throw .invalidArgument("Invalid JSON payload received: the body must be a Secret object.")
            }
        }
        let replication = body?["replication"]
        if path.location == nil, replication == nil {
            throw .invalidArgument("Secret.replication is required for a global secret.")
        }
        guard projects[project].secrets[key(path)] == nil else {
            throw .alreadyExists("Secret [\(name)] already exists.")
        }
        var secret = makeSecret(id: secretID, created: now(), location: path.location, replication: replication)
        for field in Self.updatableFields where field != "versionAliases" && !field.contains(".") {
            if let value = body?[field] { try apply(field, value: value, to: &secret) }
        }
        try Self.checkRotation(of: secret)
        store(secret, project: project, location: path.location)
        notify(.topicConfigured(topics: secret.topics))
        notify("SECRET_CREATE", secret: secret, name: name)
        return WireFormat.secret(secret, name: name)
    }

    /// `GET …/secrets/S`.
    func getSecret(_ request: APIRequest) throws(GoogleAPIError) -> JSONValue {
        let (_, secret, name) = try existingSecret(request)
        return WireFormat.secret(secret, name: name)
    }

    /// `DELETE …/secrets/S`: the secret and all its versions; answers `{}`. Queues
    /// `SECRET_DELETE` (data: the secret as it was) for its topics.
    mutating func deleteSecret(_ request: APIRequest) throws(GoogleAPIError) -> JSONValue {
        let (project, secret, name) = try existingSecret(request)
        _ = remove(key(request.path), project: project)
        notify("SECRET_DELETE", secret: secret, name: name)
        return .object([])
    }

    /// `GET …/secrets`: the secrets of the project (and location), in creation order,
    /// filtered on `name` and paged.
    func listSecrets(_ request: APIRequest) throws(GoogleAPIError) -> JSONValue {
        let project = try projectIndex(request)
        let filter = try ListFilter(request.query["filter"] ?? "", fields: ["name"])
        let parent = request.path.parentName(project: String(projects[project].number))
        let matching = projects[project].secrets
            .filter { $0.key.location == request.path.location }
            .map(\.value)
            .sorted { $0.sequence < $1.sequence }
            .filter { secret in filter.matches { _ in "\(parent)/secrets/\(secret.id)" } }
        let page = try PageToken.page(
            of: matching, pageSize: request.query["pageSize"], pageToken: request.query["pageToken"])
        return WireFormat.list(
            key: "secrets", items: page.items.map { WireFormat.secret($0, name: "\(parent)/secrets/\($0.id)") },
            nextPageToken: page.next, totalSize: matching.count)
    }
}
