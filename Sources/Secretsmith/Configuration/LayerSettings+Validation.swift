extension LayerSettings {
    /// One broken rule of a layer's settings: the setting's key path below the layer
    /// (`cache.ttl`), what is wrong, and how to fix it.
    struct Violation: Sendable, Hashable {
        var key: String
        var message: String
        var hint: String? = nil
    }

    /// The bounds of the numeric settings, shared by the file, environment overrides and
    /// settings built in code.
    enum Bounds {
        static let concurrency = 1...1024
        static let cacheMaxEntries = 0...10_000_000
        static let retryMaxAttempts = 1...100
        static let retryMultiplier = 1.0...10.0
        static let breakerFailureRate = 1.0...100.0
        static let breakerMinimumCalls = 1...1_000_000
        static let breakerHalfOpenCalls = 1...1000
    }

    /// Every rule a layer's settings must keep, whoever set them (the YAML decoder, an
    /// environment override, or a library user building ``LayerSettings`` in code): the
    /// settings the layer accepts, ranges, minimum durations, id and version grammars, and a
    /// `file_mode` that grants access to others only with `allow_world_readable: true`.
    ///
    /// The decoder parses each value's syntax (a whole number, a duration) and leaves these
    /// rules to this one place.
    ///
    /// - Parameter layer: the layer the settings are in (which keys it accepts).
    /// - Returns: the broken rules, in the order of the README's key list (empty when valid).
    func violations(in layer: ConfigurationDecoder.Layer) -> [Violation] {
        var found: [Violation] = []
        // The settings this value sets, by their key in the file, for the layer check.
        var keys: [String] = []
        func set(_ key: String, _ isSet: Bool) { if isSet { keys.append(key) } }
        set("credentials", credentials != nil)
        set("endpoint", endpoint != nil)
        set("location", location != nil)
        set("quota_project", quotaProject != nil)
        set("timeout", timeout != nil)
        set("deadline", deadline != nil)
        set("concurrency", concurrency != nil)
        set("cache", cacheTTL != nil || cacheMaxEntries != nil || cacheMaxStale != nil)
        set(
            "retry",
            retryMaxAttempts != nil || retryInitialBackoff != nil || retryMaxBackoff != nil || retryMultiplier != nil)
        set(
            "circuit_breaker",
            breakerFailureRateThreshold != nil || breakerMinimumCalls != nil || breakerWindow != nil
                || breakerHalfOpenCalls != nil || breakerRecoveryTimeout != nil)
        set("file_mode", fileMode != nil)
        set("allow_world_readable", allowWorldReadable != nil)
        set("version", version != nil)
        set("watch", watch != WatchLayerSettings())
        set("tls", tlsCAFile != nil)
        for key in keys where !layer.settingKeys.contains(key) {
            found.append(Violation(key: key, message: "\"\(key)\" cannot be set here: \(layer.misplaced[key] ?? "")"))
        }
        // One cache serves every environment of a process, so only the defaults size it.
        if cacheMaxEntries != nil, layer != .global, layer.settingKeys.contains("cache") {
            found.append(
                Violation(
                    key: "cache.max_entries",
                    message: "\"cache.max_entries\" cannot be set here: one cache serves every environment, "
                        + "so its size is set once, under defaults"))
        }

        func minimum(_ key: String, _ value: Duration?, _ minimum: Duration) {
            if let value, let message = ConfigurationRules.durationBelow(minimum, value) {
                found.append(Violation(key: key, message: message))
            }
        }
        func within<Value: Comparable>(_ key: String, _ value: Value?, _ range: ClosedRange<Value>, text: (Value) -> String) {
            if let value, !range.contains(value) {
                found.append(Violation(key: key, message: ConfigurationRules.outOfRange(text(value), range)))
            }
        }
        func token(_ key: String, _ text: String?, _ rule: ConfigurationRules.Token) {
            if let text, let violation = rule.violation(text) {
                found.append(Violation(key: key, message: violation))
            }
        }
        if let endpoint, let problem = ConfigurationRules.endpointProblem(endpoint) {
            found.append(Violation(key: "endpoint", message: problem.message, hint: problem.hint))
        }
        token("location", location, .location)
        token("quota_project", quotaProject, .projectID)
        minimum("timeout", timeout, .milliseconds(1))
        minimum("deadline", deadline, .milliseconds(1))
        within("concurrency", concurrency, Bounds.concurrency, text: { String($0) })
        token("version", version, .version)
        if let fileMode, fileMode.grantsAccessToOthers, allowWorldReadable != true {
            let problem = ConfigurationRules.worldReadable(fileMode)
            found.append(Violation(key: "file_mode", message: problem.message, hint: problem.hint))
        }
        minimum("cache.ttl", cacheTTL, .zero)
        within("cache.max_entries", cacheMaxEntries, Bounds.cacheMaxEntries, text: { String($0) })
        minimum("cache.max_stale", cacheMaxStale, .zero)
        within("retry.max_attempts", retryMaxAttempts, Bounds.retryMaxAttempts, text: { String($0) })
        minimum("retry.initial_backoff", retryInitialBackoff, .zero)
        minimum("retry.max_backoff", retryMaxBackoff, .zero)
        within("retry.multiplier", retryMultiplier, Bounds.retryMultiplier, text: ConfigurationRules.number)
        if let rate = breakerFailureRateThreshold, !Bounds.breakerFailureRate.contains(rate) {
            found.append(
                Violation(
                    key: "circuit_breaker.failure_rate_threshold",
                    message: "\(ConfigurationRules.number(rate))% is out of range; expected 1% to 100%"))
        }
        within(
            "circuit_breaker.minimum_calls", breakerMinimumCalls, Bounds.breakerMinimumCalls, text: { String($0) })
        minimum("circuit_breaker.window", breakerWindow, .seconds(1))
        within(
            "circuit_breaker.half_open_calls", breakerHalfOpenCalls, Bounds.breakerHalfOpenCalls, text: { String($0) })
        minimum("circuit_breaker.recovery_timeout", breakerRecoveryTimeout, .milliseconds(1))
        if case .some(.some(let interval)) = watch.pollInterval {
            minimum("watch.poll_interval", interval, .seconds(1))
        }
        minimum("watch.poll_jitter", watch.pollJitter, .zero)
        minimum("watch.debounce", watch.debounce, .zero)
        minimum("watch.splay", watch.splay, .zero)
        minimum("watch.child.grace_period", watch.childGracePeriod, .zero)
        return found
    }
}

