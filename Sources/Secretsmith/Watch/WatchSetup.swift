import Logging

extension WatchEngine {
    /// The `watch:` settings a run uses: the active environment's over `defaults:`
    /// (without an active environment, `defaults:`).
    package static func settings(in configuration: Configuration, environment: String?) -> WatchSettings {
        environment.flatMap { configuration.settings(forEnvironment: $0)?.watch } ?? configuration.defaults.watch
    }

    /// The Pub/Sub subscriptions of a run: the `watch.subscription` of every environment
    /// the selected outputs read from (and of the active one), each once, with a client
    /// that uses that environment's credentials and quota project; none when no
    /// environment names one.
    ///
    /// `PUBSUB_EMULATOR_HOST` in `processEnvironment` sends every call to that emulator,
    /// without credentials.
    ///
    /// - Throws: ``ConfigurationError`` for an invalid `PUBSUB_EMULATOR_HOST`;
    ///   ``AuthenticationError`` when the credentials cannot be set up.
    package static func sources(
        for plan: RenderPlan, activeEnvironment: String?, manager: MultiEnvironmentSecretManager,
        processEnvironment: [String: String], logger: Logger
    ) throws -> Sources {
        let configuration = manager.configuration
        var environments: [String] = []
        for name in [activeEnvironment].compactMap({ $0 }) + plan.outputs.flatMap({ $0.firstUses.map(\.secret.environment) })
        where !environments.contains(name) {
            environments.append(name)
        }
        var subscriptions: [(name: String, client: PubSubClient)] = []
        let endpoint = try PubSubEndpoint.resolve(environment: processEnvironment)
        for name in environments {
            guard let settings = configuration.settings(forEnvironment: name),
                let subscription = settings.watch.subscription,
                !subscriptions.contains(where: { $0.name == subscription })
            else { continue }
            let provider = endpoint.requiresCredentials
                ? try manager.accessTokenProvider(for: settings.credentials) : nil
            subscriptions.append(
                (
                    subscription,
                    PubSubClient(
                        httpClient: manager.httpClient, endpoint: endpoint, tokenProvider: provider,
                        quotaProject: settings.quotaProject, logger: logger, retry: settings.retry)
                ))
        }
        if environments.isEmpty, let subscription = configuration.defaults.watch.subscription {
            let provider = endpoint.requiresCredentials
                ? try manager.accessTokenProvider(for: configuration.defaults.credentials) : nil
            subscriptions.append(
                (
                    subscription,
                    PubSubClient(
                        httpClient: manager.httpClient, endpoint: endpoint, tokenProvider: provider,
                        quotaProject: configuration.defaults.quotaProject, logger: logger)
                ))
        }
        return Sources(subscriptions: subscriptions)
    }
}
