import YAML

/// Settings of the `defaults` and environment layers taken from environment variables, over
/// the configuration file's values (and under command-line flags).
///
/// A variable's name is the setting's key path in the file, after `SECRETSMITH_`, with `__`
/// (two underscores) between levels:
///
/// | Variable | Sets |
/// |---|---|
/// | `SECRETSMITH_DEFAULTS__TIMEOUT=5s` | `defaults.timeout` |
/// | `SECRETSMITH_DEFAULTS__CACHE__TTL=1m` | `defaults.cache.ttl` |
/// | `SECRETSMITH_ENVIRONMENTS__PROD_EU__CONCURRENCY=32` | `environments.prod-eu.concurrency` |
/// | `SECRETSMITH_ENVIRONMENTS__prod-eu__CONCURRENCY=32` | the same |
///
/// - Setting keys are case-insensitive (`TIMEOUT` or `timeout`); every setting the layer
///   accepts in the file can be set, through the same decoder and rules.
/// - An environment is named exactly as declared (`prod-eu`, which `env` and container
///   platforms can set but a shell's `export` cannot), or in the shell-friendly form:
///   upper case, with `-` and `.` written `_` (`PROD_EU`). A shell-friendly name that fits
///   two declared environments is an error.
/// - The value is read as the file's scalar would be (`${NAME}` is expanded); a value that
///   starts with `{` or `[` is YAML flow (so JSON works), for mapping settings such as
///   `credentials`. An empty value is ignored, as if the variable were not set.
/// - Any other variable that starts with `SECRETSMITH_DEFAULTS` or
///   `SECRETSMITH_ENVIRONMENTS` is an error (a misspelled override must not be ignored);
///   every other `SECRETSMITH_` variable (`SECRETSMITH_ENV`, `SECRETSMITH_CONFIG`, ...) keeps
///   its own meaning.
///
/// Errors are ``ConfigurationError``s naming the variable (``ConfigurationError/environmentVariable``)
/// and the key path, without a file position.
enum EnvironmentOverrides {
    /// The prefix of `defaults` overrides (the level separator follows).
    static let defaultsPrefix = "SECRETSMITH_DEFAULTS"
    /// The prefix of environment overrides (the level separator, the name and another
    /// separator follow).
    static let environmentsPrefix = "SECRETSMITH_ENVIRONMENTS"
    /// Between the levels of a key path.
    static let separator = "__"

    /// The layer an override sets.
    enum Scope: Hashable {
        case defaults
        case environment(String)

        var path: ConfigPath {
            switch self {
            case .defaults: ConfigPath.root.key("defaults")
            case .environment(let name): ConfigPath.root.key("environments").key(name)
            }
        }
    }

    /// One variable read as an override.
    struct Override {
        var variable: String
        var scope: Scope
        /// The setting's keys below the layer, lower case (`["cache", "ttl"]`).
        var keys: [String]
        var value: String

        var path: ConfigPath { keys.reduce(scope.path) { $0.key($1) } }
    }

    /// Whether a variable's name claims to be an override.
    static func isOverrideName(_ name: String) -> Bool {
        // The singular forms too: `SECRETSMITH_DEFAULT__TIMEOUT` is a typo to report, not a
        // variable to ignore.
        name.hasPrefix(singularDefaultsPrefix) || name.hasPrefix(singularEnvironmentsPrefix)
    }

    /// The prefixes without their final `S`: names starting so are overrides or typos of one.
    static let singularDefaultsPrefix = String(defaultsPrefix.dropLast())
    static let singularEnvironmentsPrefix = String(environmentsPrefix.dropLast())

    /// The shell-friendly form of an environment name: upper case, `-` and `.` as `_`.
    static func shellName(_ name: String) -> String {
        String(name.uppercased().map { $0 == "-" || $0 == "." ? "_" : $0 })
    }

