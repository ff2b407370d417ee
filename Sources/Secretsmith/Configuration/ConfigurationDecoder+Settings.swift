import YAML

extension ConfigurationDecoder {
    /// The four layers and the setting keys each accepts.
    enum Layer {
        case global, environment, project, secret

        /// Setting keys accepted in this layer (structural keys such as `projects` are
        /// added by the caller).
        var settingKeys: [String] {
            switch self {
            case .global, .environment:
                ["credentials", "endpoint", "location", "quota_project", "timeout", "deadline", "concurrency", "cache",
                 "retry", "circuit_breaker", "file_mode", "allow_world_readable", "version", "watch", "tls"]
            case .project:
                ["credentials", "endpoint", "location", "quota_project", "timeout", "cache", "retry", "circuit_breaker",
                 "version"]
            case .secret:
                ["version", "timeout", "cache", "retry"]
            }
        }

        var name: String {
            switch self {
            case .global: "defaults"
            case .environment: "an environment"
            case .project: "a project"
            case .secret: "a secret"
            }
        }

        /// For a setting key this layer refuses: where it can be set instead.
        var misplaced: [String: String] {
            var result: [String: String] = [:]
            for key in Layer.global.settingKeys where !settingKeys.contains(key) {
                let layers = [Layer.global, .environment, .project, .secret].filter { $0.settingKeys.contains(key) }
                result[key] = "it is not a setting of \(name); set it in \(layers.map(\.name).joined(separator: " or "))"
            }
            return result
        }
    }

    /// Reads the setting keys of one layer from already-checked fields.
    func settings(from fields: Fields, layer: Layer) throws(ConfigurationError) -> LayerSettings {
        var settings = LayerSettings()
        try applySettings(from: fields, layer: layer, to: &settings)
        return settings
    }

    /// Sets the settings that `fields` hold on `settings`, leaving every other one as it is
    /// (a nested key such as `cache.ttl` replaces only that leaf), then checks the result
    /// against ``LayerSettings/violations(in:)``: the file's layers start empty, and
    /// environment overrides apply over the file's values (see ``EnvironmentOverrides``).
    ///
    /// - Throws: the first syntax error, else the first broken rule, located at the value
    ///   that broke it.
    func applySettings(from fields: Fields, layer: Layer, to settings: inout LayerSettings) throws(ConfigurationError) {
        try readSettings(from: fields, to: &settings)
        if let violation = settings.violations(in: layer).first {
            var node: YAMLNode? = fields.node
            for key in violation.key.split(separator: ".") {
                node = node?[String(key)]
            }
            throw failure(
                violation.message, at: node ?? fields.node, path: fields.path.key(violation.key), hint: violation.hint)
        }
    }

