extension SecretEvent {
    /// Whether this event may change what an access of `versionName` returns, so that a
    /// cached copy must be dropped or a rendered output refreshed.
    ///
    /// - Parameter versionName: `projects/P[/locations/L]/secrets/S/versions/V` as requested,
    ///   V a number, `latest` or an alias.
    /// - Returns: `true` when the secret matches and
    ///   - V is `latest`: any version event (a version added, enabled, disabled, destroyed or
    ///     scheduled for destruction changes which version is the newest enabled one);
    ///   - V is an alias: any version event (the aliased version may have been disabled or
    ///     destroyed) or `SECRET_UPDATE` (aliases move there);
    ///   - V is a number: a version event naming that version (or naming none);
    ///   - any V: `SECRET_DELETE`.
    ///
    ///   `SECRET_CREATE`, `SECRET_ROTATE` (a reminder; Secret Manager adds no version),
    ///   `TOPIC_CONFIGURED`, unknown types and irrelevant events affect nothing.
    ///
    /// The secret matches when the secret id and location are equal and the projects are
    /// equal or, when exactly one of the two names the project by number (Google's events
    /// name it by number, configurations usually by id), whatever the other says: dropping a
    /// few extra cache entries costs a fetch, keeping a changed one would serve stale bytes.
    package func affects(versionName: String) -> Bool {
        guard isRelevant, let secret, let parsed = SecretResourceName.parse(versionName),
            let version = parsed.version, Self.sameSecret(secret, parsed.secret)
        else { return false }
        switch type {
        case .secretDelete:
            return true
        case .secretUpdate:
            return !Self.isLatest(version) && Int(version) == nil
        case .versionAdd, .versionEnable, .versionDisable, .versionDestroy, .versionDestroyScheduled:
            if let number = Int(version) { return versionNumber == nil || versionNumber == number }
            return true
        case .secretCreate, .secretRotate, .topicConfigured, .unknown:
            return false
        }
    }

    private static func isLatest(_ version: String) -> Bool { version == "latest" }

    private static func sameSecret(_ a: SecretResourceName, _ b: SecretResourceName) -> Bool {
        guard a.secret == b.secret, a.location == b.location else { return false }
        if a.project == b.project { return true }
        return (a.projectNumber != nil) != (b.projectNumber != nil)
    }
}
