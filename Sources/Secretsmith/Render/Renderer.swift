import Foundation
import Logging
import Tracing

/// Carries out a ``RenderPlan``: fetches every distinct secret version concurrently
/// through the manager, renders every output in memory, then writes them all or none.
package struct Renderer: Sendable {
    package let manager: MultiEnvironmentSecretManager
    /// Looks up `<< env "NAME" >>` actions.
    package let processEnvironment: [String: String]

    package init(manager: MultiEnvironmentSecretManager, processEnvironment: [String: String]) {
        self.manager = manager
        self.processEnvironment = processEnvironment
    }

    /// Fetches each distinct version of the plan once, concurrently (``VersionFanOut``;
    /// the manager bounds the calls in flight by `concurrency:`).
    ///
    /// - Parameter deadline: the time allowed for every fetch; `nil` means no limit.
    /// - Returns: the payload of every distinct version.
    /// - Throws: ``RenderFailure`` naming every reference whose fetch failed, at each of
    ///   its sites; ``DeadlineExceededError`` when the deadline passes first (outstanding
    ///   fetches are cancelled).
    package func fetch(_ plan: RenderPlan, deadline: Duration? = nil) async throws -> [RenderPlan.FetchKey: SecretValue] {
        let (values, problems) = try await fetchCollecting(plan, deadline: deadline)
        if !problems.isEmpty { throw RenderFailure(problems: problems) }
        return values
    }

    /// Fetches as ``fetch(_:deadline:)`` does, returning the problems beside the values
    /// that were read instead of throwing them, so the outputs those values complete can
    /// still be rendered in memory and their problems reported too (as `check --access`
    /// does).
    ///
    /// - Returns: the payload of every version read, and one problem per site of every
    ///   reference whose fetch failed.
    /// - Throws: ``DeadlineExceededError`` when the deadline passes first.
    package func fetchCollecting(_ plan: RenderPlan, deadline: Duration? = nil) async throws -> (
        values: [RenderPlan.FetchKey: SecretValue], problems: [RenderProblem]
    ) {
        let firstText = plan.firstReferenceTexts
        let manager = self.manager
        let (values, failures) = try await VersionFanOut(for: manager.configuration, deadline: deadline).run(
            plan.distinctSecrets
        ) { key, secret in
            try await manager.access(secret, reference: firstText[key] ?? secret.versionName).value
        }
        return (values, plan.problems(at: failures))
    }

    /// Renders in memory, after a fetch that may have failed in part: every output whose
    /// values were all read is rendered, so a run reports the problems of those outputs
    /// too, the same problems and exit status as `check --access`.
    ///
    /// - Parameter fetchProblems: the problems ``fetchCollecting(_:deadline:)`` returned.
    /// - Throws: ``RenderFailure`` with `fetchProblems` and every rendering problem.
    package func render(
        _ plan: RenderPlan, values: [RenderPlan.FetchKey: SecretValue], fetchProblems: [RenderProblem]
    ) throws -> [RenderedOutput] {
        guard !fetchProblems.isEmpty else { return try render(plan, values: values) }
        let ready = plan.filter { output in output.firstUses.allSatisfy { values[$0.fetchKey] != nil } }
        var problems = fetchProblems
        do {
            _ = try render(ready, values: values)
        } catch let failure as RenderFailure {
            problems += failure.problems
        }
        throw RenderFailure(problems: problems)
    }

    /// Renders every output of the plan in memory from fetched values.
    ///
    /// - Throws: ``RenderFailure`` listing every problem: a JSON pointer that selects
    ///   nothing, a filter that cannot apply, an unset `env` variable, a value the output
    ///   format cannot hold.
    package func render(_ plan: RenderPlan, values: [RenderPlan.FetchKey: SecretValue]) throws -> [RenderedOutput] {
        var rendered: [RenderedOutput] = []
        var problems: [RenderProblem] = []
        for output in plan.outputs {
            // One span per output: its name, format and template path (never a value).
            let span = startSpan(SecretsmithSpans.renderOutput)
            defer { span.end() }
            span.attributes["secretsmith.output.name"] = output.output.name
            span.attributes["secretsmith.output.format"] = output.output.format.rawValue
            span.attributes["secretsmith.template.path"] = output.output.template
            var resolved: [String: [UInt8]] = [:]
            var versions: [String: Int] = [:]
            // References whose pointer selected JSON that is not a string.
            var jsonTexts = Set<String>()
            // The reason each text that cannot be rendered fails: the same at each of its sites.
            var failures: [String: any SecretsmithError] = [:]
            for reference in output.firstUses where resolved[reference.text] == nil && failures[reference.text] == nil {
                guard let value = values[reference.fetchKey] else {
                    failures[reference.text] = UnexpectedError(underlying: "no value was fetched")
                    continue
                }
                do {
                    if let pointer = reference.reference.pointer {
                        let selection = try pointer.select(in: value.bytes)
                        resolved[reference.text] = selection.bytes
                        if !selection.isString { jsonTexts.insert(reference.text) }
                    } else {
                        resolved[reference.text] = value.bytes
                    }
                    if let version = value.version { versions[reference.text] = version }
                } catch {
                    failures[reference.text] = UnexpectedError.wrap(error)
                }
            }
            let failed = !failures.isEmpty
            if failed {
                // A problem at every use of a failed text, in order.
                for reference in output.references {
                    guard let error = failures[reference.text] else { continue }
                    problems.append(RenderProblem(site: reference.site, reference: reference.text, error: error))
                }
            }
            if failed {
                span.setStatus(SpanStatus(code: .error))
                continue
            }
            do {
                let content: OutputContent
                if let template = output.template {
                    let (rendered, templateProblems) = try template.renderContentCollectingProblems(
                        secret: { text, _ in
                            // Planning resolved every reference of the template.
                            resolved[text] ?? []
                        },
                        environment: { processEnvironment[$0] })
                    guard let rendered else {
                        // Every action that failed, each at its own file, line and column.
                        span.setStatus(SpanStatus(code: .error))
                        for (error, reference) in templateProblems {
                            let site = ReferenceSite(file: error.path, mark: error.mark, output: output.output.name, key: nil)
                            problems.append(RenderProblem(site: site, reference: reference, error: error))
                        }
                        continue
                    }
                    content = rendered
                } else {
                    let entries = output.output.values.map { (key: $0.key, value: resolved[$0.reference] ?? []) }
                    let jsonKeys = Set(output.output.values.filter { jsonTexts.contains($0.reference) }.map(\.key))
                    let encoded = OutputEncoder.encodeCollectingErrors(
                        output.output.format, entries: entries, jsonKeys: jsonKeys)
                    guard let encodedBytes = encoded.bytes else {
                        // Every refused value, each at its key in the configuration.
                        span.setStatus(SpanStatus(code: .error))
                        for error in encoded.errors {
                            problems.append(encodingProblem(error, output: output.output))
                        }
                        continue
                    }
                    content = OutputContent(encodedBytes)
                }
                let mode = manager.configuration.fileMode(for: output.output, activeEnvironment: output.environment)
                rendered.append(
                    RenderedOutput(output: output.output, mode: mode, content: content, resolvedVersions: versions))
                span.attributes["secretsmith.output.bytes"] = content.count
            } catch {
                span.recordError(error)
                span.setStatus(SpanStatus(code: .error))
                if let error = error as? TemplateError {
                    // A template error names its own file, line and column: the site.
                    let site = ReferenceSite(file: error.path, mark: error.mark, output: output.output.name, key: nil)
                    problems.append(RenderProblem(site: site, reference: nil, error: error))
                } else {
                    // A value the format cannot hold: point at the output in the configuration.
                    let site = ReferenceSite(
                        file: manager.configuration.file, mark: output.output.mark, output: output.output.name,
                        key: nil)
                    problems.append(RenderProblem(site: site, reference: nil, error: UnexpectedError.wrap(error)))
                }
            }
        }
        if !problems.isEmpty { throw RenderFailure(problems: problems) }
        return rendered
    }

    /// A refused key or value of a key/value output, at its key in the configuration
    /// (for a key written twice, its last place), with the reference written for it; at
    /// the output when no key matches.
    private func encodingProblem(_ error: OutputEncodingError, output: OutputConfiguration) -> RenderProblem {
        let file = manager.configuration.file
        guard let value = output.values.last(where: { $0.key == error.key }) else {
            let site = ReferenceSite(file: file, mark: output.mark, output: output.name, key: nil)
            return RenderProblem(site: site, reference: nil, error: error)
        }
        let site = ReferenceSite(file: file, mark: value.keyMark, output: output.name, key: value.key)
        return RenderProblem(site: site, reference: value.reference, error: error)
    }
}

/// A problem rendering one output, prefixed with the output's name.
struct OutputProblem: SecretsmithError {
    var output: String
    var underlying: any SecretsmithError
    var kind: FailureKind { underlying.kind }
    var description: String { "output \(output): \(underlying.description)" }
}