    /// The one table of setting keys: parses the syntax of each value `fields` holds (a
    /// duration, a whole number) into `settings`; the rules are ``LayerSettings/violations(in:)``.
    func readSettings(from fields: Fields, to settings: inout LayerSettings) throws(ConfigurationError) {
        let path = fields.path
        if let node = fields["credentials"] {
            settings.credentials = try credentials(node, at: path.key("credentials"))
        }
        if let node = fields["endpoint"] {
            settings.endpoint = try endpoint(node, at: path.key("endpoint"))
        }
        if let node = fields["tls"] {
            let tlsPath = path.key("tls")
            let tls = try self.fields(node, at: tlsPath, allowed: ["ca_file"])
            if let node = tls["ca_file"] {
                settings.tlsCAFile = try certificateFile(node, at: tlsPath.key("ca_file"))
            }
        }
        if let node = fields["location"] {
            settings.location = try nonEmptyString(node, at: path.key("location"))
        }
        if let node = fields["quota_project"] {
            settings.quotaProject = try nonEmptyString(node, at: path.key("quota_project"))
        }
        if let node = fields["timeout"] {
            settings.timeout = try duration(node, at: path.key("timeout"))
        }
        if let node = fields["deadline"] {
            settings.deadline = try duration(node, at: path.key("deadline"))
        }
        if let node = fields["concurrency"] {
            settings.concurrency = try int(node, at: path.key("concurrency"))
        }
        if let node = fields["version"] {
            settings.version = try nonEmptyString(node, at: path.key("version"))
        }
        if let node = fields["allow_world_readable"] {
            settings.allowWorldReadable = try bool(node, at: path.key("allow_world_readable"))
        }
        if let node = fields["file_mode"] {
            settings.fileMode = try fileMode(node, at: path.key("file_mode"))
        }
        if let node = fields["watch"] {
            try watch(node, at: path.key("watch"), into: &settings.watch)
        }
        if let node = fields["cache"] {
            let cachePath = path.key("cache")
            let cache = try self.fields(node, at: cachePath, allowed: ["ttl", "max_entries", "max_stale"])
            if let node = cache["ttl"] {
                settings.cacheTTL = try duration(node, at: cachePath.key("ttl"))
            }
            if let node = cache["max_entries"] {
                settings.cacheMaxEntries = try int(node, at: cachePath.key("max_entries"))
            }
            if let node = cache["max_stale"] {
                settings.cacheMaxStale = try duration(node, at: cachePath.key("max_stale"))
            }
        }
        if let node = fields["retry"] {
            let retryPath = path.key("retry")
            let retry = try self.fields(
                node, at: retryPath, allowed: ["max_attempts", "initial_backoff", "max_backoff", "multiplier"]
            )
            if let node = retry["max_attempts"] {
                settings.retryMaxAttempts = try int(node, at: retryPath.key("max_attempts"))
            }
            if let node = retry["initial_backoff"] {
                settings.retryInitialBackoff = try duration(node, at: retryPath.key("initial_backoff"))
            }
            if let node = retry["max_backoff"] {
                settings.retryMaxBackoff = try duration(node, at: retryPath.key("max_backoff"))
            }
            if let node = retry["multiplier"] {
                settings.retryMultiplier = try double(node, at: retryPath.key("multiplier"))
            }
        }
        if let node = fields["circuit_breaker"] {
            let breakerPath = path.key("circuit_breaker")
            let breaker = try self.fields(
                node, at: breakerPath,
                allowed: [
                    "failure_rate_threshold", "minimum_calls", "window", "recovery_timeout", "half_open_calls",
                    "failure_threshold",
                ])
            if let node = breaker["failure_rate_threshold"] {
                settings.breakerFailureRateThreshold = try percentage(node, at: breakerPath.key("failure_rate_threshold"))
            }
            if let node = breaker["minimum_calls"] {
                settings.breakerMinimumCalls = try int(node, at: breakerPath.key("minimum_calls"))
            }
            if let node = breaker["window"] {
                settings.breakerWindow = try duration(node, at: breakerPath.key("window"))
            }
            if let node = breaker["half_open_calls"] {
                settings.breakerHalfOpenCalls = try int(node, at: breakerPath.key("half_open_calls"))
            }
            // `failure_threshold: N` (consecutive failures, before the breaker judged a
            // rate) stays accepted as an alias: N accesses in the window, all failed.
            if let node = breaker["failure_threshold"] {
                let aliasPath = breakerPath.key("failure_threshold")
                let count = try int(node, at: aliasPath, in: LayerSettings.Bounds.breakerMinimumCalls)
                if breaker["failure_rate_threshold"] != nil || breaker["minimum_calls"] != nil {
                    throw failure(
                        "failure_threshold cannot be combined with failure_rate_threshold or minimum_calls",
                        at: node, path: aliasPath,
                        hint: "failure_threshold: \(count) is an alias of failure_rate_threshold: 100% with "
                            + "minimum_calls: \(count); keep only the rate settings.")
                }
                let alias = CircuitBreakerPolicy.failureThreshold(count)
                settings.breakerFailureRateThreshold = alias.failureRateThreshold
                settings.breakerMinimumCalls = alias.minimumCalls
            }
            if let node = breaker["recovery_timeout"] {
                settings.breakerRecoveryTimeout = try duration(node, at: breakerPath.key("recovery_timeout"))
            }
        }
    }

