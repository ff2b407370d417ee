extension Configuration {
    /// Resolves a reference to the effective settings of one secret version.
    ///
    /// - `ENV/PROJECT/SECRET` resolves in `ENV`; `PROJECT/SECRET` in `activeEnvironment`.
    /// - When the active environment has `strict_isolation: true` (the default), a
    ///   reference naming another environment is refused.
    /// - `PROJECT` must be declared in the environment; `SECRET` must be declared under the
    ///   project's `secrets`, unless the project has `allow_undeclared: true` (then the name
    ///   is the secret id and must be a valid one).
    /// - The version is the reference's `@VERSION`, else the nearest layer's `version`,
    ///   else `latest`. Every other setting comes from the nearest layer that sets it.
    ///
    /// - Parameters:
    ///   - reference: the parsed reference.
    ///   - activeEnvironment: `--env`, `SECRETSMITH_ENV`, or the output's `environment:`;
    ///     `nil` when none is selected.
    /// - Throws: `ConfigurationError` naming the reference (and the configuration file);
    ///   the positioned error of an environment it uses that has an unset `${NAME}`.
    public func resolve(_ reference: SecretReference, activeEnvironment: String?) throws(ConfigurationError) -> SecretConfig {
        func failure(_ message: String, hint: String? = nil) -> ConfigurationError {
            ConfigurationError(file: file, message: "reference \(ConfigurationRules.quoted("\(reference)")) \(message)", hint: hint)
        }
        func unknownEnvironment(_ name: String, why: String) -> ConfigurationError {
            failure(
                "\(why) environment \(ConfigurationRules.quoted(name)), which is not declared under environments",
                hint: Suggestions.hint(for: name, among: environmentNames)
                    ?? "Declared environments: \(environmentNames.joined(separator: ", "))."
            )
        }

        let environmentName: String
        if let named = reference.environment {
            guard environment(named: named) != nil else { throw unknownEnvironment(named, why: "names") }
            if let active = activeEnvironment, active != named {
                guard let activeEnvironment = environment(named: active) else {
                    throw unknownEnvironment(active, why: "is resolved for the active")
                }
                if let error = activeEnvironment.variableError { throw error }
                if activeEnvironment.strictIsolation {
                    throw ConfigurationError.crossEnvironmentReference(reference, activeEnvironment: active, file: file)
                }
            }
            environmentName = named
        } else if let active = activeEnvironment {
            environmentName = active
        } else {
            throw failure(
                "is relative to the active environment, but none is selected",
                hint: "Pass --env, set SECRETSMITH_ENV, or write ENV/\(reference)."
            )
        }
        guard let environment = environment(named: environmentName) else {
            throw unknownEnvironment(environmentName, why: reference.environment == nil ? "is resolved in the active" : "names")
        }
        if let error = environment.variableError { throw error }
        guard let project = environment.project(alias: reference.project) else {
            let aliases = environment.projects.map(\.alias)
            throw failure(
                "names project \"\(reference.project)\", which environment \"\(environmentName)\" does not declare under projects",
                hint: Suggestions.hint(for: reference.project, among: aliases)
                    ?? (aliases.isEmpty ? nil : "Declared projects: \(aliases.joined(separator: ", ")).")
            )
        }
        let declaration = project.secret(named: reference.secret)
        if declaration == nil {
            guard project.allowUndeclared else {
                let names = project.secrets.map(\.name)
                throw failure(
                    "names secret \"\(reference.secret)\", which project \"\(project.alias)\" of environment \"\(environmentName)\" does not declare under secrets",
                    hint: Suggestions.hint(for: reference.secret, among: names)
                        ?? "Declare it under secrets:, or set allow_undeclared: true on the project."
                )
            }
            guard SecretReference.isValidSecretID(reference.secret) else {
                throw failure(
                    "names undeclared secret \"\(reference.secret)\", which is not a valid Secret Manager secret id (1 to 255 letters, digits, '_' or '-')"
                )
            }
        }
        // The layers depend only on (environment, project, declared secret): resolved once per
        // triple and kept (undeclared secrets share their project's entry, so the memo stays
        // bounded by the file's size whatever names callers send).
        let memoKey = ResolvedSettingsMemo.Key(
            environment: environmentName, project: project.alias, declaredSecret: declaration?.name)
        var settings = resolvedSettings.settings(for: memoKey) {
            var resolver = LayerResolver(
                layers: [
                    (.secret, declaration?.settings ?? LayerSettings()), (.project, project.settings),
                    (.environment, environment.settings), (.global, global),
                ]
            )
            return resolver.resolve()
        }
        if let explicit = reference.version {
            settings.version = explicit
            settings.origins["version"] = .reference
        }
        settings.origins["project_id"] = .project
        settings.origins["secret_id"] = declaration?.secretIDIsExplicit == true ? .secret : .builtIn
        return SecretConfig(
            environment: environmentName, projectAlias: project.alias, secretName: reference.secret,
            projectID: project.projectID, secretID: declaration?.secretID ?? reference.secret, settings: settings)
    }

    /// The settings of the global layer (`defaults:`) over the built-in defaults.
    public var defaults: EffectiveSettings {
        var resolver = LayerResolver(layers: [(.global, global)])
        return resolver.resolve()
    }

    /// The settings of one environment over `defaults:` and the built-in defaults (for
    /// run-wide settings such as `concurrency`); `nil` for an undeclared environment.
    public func settings(forEnvironment name: String) -> EffectiveSettings? {
        guard let environment = environment(named: name) else { return nil }
        var resolver = LayerResolver(layers: [(.environment, environment.settings), (.global, global)])
        return resolver.resolve()
    }
}

