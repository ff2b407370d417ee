extension LockFile {
    /// The outcome of freezing a plan: the plan with locked versions, the references the
    /// lock does not pin, and the pin behind each frozen version.
    package struct FrozenPlan: Sendable {
        /// The plan, every pinned reference's version replaced by its locked number;
        /// references without a pin are left out.
        package var plan: RenderPlan
        /// One problem (``NotPinnedError``) per site whose reference the lock does not pin.
        package var problems: [RenderProblem]
        /// The pin each frozen version comes from.
        package var pins: [RenderPlan.FetchKey: LockPin]
    }

    /// Replaces the version of every reference of `plan` with the number the lock pins
    /// for it, without any network call.
    ///
    /// - Parameters:
    ///   - plan: a plan from ``RenderPlan/make(configuration:environment:only:)``.
    ///   - lockPath: the lock file's path, for error messages.
    /// - Returns: the frozen plan, whose fetches read exactly the locked versions.
    /// - Throws: ``RenderFailure`` naming every reference (with its site) that the lock
    ///   does not pin (``NotPinnedError``, exit 65).
    package func freeze(_ plan: RenderPlan, lockPath: String) throws -> RenderPlan {
        let frozen = freezeCollecting(plan, lockPath: lockPath)
        if !frozen.problems.isEmpty { throw RenderFailure(problems: frozen.problems) }
        return frozen.plan
    }

    /// Freezes as ``freeze(_:lockPath:)`` does, returning the problems instead of
    /// throwing (for `check --frozen`).
    package func freezeCollecting(_ plan: RenderPlan, lockPath: String) -> FrozenPlan {
        var problems: [RenderProblem] = []
        var pinsByKey: [RenderPlan.FetchKey: LockPin] = [:]
        var outputs: [RenderPlan.PlannedOutput] = []
        // One lookup per distinct version, not a scan of the pins per reference.
        var index: [RenderPlan.FetchKey: LockPin] = [:]
        for pin in pins {
            let key = RenderPlan.FetchKey(environment: pin.environment, versionName: pin.resource)
            if index[key] == nil { index[key] = pin }
        }
        // Keyed by the unfrozen resolution (one per reference text and output), which the
        // plan keeps alive.
        var frozenResolutions: [ObjectIdentifier: RenderPlan.PlannedReference.Resolution] = [:]
        for var output in plan.outputs {
            var references: [RenderPlan.PlannedReference] = []
            var unpinned = false
            for var reference in output.firstUses {
                guard let pin = index[reference.fetchKey] else {
                    unpinned = true
                    continue
                }
                // The sites of one reference share one frozen resolution.
                let key = ObjectIdentifier(reference.resolution)
                if let frozen = frozenResolutions[key] {
                    reference.resolution = frozen
                } else {
                    reference.secret.version = String(pin.version)
                    frozenResolutions[key] = reference.resolution
                }
                pinsByKey[reference.fetchKey] = pin
                references.append(reference)
            }
            if unpinned {
                // A problem at every use of an unpinned version, in order.
                for reference in output.references where index[reference.fetchKey] == nil {
                    let secret = reference.secret
                    let error = NotPinnedError(
                        lockPath: lockPath, environment: secret.environment, resource: secret.versionName)
                    problems.append(RenderProblem(site: reference.site, reference: reference.text, error: error))
                }
            }
            output.firstUses = references
            outputs.append(output)
        }
        return FrozenPlan(plan: RenderPlan(outputs: outputs), problems: problems, pins: pinsByKey)
    }
}