    /// Applies the overrides in `environment` to `configuration`.
    ///
    /// - Throws: ``ConfigurationError`` (exit 65) naming the first wrong variable, with the
    ///   others in ``ConfigurationError/additional``.
    static func apply(
        _ environment: [String: String], to configuration: Configuration
    ) throws(ConfigurationError) -> Configuration {
        var errors: [ConfigurationError] = []
        var overrides: [Override] = []
        // Sorted, so that errors and conflicts are reported in a stable order.
        for (name, value) in environment.sorted(by: { $0.key < $1.key }) where isOverrideName(name) && !value.isEmpty {
            do throws(ConfigurationError) {
                overrides.append(try parse(name, value: value, environments: configuration.environmentNames))
            } catch {
                errors.append(error)
            }
        }
        if overrides.isEmpty && errors.isEmpty { return configuration }

        let decoder = ConfigurationDecoder(
            file: configuration.file, directory: configuration.directory, environment: environment)
        var global = configuration.global
        var environments = configuration.environments
        let scopes = [Scope.defaults] + configuration.environmentNames.map(Scope.environment)
        for scope in scopes {
            let mine = overrides.filter { $0.scope == scope }
            guard !mine.isEmpty else { continue }
            var index: Int?
            if case .environment(let name) = scope {
                index = environments.firstIndex { $0.name == name }
            }
            let layer: ConfigurationDecoder.Layer = index == nil ? .global : .environment
            var settings = index.map { environments[$0].settings } ?? global
            do throws(ConfigurationError) {
                try apply(mine, layer: layer, to: &settings, decoder: decoder)
            } catch {
                // As in the file: a `${NAME}` that is not set under an environment is needed
                // only by the commands that use that environment.
                if let index, error.all.allSatisfy({ $0.unsetVariable != nil }) {
                    if environments[index].variableError == nil { environments[index].variableError = error }
                    continue
                }
                errors.append(contentsOf: error.all)
            }
            if let index {
                environments[index].settings = settings
            } else {
                global = settings
            }
        }
        if var first = errors.first {
            first.additional = Array(errors.dropFirst())
            throw first
        }
        var result = Configuration(
            file: configuration.file, directory: configuration.directory, global: global,
            environments: environments, outputs: configuration.outputs.map { output in
                var output = output
                if output.explicitMode == nil {
                    let environmentMode = output.environment.flatMap { name in
                        environments.first { $0.name == name }?.settings.fileMode
                    }
                    output.mode = environmentMode ?? global.fileMode ?? .ownerReadWrite
                }
                return output
            })
        result.serve = configuration.serve
        return result
    }

