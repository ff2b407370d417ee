import YAML

// Building a configuration in code, without a file: each part is a plain value, and
// `Configuration.init(defaults:environments:outputs:directory:name:)` checks the whole
// with the rules a file is held to, naming key paths instead of file positions.

/// Where a value built in code is: line 0, which errors leave out.
let positionInCode = Mark(line: 0, column: 0)

extension EnvironmentConfiguration {
    /// An environment built in code (the equivalent of one entry under `environments:`).
    /// Checked when a ``Configuration`` is built from it.
    ///
    /// - Parameters:
    ///   - name: the environment's name (letters, digits, `_`, `-`, `.`).
    ///   - projects: its projects, in order; aliases unique.
    ///   - strictIsolation: whether a render for it may reference only its own projects.
    ///   - settings: the environment layer's settings (any key `defaults:` accepts).
    public init(
        name: String, projects: [ProjectConfiguration] = [], strictIsolation: Bool = true,
        settings: LayerSettings = LayerSettings()
    ) {
        self.init(
            name: name, projects: projects, strictIsolation: strictIsolation, settings: settings, mark: positionInCode)
    }
}

extension ProjectConfiguration {
    /// A project built in code (one entry under `environments.<env>.projects:`).
    ///
    /// - Parameters:
    ///   - alias: the name references use (letters, digits, `_`, `-`, `.`).
    ///   - projectID: the Google Cloud project id or number.
    ///   - secrets: the declared secrets, in order; names unique.
    ///   - allowUndeclared: whether references may name secret ids not declared.
    ///   - settings: the project layer's settings (`credentials`, `endpoint`, `location`,
    ///     `quota_project`, `timeout`, `cache`, `retry`, `circuit_breaker`, `version`).
    public init(
        alias: String, projectID: String, secrets: [SecretDeclaration] = [], allowUndeclared: Bool = false,
        settings: LayerSettings = LayerSettings()
    ) {
        self.init(
            alias: alias, projectID: projectID, secrets: secrets, allowUndeclared: allowUndeclared, settings: settings,
            mark: positionInCode)
    }
}

extension SecretDeclaration {
    /// A declared secret built in code (one entry under `projects.<alias>.secrets:`).
    ///
    /// - Parameters:
    ///   - name: the name references use (letters, digits, `_`, `-`, `.`).
    ///   - secretID: the Secret Manager secret id; `nil` for the name itself, which must then
    ///     be a valid secret id (1 to 255 letters, digits, `_` or `-`).
    ///   - settings: the secret layer's settings (`version`, `timeout`, `cache`, `retry`).
    public init(name: String, secretID: String? = nil, settings: LayerSettings = LayerSettings()) {
        self.init(
            name: name, secretID: secretID ?? name, secretIDIsExplicit: secretID != nil, settings: settings,
            mark: positionInCode)
    }
}

extension OutputValue {
    /// One `values:` entry built in code: an output key and a reference
    /// (`PROJECT/SECRET[@VERSION][#POINTER]` or `ENV/PROJECT/SECRET...`). The reference is
    /// checked when a ``Configuration`` is built from its output.
    public init(key: String, reference: String) {
        self.init(
            key: key, reference: reference,
            // A reference that does not parse is refused by Configuration's validation.
            parsedReference: (try? SecretReference.parse(reference)) ?? SecretReference(project: "", secret: ""),
            mark: positionInCode, keyMark: positionInCode)
    }
}

