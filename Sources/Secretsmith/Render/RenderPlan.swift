import Foundation
import YAML

/// Every reference of the selected outputs, parsed and resolved before anything is
/// fetched: the plan of one render, `exec` or `check`.
///
/// Planning reads the templates once, parses every reference, resolves it against the
/// configuration's layers and isolation rules, and collects every problem instead of
/// stopping at the first.
public struct RenderPlan: Sendable {
    /// One reference at one site.
    ///
    /// The parsed reference and its settings are shared by every site of the same text
    /// in an output (a large template repeats a few references many times), so a plan's
    /// memory grows by a site, not by a resolved ``SecretConfig``, per placeholder.
    public struct PlannedReference: Sendable {
        /// A resolved reference, shared by its sites; replaced, never mutated.
        final class Resolution: Sendable {
            let text: String
            let reference: SecretReference
            let secret: SecretConfig
            let fetchKey: FetchKey

            init(text: String, reference: SecretReference, secret: SecretConfig) {
                self.text = text
                self.reference = reference
                self.secret = secret
                self.fetchKey = FetchKey(environment: secret.environment, versionName: secret.versionName)
            }
        }

        /// Shared by the sites of one reference text (see ``Resolution``).
        var resolution: Resolution
        public var site: ReferenceSite

        public init(text: String, reference: SecretReference, secret: SecretConfig, site: ReferenceSite) {
            self.init(resolution: Resolution(text: text, reference: reference, secret: secret), site: site)
        }

        init(resolution: Resolution, site: ReferenceSite) {
            self.resolution = resolution
            self.site = site
        }

        /// The reference as written.
        public var text: String {
            get { resolution.text }
            set { resolution = Resolution(text: newValue, reference: resolution.reference, secret: resolution.secret) }
        }

        public var reference: SecretReference {
            get { resolution.reference }
            set { resolution = Resolution(text: resolution.text, reference: newValue, secret: resolution.secret) }
        }

        /// The effective settings and resource name.
        public var secret: SecretConfig {
            get { resolution.secret }
            set { resolution = Resolution(text: resolution.text, reference: resolution.reference, secret: newValue) }
        }

        /// The key that identifies the version to fetch: one fetch per distinct key.
        public var fetchKey: FetchKey { resolution.fetchKey }
    }

    /// Identifies one distinct secret version of a plan.
    public struct FetchKey: Sendable, Hashable, Comparable {
        public var environment: String
        public var versionName: String

        public static func < (lhs: FetchKey, rhs: FetchKey) -> Bool {
            (lhs.environment, lhs.versionName) < (rhs.environment, rhs.versionName)
        }
    }

    /// One selected output.
    public struct PlannedOutput: Sendable {
        public var output: OutputConfiguration
        /// The environment relative references of this output resolve in.
        public var environment: String?
        /// The parsed template, for `format: template`.
        public var template: Template?
        /// The references a run fetches and checks: for a template, the first use of each
        /// distinct reference text, in order of first use (a large template repeats a few
        /// references many times); for `values:` outputs every entry, in key order.
        package var firstUses: [PlannedReference]
        /// Whether ``firstUses`` holds every use (false for a template: its other uses are
        /// found by a pass over it when something needs their positions).
        package var holdsEveryUse: Bool

        init(output: OutputConfiguration, environment: String?, template: Template?) {
            self.output = output
            self.environment = environment
            self.template = template
            self.firstUses = []
            self.holdsEveryUse = true
        }

        /// Its references in order of appearance, one per use (for `values:` outputs, in
        /// key order). For a template this is worked out from the template (one pass over
        /// it); setting it replaces the output's references with exactly these.
        public var references: [PlannedReference] {
            get {
                guard !holdsEveryUse, let template, !firstUses.isEmpty else { return firstUses }
                var byText: [String: PlannedReference] = [:]
                for use in firstUses where byText[use.text] == nil { byText[use.text] = use }
                var result: [PlannedReference] = []
                result.reserveCapacity(template.secretReferenceCount)
                template.forEachSecretReference { text, mark in
                    guard var use = byText[text] else { return }
                    use.site.mark = mark
                    result.append(use)
                }
                return result
            }
            set {
                firstUses = newValue
                holdsEveryUse = true
            }
        }
    }

