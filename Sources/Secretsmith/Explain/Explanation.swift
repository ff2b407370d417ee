import Foundation

/// `secretsmith explain REF`: the effective settings of one reference and the layer each
/// came from, without any network call.
///
/// Layers, nearest last: `default` (built in), `global` (`defaults:`), `environment`,
/// `project`, `secret`, `reference` (`@VERSION`, `ENV/`), `command line` (`--env`,
/// `--timeout`), `environment variable` (`SECRETSMITH_ENV`,
/// `SECRET_MANAGER_EMULATOR_HOST`), and `output` for an output's own `mode`. A setting an
/// environment override set shows the variable's name instead
/// (`SECRETSMITH_DEFAULTS__TIMEOUT`).
package struct Explanation: Sendable, Hashable, Encodable {
    /// One effective setting.
    package struct Row: Sendable, Hashable, Encodable {
        /// The setting's dotted name as written in the configuration (`retry.max_attempts`).
        package var setting: String
        /// Its effective value, as the configuration would write it (`10s`, `0600`).
        package var value: String
        /// The layer that set it.
        package var layer: String
    }

    /// An output that reads the explained version.
    package struct OutputUse: Sendable, Hashable, Encodable {
        package var name: String
        package var format: String
        package var path: String
        /// The `values:` key, for non-template outputs; `nil` for templates.
        package var key: String?
        /// The file mode the output is written with, four octal digits.
        package var mode: String
        /// The layer that set the mode (`output` for the output's own `mode:`).
        package var modeLayer: String

        enum CodingKeys: String, CodingKey {
            case name, format, path, key, mode, modeLayer = "mode_layer"
        }
    }

    /// Where the run's inputs came from, beside the configuration.
    package struct Context: Sendable {
        /// The active environment, if any.
        package var activeEnvironment: String?
        /// Where it was set: ``SettingLayer/commandLine`` (`--env`) or
        /// ``SettingLayer/environmentVariable`` (`SECRETSMITH_ENV`).
        package var activeEnvironmentLayer: SettingLayer
        /// The process environment (`SECRET_MANAGER_EMULATOR_HOST`).
        package var processEnvironment: [String: String]
        /// `--timeout`, when given.
        package var commandLineDeadline: Duration?

        package init(
            activeEnvironment: String?, activeEnvironmentLayer: SettingLayer, processEnvironment: [String: String],
            commandLineDeadline: Duration? = nil
        ) {
            self.activeEnvironment = activeEnvironment
            self.activeEnvironmentLayer = activeEnvironmentLayer
            self.processEnvironment = processEnvironment
            self.commandLineDeadline = commandLineDeadline
        }
    }

    /// The reference as written.
    package var reference: String
    /// The version resource it resolves to.
    package var resource: String
    /// The effective settings, in a fixed order.
    package var settings: [Row]
    /// The outputs (of the active environment's render) that read this version.
    package var outputs: [OutputUse]

    /// The value of one setting, for tests and scripts.
    package func row(_ setting: String) -> Row? { settings.first { $0.setting == setting } }

    /// Explains one reference.
    ///
    /// - Throws: ``ReferenceError`` for a reference that does not parse;
    ///   ``ConfigurationError`` for one the configuration does not allow (both exit 65).
    package static func make(reference text: String, configuration: Configuration, context: Context) throws -> Explanation {
        let reference = try SecretReference.parse(text)
        let secret = try configuration.resolve(reference, activeEnvironment: context.activeEnvironment)
        let origins = secret.origins
        // An environment override names its variable instead of the layer it set.
        func layer(_ name: String) -> String {
            secret.settings.environmentVariables[name] ?? (origins[name] ?? .builtIn).description
        }
        func duration(_ value: Duration) -> String { DurationSyntax.format(value) }

        var rows: [Row] = []
        func add(_ setting: String, _ value: String, _ layer: String) {
            rows.append(Row(setting: setting, value: value, layer: layer))
        }
        add(
            "environment", secret.environment,
            reference.environment != nil ? SettingLayer.reference.description : context.activeEnvironmentLayer.description)
        add("project_id", secret.projectID, layer("project_id"))
        add("secret_id", secret.secretID, layer("secret_id"))
        add("location", secret.location ?? "(global)", layer("location"))
        add("version", secret.version, layer("version"))

        let emulatorHost = context.processEnvironment["SECRET_MANAGER_EMULATOR_HOST"].flatMap { $0.isEmpty ? nil : $0 }
        let endpoint = try SecretManagerEndpoint.resolve(
            configured: secret.endpoint, location: secret.location, emulatorHost: emulatorHost)
        if emulatorHost != nil {
            let variable = SettingLayer.environmentVariable.description
            add("endpoint", "\(endpoint.baseURL) (SECRET_MANAGER_EMULATOR_HOST: plain HTTP)", variable)
            add("credentials", "none (the emulator takes no credentials; configured: \(secret.credentials))", variable)
        } else {
            add("endpoint", endpoint.baseURL, layer("endpoint"))
            add("credentials", secret.credentials.description, layer("credentials"))
        }
        if let caFile = secret.settings.tlsCAFile {
            add("tls.ca_file", "\(caFile) (added to the system's roots)", layer("tls.ca_file"))
        } else if let bundle = TLSTrust.of(configuration, processEnvironment: context.processEnvironment).baseBundle {
            add(
                "tls.ca_file", "(none; \(TLSTrust.certificateFileVariable) \(bundle) replaces the system's roots)",
                SettingLayer.environmentVariable.description)
        } else {
            add("tls.ca_file", "(none: the system's roots)", layer("tls.ca_file"))
        }
        add("quota_project", secret.quotaProject ?? "(none)", layer("quota_project"))
        add("timeout", duration(secret.timeout), layer("timeout"))

        if let deadline = context.commandLineDeadline {
            add("deadline", duration(deadline), SettingLayer.commandLine.description)
        } else {
            add("deadline", secret.settings.deadline.map(duration) ?? "(none)", layer("deadline"))
        }
        // The manager bounds calls per environment; its one cache's size comes from `defaults:`.
        add("concurrency", String(secret.settings.concurrency(toward: endpoint)), layer("concurrency"))
        let defaults = configuration.defaults
        add("cache.ttl", duration(secret.cache.ttl), layer("cache.ttl"))
        add(
            "cache.max_entries", String(defaults.cache.maxEntries),
            defaults.environmentVariables["cache.max_entries"]
                ?? (defaults.origins["cache.max_entries"] ?? .builtIn).description)
        add("cache.max_stale", duration(secret.cache.maxStale), layer("cache.max_stale"))
        add("retry.max_attempts", String(secret.retry.maxAttempts), layer("retry.max_attempts"))
        add("retry.initial_backoff", duration(secret.retry.initialBackoff), layer("retry.initial_backoff"))
        add("retry.max_backoff", duration(secret.retry.maxBackoff), layer("retry.max_backoff"))
        add("retry.multiplier", format(secret.retry.multiplier), layer("retry.multiplier"))
        add(
            "circuit_breaker.failure_rate_threshold", format(secret.circuitBreaker.failureRateThreshold) + "%",
            layer("circuit_breaker.failure_rate_threshold"))
        add(
            "circuit_breaker.minimum_calls", String(secret.circuitBreaker.minimumCalls),
            layer("circuit_breaker.minimum_calls"))
        add("circuit_breaker.window", duration(secret.circuitBreaker.window), layer("circuit_breaker.window"))
        add(
            "circuit_breaker.recovery_timeout", duration(secret.circuitBreaker.recoveryTimeout),
            layer("circuit_breaker.recovery_timeout"))
        add(
            "circuit_breaker.half_open_calls", String(secret.circuitBreaker.halfOpenCalls),
            layer("circuit_breaker.half_open_calls"))
        add("file_mode", secret.fileMode.description, layer("file_mode"))

        // How `secretsmith watch` follows this secret (defaults and environment layers).
        let watch = secret.settings.watch
        add("watch.subscription", watch.subscription ?? "off (polling only)", layer("watch.subscription"))
        add("watch.poll_interval", watch.pollInterval.map(duration) ?? "off", layer("watch.poll_interval"))
        add(
            "watch.poll_jitter",
            watch.pollJitter.map(duration)
                ?? (watch.pollInterval == nil ? "0s" : "\(duration(watch.effectivePollJitter)) (a tenth of the interval)"),
            layer("watch.poll_jitter"))
        add("watch.check_pinned", String(watch.checkPinned), layer("watch.check_pinned"))
        add("watch.debounce", duration(watch.debounce), layer("watch.debounce"))
        add("watch.splay", duration(watch.splay), layer("watch.splay"))
        add("watch.child.on_change", watch.childOnChange.rawValue, layer("watch.child.on_change"))
        add("watch.child.signal", WatchSettings.signalName(watch.childSignal), layer("watch.child.signal"))
        add("watch.child.stop_signal", WatchSettings.signalName(watch.childStopSignal), layer("watch.child.stop_signal"))
        add("watch.child.grace_period", duration(watch.childGracePeriod), layer("watch.child.grace_period"))

        return Explanation(
            reference: text, resource: secret.versionName, settings: rows,
            outputs: outputUses(of: secret, configuration: configuration, activeEnvironment: context.activeEnvironment))
    }

    /// The outputs whose references read the same version in the same environment.
    static func outputUses(of secret: SecretConfig, configuration: Configuration, activeEnvironment: String?)
        -> [OutputUse]
    {
        let plan = RenderPlan.collect(configuration: configuration, environment: activeEnvironment, only: []).plan
        let wanted = RenderPlan.FetchKey(environment: secret.environment, versionName: secret.versionName)
        var uses: [OutputUse] = []
        var seen = Set<OutputUse>()
        for output in plan.outputs {
            // Computed once per output, and only for outputs that read the version.
            var mode: (value: String, layer: String)?
            for reference in output.firstUses where reference.fetchKey == wanted {
                if mode == nil {
                    mode = (
                        configuration.fileMode(for: output.output, activeEnvironment: output.environment).description,
                        modeLayer(output.output, configuration: configuration, activeEnvironment: output.environment)
                    )
                }
                let use = OutputUse(
                    name: output.output.name, format: output.output.format.rawValue, path: output.output.path,
                    key: reference.site.key, mode: mode!.value, modeLayer: mode!.layer)
                if seen.insert(use).inserted { uses.append(use) }
            }
        }
        return uses
    }

    /// Mirrors ``Configuration/fileMode(for:activeEnvironment:)``, naming the layer.
    static func modeLayer(_ output: OutputConfiguration, configuration: Configuration, activeEnvironment: String?) -> String {
        if output.explicitMode != nil { return "output" }
        if let name = output.environment ?? activeEnvironment, let settings = configuration.environment(named: name)?.settings,
            settings.fileMode != nil
        {
            return settings.environmentVariables["file_mode"] ?? SettingLayer.environment.description
        }
        guard configuration.global.fileMode != nil else { return SettingLayer.builtIn.description }
        return configuration.global.environmentVariables["file_mode"] ?? SettingLayer.global.description
    }

    private static func format(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
    }

    /// The text form: the reference and resource, a table of settings, then the outputs.
    package var text: String {
        var lines = ["reference  \(reference)", "resource   \(resource)", ""]
        let width = max(7, settings.map(\.setting.count).max() ?? 0)
        let valueWidth = min(60, max(5, settings.map(\.value.count).max() ?? 0))
        func pad(_ text: String, _ width: Int) -> String {
            text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
        }
        lines.append("\(pad("setting", width))  \(pad("value", valueWidth))  set by")
        for row in settings {
            lines.append("\(pad(row.setting, width))  \(pad(row.value, valueWidth))  \(row.layer)")
        }
        lines.append("")
        if outputs.isEmpty {
            lines.append("no output of this render reads this version")
        } else {
            lines.append("read by")
            for use in outputs {
                let key = use.key.map { " key \($0)" } ?? ""
                lines.append("  output \(use.name) (\(use.format)\(key)) -> \(use.path), mode \(use.mode) (\(use.modeLayer))")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The JSON form, pretty-printed with sorted keys.
    package var json: [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return [UInt8]((try? encoder.encode(self)) ?? Data()) + [0x0A]
    }
}
