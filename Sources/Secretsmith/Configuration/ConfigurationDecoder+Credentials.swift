import YAML

extension ConfigurationDecoder {
    /// `credentials:` — a mapping with `type` and that type's own keys; a bare type name
    /// (`credentials: adc`) is short for `{ type: adc }`.
    func credentials(_ node: YAMLNode, at path: ConfigPath) throws(ConfigurationError) -> CredentialsConfiguration {
        if node.scalar != nil, !node.isNull {
            let shorthand = YAMLNode(
                content: .mapping([YAMLPair(key: YAMLNode(content: .scalar(YAMLScalar(value: "type", style: .plain)), mark: node.mark), value: node)]),
                mark: node.mark
            )
            return try credentials(shorthand, at: path)
        }
        guard let typeNode = node["type"] else {
            if node.mappingPairs == nil {
                throw failure("expected a mapping with a type, found \(node.kindDescription)", at: node, path: path)
            }
            throw failure(
                "credentials need a type", at: node, path: path.key("type"),
                hint: "Write one of: type: \(CredentialsConfiguration.typeNames.joined(separator: ", "))."
            )
        }
        let type = try string(typeNode, at: path.key("type"))
        switch type {
        case "adc":
            _ = try fields(node, at: path, allowed: ["type"])
            return .applicationDefault
        case "metadata":
            _ = try fields(node, at: path, allowed: ["type"])
            return .metadata
        case "service_account_file":
            let fields = try fields(node, at: path, allowed: ["type", "path"])
            return .serviceAccountFile(path: try self.path(try required("path", in: fields), at: path.key("path")))
        case "service_account_json":
            let fields = try fields(node, at: path, allowed: ["type", "json_env"])
            return .serviceAccountJSON(environmentVariable: try variableName(required("json_env", in: fields), at: path.key("json_env")))
        case "access_token_env":
            let fields = try fields(node, at: path, allowed: ["type", "env"])
            return .accessTokenEnvironment(variable: try variableName(required("env", in: fields), at: path.key("env")))
        case "impersonate":
            return try impersonation(node, at: path)
        default:
            throw failure(
                "unknown credentials type \(ConfigurationRules.quoted(type))", at: typeNode, path: path.key("type"),
                hint: Suggestions.hint(for: type, among: CredentialsConfiguration.typeNames)
                    ?? "Valid types: \(CredentialsConfiguration.typeNames.joined(separator: ", "))."
            )
        }
    }

    private func impersonation(_ node: YAMLNode, at path: ConfigPath) throws(ConfigurationError) -> CredentialsConfiguration {
        let fields = try fields(node, at: path, allowed: ["type", "target_service_account", "delegates", "lifetime", "source"])
        let target = try serviceAccount(required("target_service_account", in: fields), at: path.key("target_service_account"))
        var delegates: [String] = []
        if let delegatesNode = fields["delegates"], !delegatesNode.isNull {
            guard let elements = delegatesNode.sequence else {
                throw failure(
                    "expected a sequence of service account emails, found \(delegatesNode.kindDescription)",
                    at: delegatesNode, path: path.key("delegates")
                )
            }
            for (index, element) in elements.enumerated() {
                delegates.append(try serviceAccount(element, at: path.key("delegates").index(index)))
            }
        }
        var lifetime = Duration.seconds(3600)
        if let lifetimeNode = fields["lifetime"] {
            lifetime = try duration(lifetimeNode, at: path.key("lifetime"), minimum: .seconds(1))
            guard lifetime <= .seconds(43_200) else {
                throw failure("an impersonated token lives at most 12h", at: lifetimeNode, path: path.key("lifetime"))
            }
        }
        var source = CredentialsConfiguration.applicationDefault
        if let sourceNode = fields["source"] {
            source = try credentials(sourceNode, at: path.key("source"))
        }
        return .impersonate(targetServiceAccount: target, delegates: delegates, lifetime: lifetime, source: source)
    }

    private func required(_ key: String, in fields: Fields) throws(ConfigurationError) -> YAMLNode {
        guard let node = fields[key] else {
            throw failure("\"\(key)\" is required here", at: fields.node, path: fields.path.key(key))
        }
        return node
    }

    private func variableName(_ node: YAMLNode, at path: ConfigPath) throws(ConfigurationError) -> String {
        try token(
            node, at: path, what: "environment variable name",
            expected: "letters, digits and '_', not starting with a digit",
            valid: VariableExpansion.isValidName
        )
    }

    /// A service account email: `name@project.iam.gserviceaccount.com` (checked loosely:
    /// one `@`, no spaces or slashes).
    private func serviceAccount(_ node: YAMLNode, at path: ConfigPath) throws(ConfigurationError) -> String {
        try token(
            node, at: path, what: "service account email",
            expected: "an email such as deployer@project.iam.gserviceaccount.com",
            valid: { text in
                let parts = text.split(separator: "@", omittingEmptySubsequences: false)
                return parts.count == 2 && !parts[0].isEmpty && !parts[1].isEmpty
                    && !text.contains(where: { $0 == " " || $0 == "/" || $0.isNewline })
            }
        )
    }
}