    /// The selected outputs, in the configuration's order.
    public var outputs: [PlannedOutput]

    /// The plan of the outputs for which `isIncluded` is true (for `exec`, which writes
    /// some outputs and puts others into the environment).
    public func filter(_ isIncluded: (PlannedOutput) -> Bool) -> RenderPlan {
        RenderPlan(outputs: outputs.filter(isIncluded))
    }

    /// The distinct versions to fetch, each with the settings of its first use.
    public var distinctSecrets: [FetchKey: SecretConfig] {
        var result: [FetchKey: SecretConfig] = [:]
        for output in outputs {
            for reference in output.firstUses where result[reference.fetchKey] == nil {
                result[reference.fetchKey] = reference.secret
            }
        }
        return result
    }

    /// Plans a render.
    ///
    /// - Parameters:
    ///   - configuration: the loaded configuration.
    ///   - environment: the active environment (`--env` or `SECRETSMITH_ENV`), used by
    ///     outputs that do not set `environment:` themselves.
    ///   - only: output names to select (`--only`); empty selects every output.
    /// - Throws: ``RenderFailure`` listing every problem: an unknown output name, an
    ///   unreadable or invalid template, an invalid reference, a reference the
    ///   configuration does not allow.
    public static func make(configuration: Configuration, environment: String?, only: [String]) throws -> RenderPlan {
        try make(configuration: configuration, environment: environment, only: only, templatesInFileFrom: nil)
    }

    /// ``make(configuration:environment:only:)``, keeping each template of at least
    /// `templatesInFileFrom` bytes in its file instead of in memory (for a run that writes
    /// its outputs to files: the template is read again, in chunks, as its output is
    /// written, and a template edited in between fails that write).
    package static func make(
        configuration: Configuration, environment: String?, only: [String], templatesInFileFrom: Int?
    ) throws -> RenderPlan {
        // Every problem of every template, as `check` reports them: the plan is not used
        // when there is any.
        let (plan, problems) = collect(
            configuration: configuration, environment: environment, only: only, allTemplateProblems: true,
            templatesInFileFrom: templatesInFileFrom)
        if !problems.isEmpty { throw RenderFailure(problems: problems) }
        return plan
    }