    /// A percentage, written `50%` or `50` (its range is a rule of the setting).
    func percentage(_ node: YAMLNode, at path: ConfigPath) throws(ConfigurationError) -> Double {
        let text = try string(node, at: path)
        let number = text.hasSuffix("%") ? String(text.dropLast()) : text
        guard let value = Double(number), value.isFinite, !number.isEmpty,
            number.utf8.allSatisfy({ ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9")) || $0 == UInt8(ascii: ".") })
        else {
            throw failure("\(ConfigurationRules.quoted(text)) is not a percentage", at: node, path: path, hint: "Write a percentage such as 50%.")
        }
        return value
    }

    /// `endpoint`: an `https://` (or, for local emulators, `http://`) base URL with a host
    /// and nothing after it but an optional `/`.
    func endpoint(_ node: YAMLNode, at path: ConfigPath) throws(ConfigurationError) -> String {
        var text = try nonEmptyString(node, at: path)
        // Trailing slashes, but not those of the scheme (`https://` stays itself in errors).
        while text.hasSuffix("/"), ConfigurationRules.afterHTTPScheme(text)?.isEmpty == false { text.removeLast() }
        if let problem = ConfigurationRules.endpointProblem(text) {
            throw failure(problem.message, at: node, path: path, hint: problem.hint)
        }
        return text
    }

    /// `project_id`, `quota_project`: a Google Cloud project id, a domain-scoped id, or a
    /// project number (see ``isValidProjectID(_:)``).
    func projectID(_ node: YAMLNode, at path: ConfigPath) throws(ConfigurationError) -> String {
        try token(node, at: path, rule: .projectID)
    }

    /// Google's project id grammar, from the Resource Manager documentation
    /// (<https://cloud.google.com/resource-manager/docs/creating-managing-projects>):
    /// 6 to 30 characters `[a-z][-a-z0-9]*[a-z0-9]`; a domain-scoped id puts a domain
    /// (`example.com`: dot-separated labels of lowercase letters, digits and `-`) and `:`
    /// before it. A project number is a positive 64-bit integer written without leading
    /// zeros: the Resource Manager API types `projectNumber` as int64
    /// (<https://cloud.google.com/resource-manager/reference/rest/v1/projects>), and Service
    /// Control uses 0 for "no project number"
    /// (<https://cloud.google.com/service-infrastructure/docs/service-control/reference/rest/v1/services/check>),
    /// so `0` and `000000000001` name no project.
    static func isValidProjectID(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        func isLower(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z") }
        func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
        if !bytes.isEmpty, bytes.allSatisfy(isDigit) {
            return bytes[0] != UInt8(ascii: "0") && Int64(text) != nil
        }
        var id = bytes[...]
        if let colon = bytes.firstIndex(of: UInt8(ascii: ":")) {
            let domain = bytes[..<colon]
            id = bytes[(colon + 1)...]
            guard domain.count <= 253 else { return false }
            let labels = domain.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
            guard labels.count >= 2 else { return false }
            for label in labels {
                guard let first = label.first, let last = label.last, label.count <= 63,
                      isLower(first) || isDigit(first), isLower(last) || isDigit(last),
                      label.allSatisfy({ isLower($0) || isDigit($0) || $0 == UInt8(ascii: "-") })
                else { return false }
            }
        }
        guard id.count >= 6, id.count <= 30, let first = id.first, let last = id.last, isLower(first),
              isLower(last) || isDigit(last),
              id.allSatisfy({ isLower($0) || isDigit($0) || $0 == UInt8(ascii: "-") })
        else { return false }
        return true
    }

    /// Lowercase letters, digits and `-`, at most 63 characters.
    static func isValidLocation(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.count <= 63 && text.utf8.allSatisfy {
            ($0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z")) || ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9"))
                || $0 == UInt8(ascii: "-")
        }
    }
}
