import Synchronization

/// The effective settings of each (environment, project, declared secret) a configuration has
/// resolved, so that resolving a reference on a hot path (every request of `serve`, every
/// placeholder of a render) does not walk the four layers again.
///
/// Thread-safe; shared by copies of the ``Configuration`` that owns it. Its size is bounded by
/// the number of declared secrets plus one entry per project for undeclared ones.
final class ResolvedSettingsMemo: Sendable {
    struct Key: Hashable, Sendable {
        var environment: String
        var project: String
        /// The declared secret's name; `nil` for undeclared secrets (no secret layer).
        var declaredSecret: String?
    }

    private let entries = Mutex<[Key: EffectiveSettings]>([:])

    /// The memoized settings for `key`, computing and storing them with `resolve` on first use.
    func settings(for key: Key, resolve: () -> EffectiveSettings) -> EffectiveSettings {
        if let known = entries.withLock({ $0[key] }) { return known }
        let settings = resolve()
        entries.withLock { $0[key] = settings }
        return settings
    }
}