    /// Reads one variable's name: its layer and the setting's keys.
    static func parse(_ name: String, value: String, environments: [String]) throws(ConfigurationError) -> Override {
        func failure(_ message: String, hint: String? = nil, code: ConfigurationError.Code = .invalidConfiguration)
            -> ConfigurationError
        {
            var error = ConfigurationError(message: message, hint: hint, code: code)
            error.environmentVariable = name
            return error
        }
        let scope: Scope
        let rest: Substring
        if name.hasPrefix(defaultsPrefix + separator) {
            scope = .defaults
            rest = name.dropFirst(defaultsPrefix.count + separator.count)
        } else if name.hasPrefix(environmentsPrefix + separator) {
            let afterPrefix = name.dropFirst(environmentsPrefix.count + separator.count)
            // The longest declared name (exactly, else in its shell form) followed by `__`.
            var best: (names: Set<String>, length: Int, exact: Bool)?
            for environment in environments {
                for (form, exact) in [(environment, true), (shellName(environment), false)]
                where afterPrefix.hasPrefix(form + separator) {
                    let length = form.count
                    if best == nil || length > best!.length || (length == best!.length && exact && !best!.exact) {
                        best = ([environment], length, exact)
                    } else if length == best!.length && exact == best!.exact {
                        best!.names.insert(environment)
                    }
                }
            }
            guard let best else {
                if environments.contains(where: { afterPrefix == $0 || afterPrefix == shellName($0) }) {
                    throw failure(
                        "the name does not name a setting after the environment",
                        hint: "Name the setting's keys, upper case, with \(separator) between levels: ...\(separator)TIMEOUT, ...\(separator)CACHE\(separator)TTL.")
                }
                let written = afterPrefix.firstRange(of: separator).map { String(afterPrefix[..<$0.lowerBound]) }
                    ?? String(afterPrefix)
                let suggestion = Suggestions.closest(to: written, in: environments)
                    ?? Suggestions.closest(to: written, in: environments.map(shellName))
                throw failure(
                    "the name refers to environment \"\(written)\", which is not declared under environments",
                    hint: suggestion.map { "Did you mean \"\($0)\"?" }
                        ?? "Declared environments: \(environments.joined(separator: ", ")).",
                    code: .unknownEnvironment)
            }
            guard best.names.count == 1, let environment = best.names.first else {
                throw failure(
                    "the name refers to more than one environment: \(best.names.sorted().joined(separator: " and ")) have the same shell-friendly name",
                    hint: "Write the environment's name exactly as declared (env and container platforms can set such a variable).")
            }
            scope = .environment(environment)
            rest = afterPrefix.dropFirst(best.length + separator.count)
        } else {
            let isDefaults = name.hasPrefix(singularDefaultsPrefix)
            let prefix = isDefaults ? defaultsPrefix : environmentsPrefix
            let example = isDefaults ? "SECRETSMITH_DEFAULTS__TIMEOUT" : "SECRETSMITH_ENVIRONMENTS__PROD__TIMEOUT"
            var hint = "An override is \(prefix), then \(separator) before each level of the key path, as in \(example)."
            // What follows the (possibly singular) prefix and its underscores.
            var tail = name.dropFirst(isDefaults ? singularDefaultsPrefix.count : singularEnvironmentsPrefix.count)
            if tail.first == "S" { tail = tail.dropFirst() }
            if tail.first == "_" {
                while tail.first == "_" { tail = tail.dropFirst() }
                if !tail.isEmpty { hint += " Did you mean \(prefix)\(separator)\(tail)?" }
            }
            throw failure("the name looks like a configuration override but is not one", hint: hint)
        }
        let keys = rest.split(separator: separator, omittingEmptySubsequences: false).map(String.init)
        func isKey(_ key: String) -> Bool {
            !key.isEmpty && key.utf8.allSatisfy { byte in
                (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
                    || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || byte == UInt8(ascii: "_")
            }
        }
        guard !rest.isEmpty, keys.allSatisfy(isKey) else {
            throw failure(
                "the name does not name a setting after the layer",
                hint: "Name the setting's keys, upper case, with \(separator) between levels: ...\(separator)TIMEOUT, ...\(separator)CACHE\(separator)TTL.")
        }
        return Override(variable: name, scope: scope, keys: keys.map { $0.lowercased() }, value: value)
    }

    /// Decodes one layer's overrides over `settings` with the file's decoder and rules, and
    /// records which variable set each setting.
    private static func apply(
        _ overrides: [Override], layer: ConfigurationDecoder.Layer, to settings: inout LayerSettings,
        decoder: ConfigurationDecoder
    ) throws(ConfigurationError) {
        // A node for a value that is in no file: line 0 (see ConfigurationDecoder.position).
        let nowhere = Mark(line: 0, column: 0)
        func scalar(_ text: String) -> YAMLNode {
            YAMLNode(content: .scalar(YAMLScalar(value: text, style: .plain)), mark: nowhere)
        }
        func value(of override: Override) throws(ConfigurationError) -> YAMLNode {
            guard override.value.hasPrefix("{") || override.value.hasPrefix("[") else {
                // Plain text, never YAML-typed: even `~` or `null` is the text.
                return YAMLNode(content: .scalar(YAMLScalar(value: override.value, style: .singleQuoted)), mark: nowhere)
            }
            do throws(YAMLError) {
                guard let node = try YAMLParser.parse(Array(override.value.utf8), file: override.variable, limits: .default)
                else { return scalar("") }
                return node
            } catch {
                var failure = ConfigurationError(
                    keyPath: override.path.description, message: "the value is not valid YAML flow: \(error.message)")
                failure.environmentVariable = override.variable
                throw failure
            }
        }
        // One mapping for the layer, as the file would write it (nested keys merged).
        indirect enum Tree {
            case leaf(YAMLNode, variable: String)
            case branch([(String, Tree)])
        }
        var root: [(String, Tree)] = []
        var errors: [ConfigurationError] = []
        func insert(_ keys: ArraySlice<String>, _ node: YAMLNode, _ variable: String, into entries: inout [(String, Tree)])
            -> String?
        {
            let key = keys.first!
            let index = entries.firstIndex { $0.0 == key }
            if keys.count == 1 {
                if let index {
                    return owner(of: entries[index].1)
                }
                entries.append((key, .leaf(node, variable: variable)))
                return nil
            }
            var children: [(String, Tree)] = []
            if let index {
                guard case .branch(let existing) = entries[index].1 else { return owner(of: entries[index].1) }
                children = existing
            }
            let conflict = insert(keys.dropFirst(), node, variable, into: &children)
            if let index { entries[index].1 = .branch(children) } else { entries.append((key, .branch(children))) }
            return conflict
        }
        func owner(of tree: Tree) -> String {
            switch tree {
            case .leaf(_, let variable): variable
            case .branch(let children): owner(of: children[0].1)
            }
        }
        for override in overrides {
            do throws(ConfigurationError) {
                let node = try value(of: override)
                if let other = insert(override.keys[...], node, override.variable, into: &root) {
                    var failure = ConfigurationError(
                        keyPath: override.path.description, message: "it sets the same setting as \(other)",
                        hint: "Set each setting with one variable.")
                    failure.environmentVariable = override.variable
                    errors.append(failure)
                }
            } catch {
                errors.append(error)
            }
        }
        func node(_ entries: [(String, Tree)]) -> YAMLNode {
            YAMLNode(
                content: .mapping(entries.map { key, tree in
                    switch tree {
                    case .leaf(let value, _): YAMLPair(key: scalar(key), value: value)
                    case .branch(let children): YAMLPair(key: scalar(key), value: node(children))
                    }
                }), mark: nowhere)
        }
        let scopePath = overrides[0].scope.path
        // Which variable wrote the value at a key path (for errors), longest match first.
        func variable(for error: ConfigurationError) -> String? {
            guard let keyPath = error.keyPath else { return nil }
            return overrides.filter { override in
                let path = override.path.description
                return keyPath == path || keyPath.hasPrefix(path + ".") || path.hasPrefix(keyPath + ".")
            }.max { $0.keys.count < $1.keys.count }?.variable
        }
        func attributed(_ error: ConfigurationError) -> ConfigurationError {
            var copy = error
            copy.file = nil
            copy.mark = nil
            copy.environmentVariable = copy.environmentVariable ?? variable(for: error) ?? overrides[0].variable
            return copy
        }
        if errors.isEmpty {
            let structural = [
                "projects": "overrides set settings of defaults and of environments; projects are declared in the file",
                "strict_isolation": "overrides set settings of defaults and of environments; strict_isolation is set in the file",
            ]
            decoder.sink.errors = []
            do throws(ConfigurationError) {
                let fields = try decoder.fields(
                    node(root), at: scopePath, allowed: layer.settingKeys,
                    misplaced: layer.misplaced.merging(structural) { first, _ in first })
                try decoder.applySettings(from: fields, layer: layer, to: &settings)
            } catch {
                errors.append(error)
            }
            errors = decoder.sink.errors + errors
        }
        guard errors.isEmpty else {
            var all = errors.flatMap(\.all).map(attributed)
            var first = all.removeFirst()
            first.additional = all
            throw first
        }
        // The settings each variable sets, named as `EffectiveSettings.origins` names them:
        // its value alone on an empty layer, resolved.
        for override in overrides {
            var alone = LayerSettings()
            var entries: [(String, Tree)] = []
            _ = insert(override.keys[...], (try? value(of: override)) ?? scalar(""), override.variable, into: &entries)
            decoder.sink.errors = []
            if let fields = try? decoder.fields(node(entries), at: scopePath, allowed: layer.settingKeys) {
                try? decoder.readSettings(from: fields, to: &alone)
            }
            var resolver = LayerResolver(layers: [(.global, alone)])
            // A location moves Google's global endpoint to the region's: the resolver
            // attributes that endpoint to the location's variable itself.
            for (name, origin) in resolver.resolve().origins
            where origin == .global && (name != "endpoint" || override.keys[0] == "endpoint") {
                settings.environmentVariables[name] = override.variable
            }
        }
    }
}