extension Configuration {
    /// This configuration with the settings that environment variables override: the
    /// `defaults` and environment layers' settings named by `SECRETSMITH_DEFAULTS__<KEY>` and
    /// `SECRETSMITH_ENVIRONMENTS__<ENV>__<KEY>` variables (levels of a key separated by `__`,
    /// as in `SECRETSMITH_DEFAULTS__CACHE__TTL`), over the file's values. The command line
    /// applies them after loading the file and before its flags.
    ///
    /// Every setting those layers accept in the file can be overridden, with the file's
    /// syntax and rules. `<ENV>` is the environment's name as declared (`prod-eu`) or its
    /// shell-friendly form (`PROD_EU`: upper case, `-` and `.` as `_`); `<KEY>` is
    /// case-insensitive. A value starting with `{` or `[` is YAML flow (JSON works); an empty
    /// value is ignored. Other `SECRETSMITH_` variables (`SECRETSMITH_ENV`,
    /// `SECRETSMITH_CONFIG`, ...) are not overrides. Each overridden setting records its
    /// variable (``EffectiveSettings/environmentVariables``), which `explain` shows as the
    /// setting's origin.
    ///
    /// - Parameter environment: the process environment (normally
    ///   `ProcessInfo.processInfo.environment`); also used for `${NAME}` in the values.
    /// - Returns: the configuration with the overrides; `self` when no variable is an override.
    /// - Throws: ``ConfigurationError`` naming the variable
    ///   (``ConfigurationError/environmentVariable``) and the key path: a value the file would
    ///   refuse (a bad duration, out of range), an unknown or misplaced setting, an undeclared
    ///   environment (``ConfigurationError/Code/unknownEnvironment``), or a variable that starts
    ///   with `SECRETSMITH_DEFAULTS` or `SECRETSMITH_ENVIRONMENTS` but is not an override's
    ///   name. Further errors are in ``ConfigurationError/additional``.
    public func applyingEnvironmentOverrides(_ environment: [String: String]) throws(ConfigurationError) -> Configuration {
        try EnvironmentOverrides.apply(environment, to: self)
    }
}
