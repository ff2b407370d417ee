import YAML

extension ConfigurationDecoder {
    private static let outputKeys = [
        "name", "format", "path", "template", "values", "mode", "environment", "follow_symlinks", "create_dirs",
        "owner", "group", "allow_world_readable", "atomic_dir", "on_change",
    ]

    /// `outputs:` — a sequence of output mappings with unique names.
    ///
    /// The error of an output that cannot be decoded is recorded in ``sink`` and the others
    /// are still decoded, so every output's first error is reported at once.
    func outputs(
        _ node: YAMLNode, defaults: LayerSettings, environments: [EnvironmentConfiguration]
    ) throws(ConfigurationError) -> [OutputConfiguration] {
        let path = ConfigPath.root.key("outputs")
        if node.isNull { return [] }
        guard let elements = node.sequence else {
            throw failure("expected a sequence of outputs (each starting with - name:), found \(node.kindDescription)", at: node, path: path)
        }
        var outputs: [OutputConfiguration] = []
        var marks: [String: Mark] = [:]
        for (index, element) in elements.enumerated() {
            let output: OutputConfiguration
            do throws(ConfigurationError) {
                output = try self.output(element, at: path.index(index), defaults: defaults, environments: environments)
            } catch {
                let name = element["name"]?.scalarValue
                guard error.unsetVariable != nil, let name, SecretReference.isValidComponent(name) else {
                    sink.errors.append(error)
                    continue
                }
                // Needed only when the output is used: reported then.
                var unavailable = OutputConfiguration(
                    name: name, format: .dotenv, path: directory, template: nil, values: [],
                    mode: .ownerReadWrite, explicitMode: nil, environment: nil, followSymlinks: false,
                    createDirectories: false, owner: nil, group: nil, allowWorldReadable: false, atomicDirectory: false,
                    mark: element.mark)
                unavailable.variableError = error
                if error.unsetVariable == VariableExpansion.activeEnvironmentVariable {
                    // The output as each declared environment would make it, for a run
                    // that names its environment without setting `SECRETSMITH_ENV`
                    // (`serve`'s `?environment=`), as `--env` sets it for the CLI.
                    for environment in environments {
                        var variables = self.environment
                        variables[VariableExpansion.activeEnvironmentVariable] = environment.name
                        let scoped = ConfigurationDecoder(file: file, directory: directory, environment: variables)
                        if let decoded = try? scoped.output(
                            element, at: path.index(index), defaults: defaults, environments: environments),
                            scoped.sink.errors.isEmpty
                        {
                            unavailable.activeEnvironmentVariants[environment.name] = decoded
                        }
                    }
                }
                output = unavailable
            }
            if let first = marks[output.name] {
                sink.errors.append(
                    failure(
                        "output name \"\(output.name)\" is used twice (first at \(first))",
                        at: element["name"], path: path.index(index).key("name")))
                continue
            }
            marks[output.name] = output.mark
            outputs.append(output)
        }
        return outputs
    }