    /// Plans as ``make(configuration:environment:only:)`` does, but returns the problems
    /// beside the plan of everything that could be planned, for `check` and `explain`.
    ///
    /// - Parameter allTemplateProblems: report every problem of each template, not only
    ///   its first, and still plan the references of the actions that parsed; such a
    ///   template is kept in the plan but must not be rendered (its output has problems).
    /// - Returns: the plan (outputs with problems keep the references that resolved) and
    ///   every problem, in order.
    ///   - templatesInFileFrom: keep each template of at least this many bytes in its file
    ///     (see ``make(configuration:environment:only:templatesInFileFrom:)``); nil keeps
    ///     every template in memory.
    package static func collect(
        configuration: Configuration, environment: String?, only: [String], allTemplateProblems: Bool = false,
        templatesInFileFrom: Int? = nil
    ) -> (plan: RenderPlan, problems: [RenderProblem]) {
        var problems: [RenderProblem] = []
        if let environment, configuration.environment(named: environment) == nil {
            // One clear problem instead of one per reference.
            let declared = configuration.environmentNames
            let hint = Suggestions.closest(to: environment, in: declared).map { "; did you mean \"\($0)\"?" } ?? ""
            let problem = RenderProblem(
                site: nil, reference: nil,
                error: PlanError(
                    message: "environment \"\(environment)\" is not declared in \(configuration.file) "
                        + "(declared: \(declared.joined(separator: ", ")))\(hint)"))
            return (RenderPlan(outputs: []), [problem])
        }
        if let environment, let error = configuration.environment(named: environment)?.variableError {
            // The active environment uses an unset variable: one problem, at the variable.
            return (RenderPlan(outputs: []), [RenderProblem(site: nil, reference: nil, error: error)])
        }
        var missingEnvironment: [String] = []
        let known = Set(configuration.outputs.map(\.name))
        for name in only where !known.contains(name) {
            let hint = Suggestions.closest(to: name, in: Array(known)).map { "; did you mean \"\($0)\"?" } ?? ""
            problems.append(
                RenderProblem(
                    site: nil, reference: nil,
                    error: PlanError(message: "\(configuration.file): there is no output named \(ConfigurationRules.quoted(name))\(hint)")))
        }
        var selected: [OutputConfiguration] = []
        var reportedNoEnvironment = false
        for declared in configuration.outputs where only.isEmpty || only.contains(declared.name) {
            // An output whose values use `${SECRETSMITH_ENV}`, in a run that names its
            // environment: as decoded for that environment.
            let output = environment.flatMap { declared.activeEnvironmentVariants[$0] } ?? declared
            // An output (or the environment it names) with an unset `${NAME}` is reported
            // now that it is used.
            if let error = output.variableError
                ?? output.environment.flatMap({ configuration.environment(named: $0)?.variableError })
            {
                // `${SECRETSMITH_ENV}` unset means no environment was chosen: one problem for
                // the run, saying how to choose one, not one per output.
                if error.unsetVariable == VariableExpansion.activeEnvironmentVariable, environment == nil {
                    if !reportedNoEnvironment {
                        problems.append(RenderProblem(site: nil, reference: nil, error: PlanError(message: Self.noEnvironmentSelected)))
                        reportedNoEnvironment = true
                    }
                    continue
                }
                let site = error.mark.map { ReferenceSite(file: configuration.file, mark: $0, output: output.name, key: nil) }
                problems.append(RenderProblem(site: site, reference: nil, error: error))
                continue
            }
            selected.append(output)
        }
        // Every file the run writes, compared with every file it reads or writes, where the
        // bytes land: `a/../b`, a followed link and a linked parent directory are one file.
        for clash in RunFiles.of(configuration, selected: selected).clashes(configurationFile: configuration.file) {
            problems.append(RenderProblem(site: nil, reference: nil, error: clash))
        }
        var outputs: [PlannedOutput] = []
        for output in selected {
            let active = output.environment ?? environment
            var planned = PlannedOutput(output: output, environment: active, template: nil)
            // A large template repeats the same few references many times: each distinct
            // text is parsed and resolved once per output, and its result shared.
            var outcomes: [String: PlanOutcome] = [:]
            var reportedUnset = Set<String>()
            func outcome(of text: String) -> PlanOutcome {
                if let known = outcomes[text] { return known }
                let result: PlanOutcome
                do {
                    let reference = try SecretReference.parse(text)
                    if reference.environment == nil, active == nil {
                        if missingEnvironment.last != output.name { missingEnvironment.append(output.name) }
                        result = .skipped
                    } else {
                        let secret = try configuration.resolve(reference, activeEnvironment: active)
                        result = .resolved(PlannedReference.Resolution(text: text, reference: reference, secret: secret))
                    }
                } catch var error as ConfigurationError {
                    if error.unsetVariable != nil {
                        result = .unsetVariable(error)
                    } else {
                        // The site already names the file, and the message names the reference.
                        error.file = nil
                        result = .failed(error)
                    }
                } catch {
                    result = .failed(UnexpectedError.wrap(error))
                }
                outcomes[text] = result
                return result
            }
            /// The problem a use of `text` at `site` has, if any: a failed text at each
            /// site; an unset variable once (positioned at the variable, the same for every
            /// reference).
            func reportProblem(of text: String, at site: ReferenceSite) {
                switch outcome(of: text) {
                case .failed(let error):
                    problems.append(RenderProblem(site: site, reference: nil, error: error))
                case .unsetVariable(let error):
                    guard reportedUnset.insert(text).inserted else { return }
                    if !problems.contains(where: { ($0.error as? ConfigurationError) == error }) {
                        problems.append(RenderProblem(site: nil, reference: nil, error: error))
                    }
                case .resolved, .skipped:
                    break
                }
            }
            func plan(_ text: String, at site: ReferenceSite) {
                if case .resolved(let resolution) = outcome(of: text) {
                    planned.firstUses.append(PlannedReference(resolution: resolution, site: site))
                } else {
                    reportProblem(of: text, at: site)
                }
            }
            if output.format == .template, let templatePath = output.template {
                do {
                    let parsed = try TemplateFile.parse(
                        templatePath, collectingProblems: allTemplateProblems, inFileFrom: templatesInFileFrom)
                    let template = parsed.template
                    if allTemplateProblems {
                        for error in parsed.problems {
                            let site = ReferenceSite(file: templatePath, mark: error.mark, output: output.name, key: nil)
                            problems.append(RenderProblem(site: site, reference: nil, error: error))
                        }
                    } else if let first = parsed.problems.first {
                        throw first
                    }
                    planned.template = template
                    planned.holdsEveryUse = false
                    // The first use of each distinct reference; the other uses' positions are
                    // worked out (one pass over the template) only for problems.
                    var failed = false
                    for (text, mark) in template.distinctSecretReferences {
                        switch outcome(of: text) {
                        case .resolved(let resolution):
                            let site = ReferenceSite(file: templatePath, mark: mark, output: output.name, key: nil)
                            planned.firstUses.append(PlannedReference(resolution: resolution, site: site))
                        case .failed, .unsetVariable:
                            failed = true
                        case .skipped:
                            break
                        }
                    }
                    if failed {
                        template.forEachSecretReference { text, mark in
                            reportProblem(of: text, at: ReferenceSite(file: templatePath, mark: mark, output: output.name, key: nil))
                        }
                    }
                } catch let error as TemplateReadError {
                    problems.append(
                        RenderProblem(
                            site: ReferenceSite(file: configuration.file, mark: output.mark, output: output.name, key: nil),
                            reference: nil,
                            error: ConfigurationError(
                                file: configuration.file, mark: output.mark, keyPath: "outputs.\(output.name).template",
                                message: error.description)))
                } catch {
                    problems.append(RenderProblem(site: nil, reference: nil, error: UnexpectedError.wrap(error)))
                }
            } else {
                for value in output.values {
                    plan(
                        value.reference,
                        at: ReferenceSite(file: configuration.file, mark: value.mark, output: output.name, key: value.key))
                }
            }
            outputs.append(planned)
        }
        if !missingEnvironment.isEmpty {
            var names: [String] = []
            for name in missingEnvironment where !names.contains(name) { names.append(name) }
            problems.insert(
                RenderProblem(
                    site: nil, reference: nil,
                    error: PlanError(
                        message: "no active environment: output(s) \(names.joined(separator: ", ")) use references "
                            + "relative to it; pass --env, set SECRETSMITH_ENV, or set environment: on the output "
                            + "(declared: \(configuration.environmentNames.joined(separator: ", ")))")),
                at: 0)
        }
        return (RenderPlan(outputs: outputs), problems)
    }
}

