/// `secretsmith check`: validates everything a render would read, without writing
/// anything and, by default, without reading any payload.
///
/// 1. Plans the selected outputs collecting every problem: configuration references, every
///    error of every template (not only the first), unknown `--only` names.
/// 2. With `frozen`, replaces versions with the lock file's pins; a reference the lock does
///    not pin is a problem.
/// 3. Looks up each distinct version once with `GetSecretVersion` (exists, ENABLED), which
///    needs only `secretmanager.versions.get`. With `frozen`, also looks up what the
///    reference asks for now (`latest`, an alias) and warns about drift: a newer (or
///    different) version than the pinned one, an etag that changed.
/// 4. With `access`, also reads each ENABLED payload (CRC32C verified), evaluates JSON
///    pointers and renders every output in memory, so format problems (a NUL byte in a
///    dotenv value, a filter that cannot take its input) show up too. Nothing is printed
///    or written. Without `access`, an unset `env` variable is still found.
///
/// Every problem is reported, each with its position; the report's exit code is the most
/// severe error's (``FailureKind/severity``).
package struct Checker: Sendable {
    /// What to check.
    package struct Options: Sendable {
        /// The active environment (`--env`, `SECRETSMITH_ENV`).
        package var environment: String?
        /// Output names to select (`--only`); empty selects all.
        package var only: [String]
        /// Read payloads too (`--access`).
        package var access: Bool
        /// Check the lock file's versions and report drift (`--frozen`).
        package var frozen: Bool
        /// The longest the Secret Manager part may take (`--timeout`, `deadline:`).
        package var deadline: Duration?

        package init(environment: String?, only: [String] = [], access: Bool = false, frozen: Bool = false, deadline: Duration? = nil) {
            self.environment = environment
            self.only = only
            self.access = access
            self.frozen = frozen
            self.deadline = deadline
        }
    }

    package let manager: MultiEnvironmentSecretManager
    /// Looks up `<< env "NAME" >>` actions when rendering in memory (`access`).
    package let processEnvironment: [String: String]

    package init(manager: MultiEnvironmentSecretManager, processEnvironment: [String: String]) {
        self.manager = manager
        self.processEnvironment = processEnvironment
    }

    /// Runs the check. Never throws: every failure becomes a problem of the report.
    package func check(_ options: Options) async -> CheckReport {
        let configuration = manager.configuration
        var (plan, planProblems) = RenderPlan.collect(
            configuration: configuration, environment: options.environment, only: options.only,
            allTemplateProblems: true)
        var errors = planProblems.map { CheckProblem($0) }
        var pins: [RenderPlan.FetchKey: LockPin] = [:]
        if options.frozen {
            let lockPath = LockFile.path(for: configuration)
            do {
                if let lock = try LockFile.load(path: lockPath) {
                    let frozen = lock.freezeCollecting(plan, lockPath: lockPath)
                    plan = frozen.plan
                    pins = frozen.pins
                    planProblems += frozen.problems
                    errors += frozen.problems.map { CheckProblem($0, resource: ($0.error as? NotPinnedError)?.resource) }
                } else {
                    errors.append(
                        CheckProblem(
                            severity: .error, kind: .configuration, file: lockPath,
                            message: "there is no lock file; run `secretsmith lock` first, or check without --frozen"))
                }
            } catch {
                errors.append(CheckProblem(severity: .error, kind: error.kind, file: error.path, message: error.message))
            }
        }

        var results: [RenderPlan.FetchKey: VersionResult] = [:]
        do {
            let access = options.access
            let lockedPins = pins
            // The access log names each version by the first reference written for it.
            let texts = plan.firstReferenceTexts
            let fanOut = VersionFanOut(for: configuration, deadline: options.deadline)
            // `lookUp` records its errors in its result; it never throws.
            results = try await fanOut.run(plan.distinctSecrets) { [self] key, secret in
                await self.lookUp(secret, pin: lockedPins[key], access: access, text: texts[key])
            }.values
        } catch {
            let wrapped = UnexpectedError.wrap(error)
            errors.append(CheckProblem(severity: .error, kind: wrapped.kind, message: wrapped.description))
        }

        var warnings: [CheckProblem] = []
        var reported = Set<RenderPlan.FetchKey>()
        var siteCounts: [RenderPlan.FetchKey: Int] = [:]
        for output in plan.outputs {
            for reference in output.references {
                let key = reference.fetchKey
                siteCounts[key, default: 0] += 1
                guard let result = results[key] else { continue }
                if let error = result.error {
                    errors.append(
                        CheckProblem(
                            RenderProblem(site: reference.site, reference: reference.text, error: error),
                            resource: key.versionName))
                }
                if reported.insert(key).inserted {
                    for message in result.drift {
                        var warning = CheckProblem(
                            RenderProblem(site: reference.site, reference: reference.text, error: DriftNote(message: message)),
                            resource: key.versionName)
                        warning.severity = .warning
                        warning.kind = nil
                        warnings.append(warning)
                    }
                }
            }
        }

        if options.access {
            errors += renderInMemory(plan, planProblems: planProblems, results: results).map { CheckProblem($0) }
            // What the writer would refuse before staging, so check and render agree.
            errors += plan.destinationProblems(configuration: configuration).map { CheckProblem($0) }
        } else {
            // Rendering in memory (access) finds these too; without it, look them up here:
            // an unset variable needs no payload to be found.
            let environment = processEnvironment
            for output in plan.outputs {
                guard let template = output.template else { continue }
                for error in template.unsetEnvironmentErrors(environment: { environment[$0] }) {
                    let site = ReferenceSite(file: error.path, mark: error.mark, output: output.output.name, key: nil)
                    errors.append(CheckProblem(RenderProblem(site: site, reference: nil, error: error)))
                }
            }
        }

        let versions = plan.distinctSecrets.keys.sorted().map { key in
            let result = results[key]
            return CheckReport.CheckedVersion(
                environment: key.environment, resource: key.versionName, version: result?.metadata?.versionNumber,
                state: result?.metadata?.state.rawValue, accessed: result?.value != nil,
                references: siteCounts[key] ?? 0)
        }
        return CheckReport(
            problems: errors + warnings, versions: versions, outputs: plan.outputs.count, access: options.access,
            frozen: options.frozen)
    }

    // MARK: Secret Manager

    /// What was learnt about one distinct version.
    struct VersionResult: Sendable {
        var metadata: SecretVersionMetadata?
        var error: (any SecretsmithError)?
        var value: SecretValue?
        /// Drift warnings (frozen checks only).
        var drift: [String] = []
    }

    private func lookUp(_ secret: SecretConfig, pin: LockPin?, access: Bool, text: String?) async -> VersionResult {
        var result = VersionResult()
        do {
            let metadata = try await manager.metadata(secret)
            result.metadata = metadata
            guard metadata.state == .enabled else {
                result.error = VersionStateError(
                    resource: secret.versionName, version: metadata.versionNumber ?? 0, state: metadata.state)
                if let pin { result.drift += await drift(secret, pin: pin, metadata: metadata) }
                return result
            }
            if let pin { result.drift += await drift(secret, pin: pin, metadata: metadata) }
            if access {
                result.value = try await manager.access(secret, reference: text ?? secret.versionName).value
            }
        } catch {
            result.error = UnexpectedError.wrap(error)
        }
        return result
    }

    /// What changed since the lock was written: the requested version (`latest`, an
    /// alias) now resolves elsewhere, or the pinned version's etag (its state) changed.
    private func drift(_ frozen: SecretConfig, pin: LockPin, metadata: SecretVersionMetadata) async -> [String] {
        var notes: [String] = []
        if let etag = pin.etag, let current = metadata.etag, etag != current {
            notes.append(
                "the locked version \(pin.version) changed since it was locked (etag \(etag) is now \(current))")
        }
        let requested = pin.requestedVersion
        guard Int(requested) == nil else { return notes }
        var current = frozen
        current.version = requested
        do {
            let now = try await manager.metadata(current)
            if let number = now.versionNumber, number != pin.version {
                let direction = number > pin.version ? "a newer version" : "a different version"
                let advice = now.state == .enabled
                    ? "Run `secretsmith lock --env \(pin.environment)` to move to it"
                    : "it cannot be read, so keep the lock as it is until an ENABLED version is the one "
                        + "\(pin.requestedVersion) names"
                notes.append(
                    "\(pin.resource) now resolves to \(direction), \(number) (\(now.state.rawValue)); the lock pins "
                        + "\(pin.version). \(advice)")
            }
        } catch {
            notes.append("\(pin.resource) could not be looked up to compare with the lock: \(UnexpectedError.wrap(error))")
        }
        return notes
    }

    // MARK: Rendering in memory

    /// Renders, in memory, every output whose references all resolved and were read and
    /// that had no planning problem; returns the problems found (values never leave).
    private func renderInMemory(
        _ plan: RenderPlan, planProblems: [RenderProblem], results: [RenderPlan.FetchKey: VersionResult]
    ) -> [RenderProblem] {
        let troubled = Set(planProblems.compactMap { $0.site?.output })
        var values: [RenderPlan.FetchKey: SecretValue] = [:]
        for (key, result) in results { values[key] = result.value }
        let ready = plan.outputs.filter { output in
            !troubled.contains(output.output.name)
                && (output.output.format != .template || output.template != nil)
                && output.firstUses.allSatisfy { values[$0.fetchKey] != nil }
        }
        let renderer = Renderer(manager: manager, processEnvironment: processEnvironment)
        do {
            _ = try renderer.render(RenderPlan(outputs: ready), values: values)
            return []
        } catch let failure as RenderFailure {
            return failure.problems
        } catch {
            return [RenderProblem(site: nil, reference: nil, error: UnexpectedError.wrap(error))]
        }
    }
}

/// A drift note of `check --frozen`, reported as a warning.
struct DriftNote: SecretsmithError {
    var message: String
    var kind: FailureKind { .notFound }
    var description: String { message }
}
