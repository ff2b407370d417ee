import YAML

extension ConfigurationDecoder {
    /// The whole file: `version` (must be 1), `defaults`, `environments`, `outputs`.
    func configuration(from root: YAMLNode?) throws(ConfigurationError) -> Configuration {
        guard let root, !root.isNull else {
            throw ConfigurationError(
                file: file, message: "the configuration file is empty",
                hint: "Start it with version: 1 and an environments: section."
            )
        }
        let fields = try fields(root, at: .root, allowed: ["version", "defaults", "environments", "outputs", "serve"])
        guard let versionNode = fields["version"] else {
            throw failure(
                "the configuration file has no version", at: root, path: nil,
                hint: "Add version: 1 at the top."
            )
        }
        let version = try string(versionNode, at: .root.key("version"))
        guard version == "1" else {
            throw failure(
                "unsupported configuration version \"\(version)\"", at: versionNode, path: .root.key("version"),
                hint: "This secretsmith reads version: 1."
            )
        }
        // Each section, environment, project, secret and output is decoded even when an
        // earlier one failed, so one run reports them all (see `collecting`).
        var defaults = LayerSettings()
        if let node = fields["defaults"] {
            let path = ConfigPath.root.key("defaults")
            do throws(ConfigurationError) {
                defaults = try settings(
                    from: try self.fields(
                        node, at: path, allowed: Layer.global.settingKeys,
                        misplaced: [
                            "projects": "projects are declared per environment, under environments.<env>.projects",
                            "strict_isolation": "it is a setting of each environment, under environments.<env>",
                        ]
                    ),
                    layer: .global
                )
            } catch {
                sink.errors.append(error)
            }
        }
        var environments: [EnvironmentConfiguration] = []
        if let node = fields["environments"] {
            do throws(ConfigurationError) {
                for entry in try namedEntries(node, at: .root.key("environments"), what: "environment") {
                    do throws(ConfigurationError) {
                        environments.append(try environment(entry))
                    } catch where error.unsetVariable != nil {
                        // Needed only when the environment is used: resolved lazily.
                        var unavailable = EnvironmentConfiguration(
                            name: entry.name, projects: [], strictIsolation: true, settings: LayerSettings(),
                            mark: entry.keyNode.mark)
                        unavailable.variableError = error
                        environments.append(unavailable)
                    } catch {
                        sink.errors.append(error)
                        // Declared all the same, so outputs naming it are not also wrong.
                        environments.append(
                            EnvironmentConfiguration(
                                name: entry.name, projects: [], strictIsolation: true, settings: LayerSettings(),
                                mark: entry.keyNode.mark))
                    }
                }
            } catch {
                sink.errors.append(error)
            }
        }
        var outputs: [OutputConfiguration] = []
        if let node = fields["outputs"] {
            do throws(ConfigurationError) {
                outputs = try self.outputs(node, defaults: defaults, environments: environments)
            } catch {
                sink.errors.append(error)
            }
        }
        let serve = fields["serve"].flatMap(serveSection)
        if let error = checkCertificateFileVariable(global: defaults, environments: environments) {
            sink.errors.append(error)
        }
        // In file order (errors without a position first).
        let errors = sink.errors.enumerated().sorted { lhs, rhs in
            let left = lhs.element.mark.map { ($0.line, $0.column) } ?? (0, 0)
            let right = rhs.element.mark.map { ($0.line, $0.column) } ?? (0, 0)
            return left != right ? left < right : lhs.offset < rhs.offset
        }.map(\.element)
        if var first = errors.first {
            first.additional = Array(errors.dropFirst())
            throw first
        }
        var configuration = Configuration(
            file: file, directory: directory, global: defaults, environments: environments, outputs: outputs
        )
        configuration.serve = serve
        return configuration
    }