/// The value rules the configuration's decoder and its validating initializers share:
/// each returns what is wrong, as the message of a ``ConfigurationError``.
enum ConfigurationRules {
    /// A string setting's grammar, with the words its message uses.
    struct Token: Sendable {
        var what: String
        var expected: String
        var valid: @Sendable (String) -> Bool

        /// `"x" is not a valid <what>: expected <expected>`, or `nil` when valid.
        func violation(_ text: String) -> String? {
            valid(text) ? nil : "\(ConfigurationRules.quoted(text)) is not a valid \(what): expected \(expected)"
        }

        static let location = Token(
            what: "location",
            expected: "a Google Cloud region such as europe-west1 (lowercase letters, digits and '-')",
            valid: ConfigurationDecoder.isValidLocation)
        static let projectID = Token(
            what: "project id",
            expected: "a Google Cloud project id (6 to 30 lowercase letters, digits and '-', starting with a letter "
                + "and not ending with '-', optionally after a domain and ':' as in example.com:my-project) "
                + "or a project number (a positive integer without leading zeros)",
            valid: ConfigurationDecoder.isValidProjectID)
        static let version = Token(
            what: "secret version",
            expected: "a positive version number, latest, or an alias such as prod (a letter, then at most 62 letters, digits, '_' or '-'; not new)",
            valid: SecretReference.isValidVersion)
        static let secretID = Token(
            what: "secret id", expected: "1 to 255 letters, digits, '_' or '-'", valid: SecretReference.isValidSecretID)
        static func name(_ what: String) -> Token {
            Token(what: what, expected: "letters, digits, '_', '-' and '.'", valid: SecretReference.isValidComponent)
        }
    }

    /// `N is out of range; expected A to B`.
    static func outOfRange<Value: Comparable>(_ text: String, _ range: ClosedRange<Value>) -> String {
        "\(text) is out of range; expected \(range.lowerBound) to \(range.upperBound)"
    }

    /// `the duration must be at least D`, or `nil`.
    static func durationBelow(_ minimum: Duration, _ value: Duration) -> String? {
        value >= minimum ? nil : "the duration must be at least \(DurationSyntax.format(minimum))"
    }

    /// A file mode granting access to others without `allow_world_readable: true`.
    static func worldReadable(_ mode: FileMode) -> (message: String, hint: String) {
        (
            "file mode \(mode) grants access to other users",
            "Use a mode such as \"0600\" or \"0640\", or add allow_world_readable: true beside it if that is really intended."
        )
    }

    /// `endpoint`: an `https://` (or, for local emulators, `http://`) base URL with a host
    /// and nothing after it (the decoder strips trailing `/` first); `nil` when valid.
    static func endpointProblem(_ text: String) -> (message: String, hint: String?)? {
        let shown = ConfigurationRules.quoted(SecretManagerEndpoint.redacted(text))
        guard let rest = afterHTTPScheme(text) else {
            return (
                "endpoint \(shown) is not an http(s) URL",
                "Write a base URL such as https://secretmanager.googleapis.com."
            )
        }
        guard !rest.isEmpty, !rest.contains(where: { $0 == "/" || $0 == "?" || $0 == "#" || $0 == " " }) else {
            return ("endpoint \(shown) must be a scheme and host (with an optional port) and nothing else", nil)
        }
        // The checks made before each request (host, port range, user information), so a
        // bad endpoint is refused here, at its line, and not at the first access.
        do {
            try SecretManagerEndpoint.validate(text, what: "endpoint \(shown)", requirePort: false)
        } catch {
            return ((error as? ConfigurationError)?.message ?? "endpoint \(shown) is not a usable address", nil)
        }
        return nil
    }

    /// What follows `https://` or `http://` in `text`, or `nil` when it starts with neither
    /// (RFC 3986 §3.1 makes schemes case-insensitive and their canonical form lowercase; the
    /// configuration asks for the canonical form).
    static func afterHTTPScheme(_ text: String) -> Substring? {
        for scheme in ["https://", "http://"] where text.hasPrefix(scheme) {
            return text.dropFirst(scheme.count)
        }
        return nil
    }

    /// A number as the configuration writes it: `2` rather than `2.0`.
    /// The longest text an error quotes whole, in characters.
    static let quotedLimit = 80

    /// `"text"` for an error message; a longer text is cut after ``quotedLimit`` characters
    /// and says how long it is (`"aaaa…" (100000 characters)`), so a pasted blob or a
    /// mistaken variable does not fill the terminal.
    static func quoted(_ text: String) -> String {
        guard text.count > quotedLimit else { return "\"\(text)\"" }
        return "\"\(text.prefix(quotedLimit))…\" (\(text.count) characters)"
    }

    static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
    }
}
