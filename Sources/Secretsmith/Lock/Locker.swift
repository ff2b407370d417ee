/// Resolves the references of a plan to the version numbers they name right now, for
/// `secretsmith lock`.
///
/// Each distinct version is looked up once with `GetSecretVersion` (metadata only: the
/// lock needs `secretmanager.versions.get`, never a payload). Secret Manager answers
/// `latest` and aliases with the resolved version's `name`, whose last component is the
/// number
/// (<https://cloud.google.com/secret-manager/docs/reference/rest/v1/projects.secrets.versions/get>).
package struct Locker: Sendable {
    package let manager: MultiEnvironmentSecretManager

    package init(manager: MultiEnvironmentSecretManager) {
        self.manager = manager
    }

    /// One pin per distinct version of the plan, looked up concurrently
    /// (``VersionFanOut``).
    ///
    /// - Parameter deadline: the time allowed for every lookup; `nil` means no limit.
    /// - Returns: the pins, in file order.
    /// - Throws: ``RenderFailure`` naming every reference (at each site) whose version does
    ///   not exist (``SecretManagerError``, exit 66), is not ENABLED
    ///   (``VersionStateError``, exit 66: a pin to it could never be read), or could not be
    ///   looked up; nothing is pinned then. ``DeadlineExceededError`` when the deadline
    ///   passes first.
    package func pins(for plan: RenderPlan, deadline: Duration? = nil) async throws -> [LockPin] {
        let manager = self.manager
        let (pins, failures) = try await VersionFanOut(for: manager.configuration, deadline: deadline).run(
            plan.distinctSecrets
        ) { _, secret in
            let metadata = try await manager.metadata(secret)
            guard let number = metadata.versionNumber else {
                throw SecretManagerError(
                    code: .invalidResponse, resource: secret.versionName, httpStatus: 200,
                    message: "the version's name \"\(metadata.name)\" does not end in a version number")
            }
            guard metadata.state == .enabled else {
                throw VersionStateError(resource: secret.versionName, version: number, state: metadata.state)
            }
            return LockPin(
                environment: secret.environment, resource: secret.versionName, version: number,
                name: metadata.name, etag: metadata.etag)
        }
        guard failures.isEmpty else { throw RenderFailure(problems: plan.problems(at: failures)) }
        return pins.values.sorted(by: LockPin.fileOrder)
    }
}