    private func output(
        _ node: YAMLNode, at path: ConfigPath, defaults: LayerSettings, environments: [EnvironmentConfiguration]
    ) throws(ConfigurationError) -> OutputConfiguration {
        let fields = try fields(node, at: path, allowed: Self.outputKeys)
        func required(_ key: String) throws(ConfigurationError) -> YAMLNode {
            guard let value = fields[key] else {
                throw failure("an output needs \"\(key)\"", at: node, path: path.key(key))
            }
            return value
        }
        func flag(_ key: String, default value: Bool) throws(ConfigurationError) -> Bool {
            guard let flagNode = fields[key] else { return value }
            return try bool(flagNode, at: path.key(key))
        }
        let name = try token(
            required("name"), at: path.key("name"), what: "output name",
            expected: "letters, digits, '_', '-' and '.'", valid: SecretReference.isValidComponent
        )
        let formatNode = try required("format")
        let formatText = try string(formatNode, at: path.key("format"))
        guard let format = OutputFormat(rawValue: formatText) else {
            let names = OutputFormat.allCases.map(\.rawValue)
            throw failure(
                "unknown output format \"\(formatText)\"", at: formatNode, path: path.key("format"),
                hint: Suggestions.hint(for: formatText, among: names) ?? "Valid formats: \(names.joined(separator: ", "))."
            )
        }
        let destination = try self.path(required("path"), at: path.key("path"))

        var template: String?
        var values: [OutputValue] = []
        if format == .template {
            template = try self.path(required("template"), at: path.key("template"))
            if let valuesNode = fields["values"] {
                throw failure(
                    "values are for the dotenv, shell, json and docker-env-file formats; a template output takes its references from the template",
                    at: valuesNode, path: path.key("values")
                )
            }
        } else {
            if let templateNode = fields["template"] {
                throw failure(
                    "template is only for format: template", at: templateNode, path: path.key("template"),
                    hint: "Use format: template, or list the keys under values:."
                )
            }
            values = try self.values(required("values"), at: path.key("values"), format: format)
        }

        var environment: String?
        if let environmentNode = fields["environment"] {
            let environmentName = try nonEmptyString(environmentNode, at: path.key("environment"))
            guard environments.contains(where: { $0.name == environmentName }) else {
                let names = environments.map(\.name)
                throw failure(
                    "environment \"\(environmentName)\" is not declared under environments", at: environmentNode,
                    path: path.key("environment"),
                    hint: Suggestions.hint(for: environmentName, among: names)
                )
            }
            environment = environmentName
        }
        let allowWorldReadable = try flag("allow_world_readable", default: false)
        let explicitMode = try fields["mode"].map { modeNode throws(ConfigurationError) in
            try fileMode(modeNode, at: path.key("mode"), allowWorldReadable: allowWorldReadable)
        }
        let atomicDirectory = try flag("atomic_dir", default: false)
        if atomicDirectory, let followNode = fields["follow_symlinks"], try bool(followNode, at: path.key("follow_symlinks")) {
            throw failure(
                "follow_symlinks cannot be used with atomic_dir: the path is the link through ..data that secretsmith manages",
                at: followNode, path: path.key("follow_symlinks"))
        }
        let environmentMode = environment.flatMap { name in environments.first { $0.name == name }?.settings.fileMode }
        let onChange = try fields["on_change"].map { node throws(ConfigurationError) in
            try changeCommand(node, at: path.key("on_change"))
        }
        return OutputConfiguration(
            name: name, format: format, path: destination, template: template, values: values,
            mode: explicitMode ?? environmentMode ?? defaults.fileMode ?? .ownerReadWrite,
            explicitMode: explicitMode, environment: environment,
            followSymlinks: try flag("follow_symlinks", default: false),
            createDirectories: try flag("create_dirs", default: true),
            owner: try fields["owner"].map { ownerNode throws(ConfigurationError) in
                try nonEmptyString(ownerNode, at: path.key("owner"))
            },
            group: try fields["group"].map { groupNode throws(ConfigurationError) in
                try nonEmptyString(groupNode, at: path.key("group"))
            },
            allowWorldReadable: allowWorldReadable, atomicDirectory: atomicDirectory, mark: node.mark,
            onChange: onChange
        )
    }

    /// `values:` — an ordered mapping of output keys to reference strings.
    private func values(_ node: YAMLNode, at path: ConfigPath, format: OutputFormat) throws(ConfigurationError) -> [OutputValue] {
        guard let pairs = node.mappingPairs else {
            throw failure("expected a mapping of keys to secret references, found \(node.kindDescription)", at: node, path: path)
        }
        guard !pairs.isEmpty else {
            throw failure("values is empty; list at least one KEY: project/secret", at: node, path: path)
        }
        var values: [OutputValue] = []
        for pair in pairs {
            guard let key = pair.key.scalarValue, !key.isEmpty else {
                throw failure("an output key must be a non-empty string", at: pair.key, path: path)
            }
            if format != .json, !VariableExpansion.isValidName(key) {
                throw failure(
                    "\"\(key)\" is not a valid environment variable name for format \(format.rawValue)",
                    at: pair.key, path: path.key(key),
                    hint: "Use letters, digits and '_', not starting with a digit."
                )
            }
            let text = try nonEmptyString(pair.value, at: path.key(key))
            let reference: SecretReference
            do throws(ReferenceError) {
                reference = try SecretReference.parse(text)
            } catch {
                throw failure(error.sentence, at: pair.value, path: path.key(key), hint: error.hint)
            }
            values.append(OutputValue(key: key, reference: text, parsedReference: reference, mark: pair.value.mark, keyMark: pair.key.mark))
        }
        return values
    }
}