/// What planning made of one reference text of an output.
private enum PlanOutcome {
    case resolved(RenderPlan.PlannedReference.Resolution)
    /// An invalid or disallowed reference: a problem at each of its sites.
    case failed(any SecretsmithError)
    /// A reference whose settings use an unset `${NAME}`: one problem, at the variable.
    case unsetVariable(ConfigurationError)
    /// A relative reference without an active environment (reported once for the run).
    case skipped
}

/// A planning problem that is not about one reference (an unknown `--only` name).
extension RenderPlan {
    /// The problem of a run whose outputs need `${SECRETSMITH_ENV}` when neither `--env`
    /// nor `SECRETSMITH_ENV` names an environment (a usage error, exit 64).
    package static let noEnvironmentSelected = "no environment selected: pass --env or set SECRETSMITH_ENV"
}

struct PlanError: SecretsmithError {
    var message: String
    var kind: FailureKind { .usage }
    var description: String { message }
}

/// Reads template files: regular files only, with a size limit checked before reading.
enum TemplateFile {
    /// The largest template accepted, in bytes (256 MiB).
    static let maxBytes = 256 << 20

    /// Opens the file without blocking (a FIFO or a device must not hang the run), checks
    /// on the opened descriptor (`fstat`, so nothing can swap the file in between) that it
    /// is a regular file of at most ``maxBytes`` bytes, then reads it (still refusing more
    /// than ``maxBytes`` if it grows meanwhile).
    ///
    /// - Throws: ``TemplateReadError`` (`.configuration`) naming the path and the reason:
    ///   it does not exist, cannot be read, is a directory or another non-regular file, or
    ///   is too large.
    static func read(_ path: String) throws -> [UInt8] {
        switch FileSystemCalls.readRegularFile(path, limit: maxBytes) {
        case .success(let bytes): return bytes
        case .failure(let failure): throw TemplateReadError(path: path, reason: failure.reason(limit: maxBytes))
        }
    }

