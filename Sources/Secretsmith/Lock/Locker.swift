/// Resolves the references of a plan to the version numbers they name right now, for
/// `secretsmith lock`.
///
/// Each distinct version is looked up once with `GetSecretVersion` (metadata only: the
/// lock needs `secretmanager.versions.get`, never a payload). Secret Manager answers
/// `latest` and aliases with the resolved version's `name`, whose last component is the
/// number
/// (<https://cloud.google.com/secret-manager/docs/reference/rest/v1/projects.secrets.versions/get>).
public struct Locker: Sendable {
    public let manager: MultiEnvironmentSecretManager

    public init(manager: MultiEnvironmentSecretManager) {
        self.manager = manager
    }

    /// One pin per distinct version of the plan.
    ///
    /// - Returns: the pins, in file order.
    /// - Throws: ``RenderFailure`` naming every reference (at each site) whose version does
    ///   not exist (``SecretManagerError``, exit 66), is not ENABLED
    ///   (``VersionStateError``, exit 66: a pin to it could never be read), or could not be
    ///   looked up; nothing is pinned then.
    public func pins(for plan: RenderPlan) async throws -> [LockPin] {
        let secrets = plan.distinctSecrets
        var pins: [LockPin] = []
        var failures: [RenderPlan.FetchKey: any SecretsmithError] = [:]
        await withTaskGroup(of: (RenderPlan.FetchKey, Result<LockPin, any Error>).self) { group in
            for (key, secret) in secrets {
                group.addTask {
                    do {
                        let metadata = try await manager.metadata(secret)
                        guard let number = metadata.versionNumber else {
                            throw SecretManagerError(
                                code: .invalidResponse, resource: secret.versionName, httpStatus: 200,
                                message: "the version's name \"\(metadata.name)\" does not end in a version number")
                        }
                        guard metadata.state == .enabled else {
                            throw VersionStateError(resource: secret.versionName, version: number, state: metadata.state)
                        }
                        let pin = LockPin(
                            environment: secret.environment, resource: secret.versionName, version: number,
                            name: metadata.name, etag: metadata.etag)
                        return (key, .success(pin))
                    } catch {
                        return (key, .failure(error))
                    }
                }
            }
            for await (key, result) in group {
                switch result {
                case .success(let pin): pins.append(pin)
                case .failure(let error): failures[key] = UnexpectedError.wrap(error)
                }
            }
        }
        guard failures.isEmpty else {
            var problems: [RenderProblem] = []
            for output in plan.outputs {
                for reference in output.references {
                    if let error = failures[reference.fetchKey] {
                        problems.append(RenderProblem(site: reference.site, reference: reference.text, error: error))
                    }
                }
            }
            throw RenderFailure(problems: problems)
        }
        return pins.sorted(by: LockPin.fileOrder)
    }
}
