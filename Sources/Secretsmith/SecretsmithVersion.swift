/// The secretsmith release, reported by `secretsmith version` and in the `User-Agent`.
public enum SecretsmithVersion {
    /// Semantic version of this build.
    public static let current = "0.1.0"
}