    /// The size from which a run that writes files keeps a template in its file rather
    /// than in memory (1 MiB): smaller templates cost little memory and are parsed from
    /// one buffer.
    static let inFileFrom = 1 << 20

    /// Reads and parses a template, as ``read(_:)`` reads it; one of at least `inFileFrom`
    /// bytes is parsed in chunks and kept in its file (``Template/parseFile(descriptor:path:limit:chunkSize:collectingProblems:)``).
    ///
    /// - Parameters:
    ///   - collectingProblems: Go on after the first problem (the template then holds the
    ///     actions that parsed) rather than stop at it.
    ///   - inFileFrom: The size from which the template is kept in its file; nil: never.
    /// - Returns: The template and its problems in order (only the first unless
    ///   `collectingProblems`); the template must not be rendered when there are any.
    /// - Throws: ``TemplateReadError`` as ``read(_:)``.
    static func parse(
        _ path: String, collectingProblems: Bool, inFileFrom: Int?, chunkSize: Int = Template.fileChunkSize
    ) throws -> (template: Template, problems: [TemplateError]) {
        let descriptor: Int32
        let info: stat
        switch FileSystemCalls.openRegularFile(path, limit: maxBytes) {
        case .success(let opened): (descriptor, info) = opened
        case .failure(let failure): throw TemplateReadError(path: path, reason: failure.reason(limit: maxBytes))
        }
        if let inFileFrom, Int(info.st_size) >= inFileFrom {
            switch Template.parseFile(
                descriptor: descriptor, path: path, limit: maxBytes, chunkSize: chunkSize, collectingProblems: collectingProblems)
            {
            case .success(let parsed): return parsed
            case .failure(let failure): throw TemplateReadError(path: path, reason: failure.reason(limit: maxBytes))
            }
        }
        defer { close(descriptor) }
        guard let bytes = FileSystemCalls.readAll(descriptor, limit: maxBytes, sizeHint: Int(info.st_size)) else {
            throw TemplateReadError(path: path, reason: FileSystemCalls.ReadFailure.system(errno).reason(limit: maxBytes))
        }
        guard bytes.count <= maxBytes else {
            throw TemplateReadError(path: path, reason: FileSystemCalls.ReadFailure.tooLarge(nil).reason(limit: maxBytes))
        }
        if collectingProblems { return Template.parseCollectingProblems(bytes, path: path) }
        do {
            return (try Template.parse(bytes, path: path), [])
        } catch {
            return (Template.parseCollectingProblems([], path: path).template, [error])
        }
    }
}

/// A template file could not be read.
struct TemplateReadError: SecretsmithError {
    var path: String
    var reason: String
    var kind: FailureKind { .configuration }
    var description: String { "template \(path): \(reason)" }
}
