/// A view of a ``MultiEnvironmentSecretManager`` bound to one environment: it shares the
/// manager's cache, breakers and connection pool, and can only reach the environment's own
/// declared projects.
///
/// Every access resolves in ``environment``, whatever `SECRETSMITH_ENV` or an enclosing
/// ``MultiEnvironmentSecretManager/withEnvironment(_:operation:)`` says; the manager it
/// reads through is not reachable from it, so code handed this view cannot leave its
/// environment.
///
/// Obtain one with ``MultiEnvironmentSecretManager/environmentManager(for:)``.
public struct EnvironmentSpecificSecretManager: Sendable {
    /// The manager this view reads through (not exposed).
    private let manager: MultiEnvironmentSecretManager
    /// The environment every access is made in.
    public let environment: String

    init(manager: MultiEnvironmentSecretManager, environment: String) {
        self.manager = manager
        self.environment = environment
    }

    /// Accesses a secret of one of the environment's projects.
    ///
    /// - Parameters:
    ///   - project: the project's alias under `projects:` (not the Google Cloud project id).
    ///   - secret: the secret's name under `secrets:` (or any valid secret id when the
    ///     project sets `allow_undeclared: true`).
    ///   - version: a version number, `latest` or an alias; `nil` takes the version the
    ///     configuration's layers set, else `latest`.
    /// - Returns: the payload.
    /// - Throws: as ``MultiEnvironmentSecretManager/accessSecretVersion(_:)-(SecretReference)``.
    public func accessSecret(project: String, secret: String, version: String? = nil) async throws -> SecretValue {
        let reference = SecretReference(
            environment: environment, project: project, secret: secret, version: version, pointer: nil)
        return try await manager.accessSecretVersion(reference, activeEnvironment: environment)
    }

    /// Accesses a reference relative to this environment (`PROJECT/SECRET[@V][#POINTER]`).
    /// A reference that names an environment must name this one.
    ///
    /// - Throws: ``ConfigurationError`` for a reference into another environment, else as
    ///   ``MultiEnvironmentSecretManager/accessSecretVersion(_:)-(SecretReference)``.
    public func accessSecretVersion(_ reference: String) async throws -> SecretValue {
        var parsed = try SecretReference.parse(reference)
        if let named = parsed.environment, named != environment {
            throw ConfigurationError.crossEnvironmentReference(parsed, activeEnvironment: environment)
        }
        parsed.environment = environment
        return try await manager.accessSecretVersion(parsed, activeEnvironment: environment)
    }
}