    private func environment(_ entry: NamedEntry) throws(ConfigurationError) -> EnvironmentConfiguration {
        let fields = try fields(
            entry.value, at: entry.path, allowed: Layer.environment.settingKeys + ["projects", "strict_isolation"],
            misplaced: Layer.environment.misplaced.merging(
                ["project_id": "it belongs to a project under projects.<alias>",
                 "secrets": "secrets are declared per project, under projects.<alias>.secrets"]
            ) { first, _ in first }
        )
        // Settings, the isolation flag and each project are checked even after one fails.
        let settings = try collecting { () throws(ConfigurationError) in
            try self.settings(from: fields, layer: .environment)
        } ?? LayerSettings()
        let strictIsolation = try collecting { () throws(ConfigurationError) in
            try fields["strict_isolation"].map { node throws(ConfigurationError) in
                try bool(node, at: entry.path.key("strict_isolation"))
            } ?? true
        } ?? true
        var projects: [ProjectConfiguration] = []
        if let node = fields["projects"] {
            for project in try namedEntries(node, at: entry.path.key("projects"), what: "project alias") {
                if let decoded = try collecting({ () throws(ConfigurationError) in try self.project(project) }) {
                    projects.append(decoded)
                }
            }
        }
        return EnvironmentConfiguration(
            name: entry.name, projects: projects, strictIsolation: strictIsolation, settings: settings,
            mark: entry.keyNode.mark
        )
    }

    private func project(_ entry: NamedEntry) throws(ConfigurationError) -> ProjectConfiguration {
        let fields = try fields(
            entry.value, at: entry.path,
            allowed: ["project_id", "secrets", "allow_undeclared"] + Layer.project.settingKeys,
            misplaced: Layer.project.misplaced
        )
        guard let idNode = fields["project_id"] else {
            throw failure(
                "project \"\(entry.name)\" has no project_id", at: entry.keyNode, path: entry.path,
                hint: "Add project_id: with the Google Cloud project id."
            )
        }
        // The id, the settings and each secret are checked even after one fails (a
        // recorded error fails the load, so the placeholders below are never used).
        let projectID = try collecting { () throws(ConfigurationError) in
            try self.projectID(idNode, at: entry.path.key("project_id"))
        } ?? ""
        let settings = try collecting { () throws(ConfigurationError) in
            try self.settings(from: fields, layer: .project)
        } ?? LayerSettings()
        let allowUndeclared = try collecting { () throws(ConfigurationError) in
            try fields["allow_undeclared"].map { node throws(ConfigurationError) in
                try bool(node, at: entry.path.key("allow_undeclared"))
            } ?? false
        } ?? false
        var secrets: [SecretDeclaration] = []
        if let node = fields["secrets"] {
            for secret in try namedEntries(node, at: entry.path.key("secrets"), what: "secret") {
                if let decoded = try collecting({ () throws(ConfigurationError) in try self.secret(secret) }) {
                    secrets.append(decoded)
                }
            }
        }
        return ProjectConfiguration(
            alias: entry.name, projectID: projectID, secrets: secrets, allowUndeclared: allowUndeclared,
            settings: settings, mark: entry.keyNode.mark
        )
    }

    private func secret(_ entry: NamedEntry) throws(ConfigurationError) -> SecretDeclaration {
        let fields = try fields(
            entry.value, at: entry.path, allowed: ["secret_id"] + Layer.secret.settingKeys,
            misplaced: Layer.secret.misplaced
        )
        var secretID = entry.name
        if let node = fields["secret_id"] {
            secretID = try token(
                node, at: entry.path.key("secret_id"), what: "secret id",
                expected: "1 to 255 letters, digits, '_' or '-'", valid: SecretReference.isValidSecretID
            )
        } else if !SecretReference.isValidSecretID(entry.name) {
            throw failure(
                "secret name \"\(entry.name)\" is not a valid Secret Manager secret id (1 to 255 letters, digits, '_' or '-')",
                at: entry.keyNode, path: entry.path, hint: "Add secret_id: with the real id."
            )
        }
        return SecretDeclaration(
            name: entry.name, secretID: secretID, secretIDIsExplicit: fields["secret_id"] != nil,
            settings: try settings(from: fields, layer: .secret), mark: entry.keyNode.mark
        )
    }
}