extension OutputConfiguration {
    /// An output built in code (one entry of `outputs:`). Checked when a ``Configuration`` is
    /// built from it.
    ///
    /// - Parameters:
    ///   - name: unique; letters, digits, `_`, `-`, `.`.
    ///   - format: the file format.
    ///   - path: the destination; a relative path resolves against the configuration's
    ///     `directory`.
    ///   - template: the template file, exactly when `format` is `.template` (relative paths
    ///     as for `path`).
    ///   - values: the keys and references, in order, exactly when `format` is not `.template`.
    ///   - mode: the file mode; `nil` for the environment's or the defaults' `file_mode`, else 0600.
    ///   - environment: the environment relative references resolve in; must be declared.
    ///   - followSymlinks, createDirectories, owner, group, allowWorldReadable, atomicDirectory,
    ///     onChange: as `follow_symlinks`, `create_dirs`, `owner`, `group`,
    ///     `allow_world_readable`, `atomic_dir` and `on_change` in the file.
    public init(
        name: String, format: OutputFormat, path: String, template: String? = nil, values: [OutputValue] = [],
        mode: FileMode? = nil, environment: String? = nil, followSymlinks: Bool = false,
        createDirectories: Bool = true, owner: String? = nil, group: String? = nil, allowWorldReadable: Bool = false,
        atomicDirectory: Bool = false, onChange: OutputChangeCommand? = nil
    ) {
        self.init(
            name: name, format: format, path: path, template: template, values: values,
            mode: mode ?? .ownerReadWrite, explicitMode: mode, environment: environment, followSymlinks: followSymlinks,
            createDirectories: createDirectories, owner: owner, group: group, allowWorldReadable: allowWorldReadable,
            atomicDirectory: atomicDirectory, mark: positionInCode, onChange: onChange)
    }
}

