/// Picks each setting from the nearest layer that sets it, recording where it came from.
struct LayerResolver {
    /// Nearest first: secret, project, environment, global.
    let layers: [(layer: SettingLayer, settings: LayerSettings)]
    private var origins: [String: SettingLayer] = [:]
    private var variables: [String: String] = [:]

    init(layers: [(layer: SettingLayer, settings: LayerSettings)]) {
        self.layers = layers
    }

    /// The nearest layer's value of one setting, or `builtIn` (origin `.builtIn`).
    private mutating func pick<Value>(_ name: String, _ keyPath: KeyPath<LayerSettings, Value?>, default builtIn: Value) -> Value {
        pickOptional(name, keyPath) ?? builtIn
    }

    /// The nearest layer's value of an optional setting, or `nil` (origin `.builtIn`).
    private mutating func pickOptional<Value>(_ name: String, _ keyPath: KeyPath<LayerSettings, Value?>) -> Value? {
        for (layer, settings) in layers {
            if let value = settings[keyPath: keyPath] {
                origins[name] = layer
                variables[name] = settings.environmentVariables[name]
                return value
            }
        }
        origins[name] = .builtIn
        return nil
    }

    /// The `watch:` settings, each from the nearest layer that sets it.
    private mutating func resolveWatch() -> WatchSettings {
        let builtIn = WatchSettings()
        var watch = builtIn
        // `subscription` and `poll_interval` can be switched off in a nearer layer (`off`).
        watch.subscription = pickOptional("watch.subscription", \.watch.subscription) ?? builtIn.subscription
        watch.pollInterval = pickOptional("watch.poll_interval", \.watch.pollInterval) ?? builtIn.pollInterval
        watch.pollJitter = pickOptional("watch.poll_jitter", \.watch.pollJitter)
        watch.checkPinned = pick("watch.check_pinned", \.watch.checkPinned, default: builtIn.checkPinned)
        watch.debounce = pick("watch.debounce", \.watch.debounce, default: builtIn.debounce)
        watch.splay = pick("watch.splay", \.watch.splay, default: builtIn.splay)
        watch.childOnChange = pick("watch.child.on_change", \.watch.childOnChange, default: builtIn.childOnChange)
        watch.childSignal = pick("watch.child.signal", \.watch.childSignal, default: builtIn.childSignal)
        watch.childStopSignal = pick("watch.child.stop_signal", \.watch.childStopSignal, default: builtIn.childStopSignal)
        watch.childGracePeriod = pick(
            "watch.child.grace_period", \.watch.childGracePeriod, default: builtIn.childGracePeriod)
        return watch
    }

    /// Resolves every setting. When a `location` is set and the endpoint is Google's global
    /// one, the endpoint becomes the region's (a regional secret is reachable only there,
    /// <https://cloud.google.com/secret-manager/regional-secrets/regional-secrets-overview>), with
    /// the location's origin.
    mutating func resolve() -> EffectiveSettings {
        let defaultCache = CachePolicy(), defaultRetry = RetryPolicy(), defaultBreaker = CircuitBreakerPolicy()
        let cache = CachePolicy(
            ttl: pick("cache.ttl", \.cacheTTL, default: defaultCache.ttl),
            maxEntries: pick("cache.max_entries", \.cacheMaxEntries, default: defaultCache.maxEntries),
            maxStale: pick("cache.max_stale", \.cacheMaxStale, default: defaultCache.maxStale)
        )
        let retry = RetryPolicy(
            maxAttempts: pick("retry.max_attempts", \.retryMaxAttempts, default: defaultRetry.maxAttempts),
            initialBackoff: pick("retry.initial_backoff", \.retryInitialBackoff, default: defaultRetry.initialBackoff),
            maxBackoff: pick("retry.max_backoff", \.retryMaxBackoff, default: defaultRetry.maxBackoff),
            multiplier: pick("retry.multiplier", \.retryMultiplier, default: defaultRetry.multiplier)
        )
        let breaker = CircuitBreakerPolicy(
            failureRateThreshold: pick(
                "circuit_breaker.failure_rate_threshold", \.breakerFailureRateThreshold,
                default: defaultBreaker.failureRateThreshold
            ),
            minimumCalls: pick(
                "circuit_breaker.minimum_calls", \.breakerMinimumCalls, default: defaultBreaker.minimumCalls
            ),
            window: pick("circuit_breaker.window", \.breakerWindow, default: defaultBreaker.window),
            recoveryTimeout: pick(
                "circuit_breaker.recovery_timeout", \.breakerRecoveryTimeout, default: defaultBreaker.recoveryTimeout
            ),
            halfOpenCalls: pick(
                "circuit_breaker.half_open_calls", \.breakerHalfOpenCalls, default: defaultBreaker.halfOpenCalls
            )
        )
        let location = pickOptional("location", \.location)
        var endpoint = pick("endpoint", \.endpoint, default: SecretConfig.globalEndpoint)
        if let location, endpoint == SecretConfig.globalEndpoint {
            endpoint = "https://secretmanager.\(location).rep.googleapis.com"
            origins["endpoint"] = origins["location"]
            variables["endpoint"] = variables["location"]
        }
        let credentials = pick("credentials", \.credentials, default: CredentialsConfiguration.applicationDefault)
        let timeout = pick("timeout", \.timeout, default: Duration.seconds(10))
        let concurrency = pick("concurrency", \.concurrency, default: EffectiveSettings.defaultConcurrency)
        let fileMode = pick("file_mode", \.fileMode, default: FileMode.ownerReadWrite)
        let version = pick("version", \.version, default: "latest")
        let quotaProject = pickOptional("quota_project", \.quotaProject)
        let deadline = pickOptional("deadline", \.deadline)
        let tlsCAFile = pickOptional("tls.ca_file", \.tlsCAFile)
        let watch = resolveWatch()
        return EffectiveSettings(
            credentials: credentials, endpoint: endpoint, timeout: timeout, concurrency: concurrency, cache: cache,
            retry: retry, circuitBreaker: breaker, fileMode: fileMode, version: version, location: location,
            quotaProject: quotaProject, origins: origins, environmentVariables: variables, deadline: deadline,
            watch: watch, tlsCAFile: tlsCAFile
        )
    }
}