extension Configuration {
    /// A configuration built in code, without a file: the equivalent of a
    /// `secretsmith.yaml` with these `defaults:`, `environments:` and `outputs:`.
    ///
    /// Checked with the rules the file is held to: every setting of each layer (see
    /// ``LayerSettings``: the keys the layer accepts, ranges, minimum durations, location,
    /// project id and version grammars, a `file_mode` granting access to others only with
    /// `allowWorldReadable`), names (letters, digits, `_`, `-`, `.`; unique per level), project
    /// and secret ids, and each output (format and its `template` or `values`, value keys,
    /// references, a declared `environment`, its mode). References are resolved, with
    /// `strict_isolation`, when used, as for a file.
    ///
    /// - Parameters:
    ///   - defaults: the global layer (`defaults:`).
    ///   - environments: in order; names unique.
    ///   - outputs: in order; names unique. Relative paths resolve against `directory`.
    ///   - directory: where relative paths resolve (absolute, or relative to the working
    ///     directory); default the working directory.
    ///   - name: the name errors and reports use in place of a file path.
    /// - Throws: ``ConfigurationError`` without a file or position, with the key path
    ///   (`environments.prod.projects.billing.project_id`, `outputs[0].mode`) and the same
    ///   message as the file's error; every further error in ``ConfigurationError/additional``.
    ///   An output's undeclared `environment` has the code ``ConfigurationError/Code/unknownEnvironment``.
    public init(
        defaults: LayerSettings = LayerSettings(), environments: [EnvironmentConfiguration],
        outputs: [OutputConfiguration] = [], directory: String? = nil, name: String = "configuration built in code"
    ) throws(ConfigurationError) {
        let directory = FilePaths.absolute(directory ?? ".")
        var errors: [ConfigurationError] = []
        func failure(_ path: ConfigPath, _ message: String, hint: String? = nil, code: ConfigurationError.Code = .invalidConfiguration) {
            errors.append(
                ConfigurationError(keyPath: path.description, message: message, hint: hint, code: code))
        }
        func check(_ settings: LayerSettings, _ layer: ConfigurationDecoder.Layer, at path: ConfigPath) {
            for violation in settings.violations(in: layer) {
                failure(path.key(violation.key), violation.message, hint: violation.hint)
            }
        }
        func token(_ text: String, _ rule: ConfigurationRules.Token, at path: ConfigPath) {
            if let message = rule.violation(text) { failure(path, message) }
        }
        func unique(_ names: [String], what: String, at path: (Int) -> ConfigPath) {
            var seen: Set<String> = []
            for (index, name) in names.enumerated() where !seen.insert(name).inserted {
                failure(path(index), "\(what) \"\(name)\" is used twice")
            }
        }

        check(defaults, .global, at: .root.key("defaults"))
        let environmentsPath = ConfigPath.root.key("environments")
        unique(environments.map(\.name), what: "environment name") { environmentsPath.key(environments[$0].name) }
        for environment in environments {
            let path = environmentsPath.key(environment.name)
            token(environment.name, .name("environment name"), at: path)
            check(environment.settings, .environment, at: path)
            let projectsPath = path.key("projects")
            unique(environment.projects.map(\.alias), what: "project alias") {
                projectsPath.key(environment.projects[$0].alias)
            }
            for project in environment.projects {
                let path = projectsPath.key(project.alias)
                token(project.alias, .name("project alias"), at: path)
                token(project.projectID, .projectID, at: path.key("project_id"))
                check(project.settings, .project, at: path)
                let secretsPath = path.key("secrets")
                unique(project.secrets.map(\.name), what: "secret name") { secretsPath.key(project.secrets[$0].name) }
                for secret in project.secrets {
                    let path = secretsPath.key(secret.name)
                    token(secret.name, .name("secret name"), at: path)
                    if secret.secretIDIsExplicit {
                        token(secret.secretID, .secretID, at: path.key("secret_id"))
                    } else if !SecretReference.isValidSecretID(secret.name) {
                        failure(
                            path,
                            "secret name \"\(secret.name)\" is not a valid Secret Manager secret id (1 to 255 letters, digits, '_' or '-')",
                            hint: "Pass secretID: with the real id.")
                    }
                    check(secret.settings, .secret, at: path)
                }
            }
        }

        let outputsPath = ConfigPath.root.key("outputs")
        unique(outputs.map(\.name), what: "output name") { outputsPath.index($0).key("name") }
        var resolvedOutputs: [OutputConfiguration] = []
        for (index, output) in outputs.enumerated() {
            let path = outputsPath.index(index)
            var output = output
            token(output.name, .name("output name"), at: path.key("name"))
            if output.path.isEmpty || FilePaths.containsNUL(output.path) {
                failure(path.key("path"), "the path is empty or contains a NUL byte")
            } else {
                output.path = FilePaths.absolute(output.path, relativeTo: directory)
            }
            if output.format == .template {
                if let template = output.template, !template.isEmpty, !FilePaths.containsNUL(template) {
                    output.template = FilePaths.absolute(template, relativeTo: directory)
                } else {
                    failure(path.key("template"), "an output of format template needs \"template\"")
                }
                if !output.values.isEmpty {
                    failure(
                        path.key("values"),
                        "values are for the dotenv, shell, json and docker-env-file formats; a template output takes its references from the template")
                }
            } else {
                if output.template != nil {
                    failure(path.key("template"), "template is only for format: template")
                }
                if output.values.isEmpty {
                    failure(path.key("values"), "values is empty; list at least one KEY: project/secret")
                }
            }
            for value in output.values {
                let valuePath = path.key("values").key(value.key)
                if output.format != .json, !VariableExpansion.isValidName(value.key) {
                    failure(
                        valuePath,
                        "\"\(value.key)\" is not a valid environment variable name for format \(output.format.rawValue)",
                        hint: "Use letters, digits and '_', not starting with a digit.")
                }
                do throws(ReferenceError) {
                    _ = try SecretReference.parse(value.reference)
                } catch {
                    failure(valuePath, error.sentence, hint: error.hint)
                }
            }
            if let environment = output.environment, !environments.contains(where: { $0.name == environment }) {
                failure(
                    path.key("environment"), "environment \"\(environment)\" is not declared under environments",
                    hint: Suggestions.hint(for: environment, among: environments.map(\.name)), code: .unknownEnvironment)
            }
            if let mode = output.explicitMode, mode.grantsAccessToOthers, !output.allowWorldReadable {
                let problem = ConfigurationRules.worldReadable(mode)
                failure(path.key("mode"), problem.message, hint: problem.hint)
            }
            if output.atomicDirectory, output.followSymlinks {
                failure(
                    path.key("follow_symlinks"),
                    "follow_symlinks cannot be used with atomic_dir: the path is the link through ..data that secretsmith manages")
            }
            if output.explicitMode == nil {
                let environmentMode = output.environment.flatMap { name in
                    environments.first { $0.name == name }?.settings.fileMode
                }
                output.mode = environmentMode ?? defaults.fileMode ?? .ownerReadWrite
            }
            resolvedOutputs.append(output)
        }
        if var first = errors.first {
            first.additional = Array(errors.dropFirst())
            throw first
        }
        self.init(
            file: name, directory: directory, global: defaults, environments: environments, outputs: resolvedOutputs)
    }
}
