import AsyncHTTPClient
import Foundation
import Tracing

/// The library's one path from a configuration to files: plan → fetch (under the run's
/// deadline) → render in memory → write all or nothing → manifest.
///
/// `secretsmith render`, `exec`, `check` and `lock` each make one pipeline and call it
/// once. A long-running caller makes one pipeline over one manager and calls
/// ``run(_:checkingPlan:)`` again and again: a pipeline holds no state of its own between
/// runs (the manager's cache, breakers and stats carry over; files whose content did not
/// change are not rewritten), uses no process-global state, and a run stops when the task
/// that called it is cancelled or its deadline passes, cancelling its Secret Manager
/// calls.
public struct RenderPipeline: Sendable {
    /// Where rendered outputs go.
    public enum Destination: Sendable, Hashable {
        /// Write every output atomically, all or nothing (``Renderer/write(_:dryRun:)``).
        case files
        /// Report what would be written; touch nothing.
        case dryRun
        /// Render in memory only (``Outcome/rendered``); write nothing.
        case memory
    }

    /// What one run does.
    public struct Options: Sendable {
        /// The active environment for relative references (`--env`, `SECRETSMITH_ENV`).
        public var environment: String?
        /// Output names to select; empty selects every output.
        public var only: [String]
        /// Read exactly the versions `secretsmith.lock` pins (see ``LockFile``).
        public var frozen: Bool
        /// The longest the Secret Manager part of the run may take; `nil` takes the
        /// configuration's `deadline:` (the active environment's, else the defaults'),
        /// else none (``RenderPipeline/deadline(in:environment:override:)``).
        public var deadline: Duration?
        /// Where the outputs go.
        public var destination: Destination
        /// Where to write the ``RenderManifest`` of a run to ``Destination/files``
        /// (mode 0644; unchanged content is not rewritten); `nil` writes none.
        public var manifestPath: String?
        /// Whether, in a run to ``Destination/files``, a template of 1 MiB or more stays in
        /// its file (parsed in chunks, its output written from a second read, which fails
        /// the run if the file changed in place meanwhile) rather than in memory. `true` for
        /// a one-shot run; a caller that renders one plan many times (`watch`) sets `false`,
        /// so its templates stay as parsed and an edit between two refreshes cannot fail
        /// them.
        public var keepsLargeTemplatesInFile: Bool

        public init(
            environment: String?, only: [String] = [], frozen: Bool = false, deadline: Duration? = nil,
            destination: Destination = .files, manifestPath: String? = nil, keepsLargeTemplatesInFile: Bool = true
        ) {
            self.environment = environment
            self.only = only
            self.frozen = frozen
            self.deadline = deadline
            self.destination = destination
            self.manifestPath = manifestPath
            self.keepsLargeTemplatesInFile = keepsLargeTemplatesInFile
        }
    }

    /// What one successful run did. Holds secret values only in ``rendered``.
    public struct Outcome: Sendable {
        /// The (possibly frozen) plan that was rendered.
        public var plan: RenderPlan
        /// Every selected output rendered in memory, in the configuration's order. Holds
        /// secret values: never log or print it by accident.
        public var rendered: [RenderedOutput]
        /// One report per output, in order: written, unchanged, or (dry run) what would
        /// be; empty for ``Destination/memory``.
        public var reports: [OutputReport]
        /// The manifest of a run to ``Destination/files``, else `nil`.
        public var manifest: RenderManifest?
        /// The manager's counters at the end of the run (cumulative over the manager's
        /// life, so a long-running caller can take differences).
        public var stats: SecretManagerStats

        /// The names of the outputs whose files were (or, for a dry run, would be)
        /// replaced.
        public var changedOutputs: [String] { reports.filter(\.changed).map(\.name) }
    }

    /// The manager every run reads through.
    public let manager: MultiEnvironmentSecretManager
    /// Looks up `<< env "NAME" >>` actions.
    public let processEnvironment: [String: String]

    public init(manager: MultiEnvironmentSecretManager, processEnvironment: [String: String]) {
        self.manager = manager
        self.processEnvironment = processEnvironment
    }

    var renderer: Renderer { Renderer(manager: manager, processEnvironment: processEnvironment) }

    // MARK: Deadline

    /// The deadline of a run: `override` (`--timeout`), else the environment's
    /// `deadline:`, else the defaults', else none.
    public static func deadline(
        in configuration: Configuration, environment: String?, override: Duration? = nil
    ) -> Duration? {
        override ?? environment.flatMap { configuration.settings(forEnvironment: $0)?.deadline }
            ?? configuration.defaults.deadline
    }

    func deadline(_ options: Options) -> Duration? {
        Self.deadline(in: manager.configuration, environment: options.environment, override: options.deadline)
    }

    // MARK: Stages

    /// Plans the selected outputs; with `frozen`, replaces every reference's version with
    /// the one `secretsmith.lock` pins, before any Secret Manager call.
    ///
    /// - Throws: ``RenderFailure`` for planning problems or references the lock does not
    ///   pin; ``LockFileError`` when `frozen` and the lock file is missing or malformed
    ///   (all exit 65 unless a usage problem makes it 64).
    public func plan(_ options: Options) throws -> RenderPlan {
        let configuration = manager.configuration
        // A run that writes files keeps a large template in its file, not in memory: its
        // output is written from the template's file, read again in chunks.
        let plan = try RenderPlan.make(
            configuration: configuration, environment: options.environment, only: options.only,
            templatesInFileFrom: options.destination == .files && options.keepsLargeTemplatesInFile
                ? TemplateFile.inFileFrom : nil)
        guard options.frozen else { return plan }
        let path = LockFile.path(for: configuration)
        guard let lock = try LockFile.load(path: path) else {
            throw LockFileError(
                path: path, message: "--frozen reads the versions pinned in this lock file, and there is none",
                hint: "Run `secretsmith lock --env ENV` and commit \(LockFile.fileName), or run without --frozen.")
        }
        return try lock.freeze(plan, lockPath: path)
    }

    // MARK: Runs

    /// Plans, fetches, renders and writes (per `options.destination`), then writes the
    /// manifest; all inside the `render` span.
    ///
    /// - Parameter checkingPlan: called with the plan before any Secret Manager call;
    ///   what it throws ends the run.
    /// - Returns: what was rendered and done.
    /// - Throws: ``RenderFailure`` with every problem (planning, fetching, rendering:
    ///   nothing is written then), ``LockFileError``, ``DeadlineExceededError`` (nothing
    ///   written), ``OutputWriteError`` (nothing replaced), or what `checkingPlan` throws.
    public func run(
        _ options: Options, checkingPlan: (RenderPlan) throws -> Void = { _ in }
    ) async throws -> Outcome {
        // The render span: planning, every fetch, every output's rendering, the writes.
        try await withSpan(SecretsmithSpans.render) { _ in
            let plan = try self.plan(options)
            try checkingPlan(plan)
            if options.destination == .files {
                // Before anything is fetched or written: a destination the writer would
                // refuse, or a manifest that cannot be written, must not leave some outputs
                // written and the run failed.
                if let path = options.manifestPath { try RenderManifest.checkDestination(path) }
                try Self.checkDestinations(of: plan, configuration: manager.configuration)
            }
            let renderer = self.renderer
            let (values, fetchProblems) = try await renderer.fetchCollecting(plan, deadline: deadline(options))
            let rendered = try renderer.render(plan, values: values, fetchProblems: fetchProblems)
            var reports: [OutputReport] = []
            var manifest: RenderManifest?
            if options.destination != .memory {
                reports = try renderer.write(rendered, dryRun: options.destination == .dryRun)
            }
            if options.destination == .files {
                let made = RenderManifest.make(
                    plan: plan, rendered: rendered, reports: reports, environment: options.environment,
                    frozen: options.frozen)
                if let path = options.manifestPath { try made.write(to: path) }
                manifest = made
            }
            return Outcome(
                plan: plan, rendered: rendered, reports: reports, manifest: manifest, stats: await manager.stats())
        }
    }

    /// Refuses, before any Secret Manager call, every destination the writer would refuse
    /// before staging (``RenderPlan/destinationProblems(configuration:)``).
    private static func checkDestinations(of plan: RenderPlan, configuration: Configuration) throws {
        let problems = plan.destinationProblems(configuration: configuration)
        if !problems.isEmpty { throw RenderFailure(problems: problems) }
    }

    /// What `exec` needs from a run: its file outputs written, its environment outputs
    /// as variables.
    public struct ExecOutcome: Sendable {
        /// The plan of every selected output.
        public var plan: RenderPlan
        /// One report per template or JSON output written (or left unchanged).
        public var reports: [OutputReport]
        /// The variables of the dotenv, shell and docker-env-file outputs, in order.
        /// Holds secret values.
        public var variables: [(name: String, value: [UInt8])]
    }

    /// Plans, fetches every version, renders the outputs that are files and writes them
    /// all or none, and turns the outputs that feed an environment into variables
    /// (``ExecEnvironment``).
    ///
    /// - Parameter checkingPlan: called with the plan once its variables are known not to
    ///   conflict, before any Secret Manager call (`exec` looks its command up there).
    /// - Throws: as ``run(_:checkingPlan:)``; ``RenderFailure`` also for conflicting
    ///   variable names and values an environment variable cannot hold.
    public func runForExec(
        _ options: Options, checkingPlan: (RenderPlan) throws -> Void = { _ in }
    ) async throws -> ExecOutcome {
        let plan = try self.plan(options)
        let conflicts = ExecEnvironment.conflicts(in: plan)
        if !conflicts.isEmpty { throw RenderFailure(problems: conflicts) }
        try checkingPlan(plan)
        let files = plan.filter { !ExecEnvironment.feedsEnvironment($0.output.format) }
        if options.destination == .files {
            try Self.checkDestinations(of: files, configuration: manager.configuration)
        }
        let renderer = self.renderer
        let values = try await renderer.fetch(plan, deadline: deadline(options))
        var problems: [RenderProblem] = []
        var rendered: [RenderedOutput] = []
        var variables: [(name: String, value: [UInt8])] = []
        do {
            rendered = try renderer.render(files, values: values)
        } catch let failure as RenderFailure {
            problems += failure.problems
        }
        do {
            variables = try ExecEnvironment.variables(of: plan, values: values)
        } catch let failure as RenderFailure {
            problems += failure.problems
        }
        if !problems.isEmpty { throw RenderFailure(problems: problems) }
        let reports = try renderer.write(rendered, dryRun: options.destination == .dryRun)
        return ExecOutcome(plan: plan, reports: reports, variables: variables)
    }

    /// Checks everything a run would read (``Checker``), under the run's deadline.
    /// Never throws: every failure is a problem of the report.
    public func check(_ options: Options, access: Bool) async -> CheckReport {
        await Checker(manager: manager, processEnvironment: processEnvironment).check(
            .init(
                environment: options.environment, only: options.only, access: access, frozen: options.frozen,
                deadline: deadline(options)))
    }

    /// What `lock` did.
    public struct LockOutcome: Sendable {
        /// The pins of this run's environments, in file order.
        public var pins: [LockPin]
        /// The lock file's path.
        public var path: String
        /// Whether the file's content changed (and it was written).
        public var changed: Bool
        /// Every pin in the file, this run's and other environments'.
        public var pinCount: Int
    }

    /// Pins every reference of every output to the version it names now and writes
    /// `secretsmith.lock` (``Locker``, ``LockFile``), keeping other environments' pins.
    ///
    /// - Parameter unreadableLock: called when the existing lock file cannot be read; a
    ///   new one replaces it.
    /// - Throws: as ``Locker/pins(for:deadline:)``; ``OutputWriteError`` when the file
    ///   cannot be written.
    public func lock(
        _ options: Options, unreadableLock: (LockFileError) -> Void = { _ in }
    ) async throws -> LockOutcome {
        let configuration = manager.configuration
        let plan = try RenderPlan.make(configuration: configuration, environment: options.environment, only: options.only)
        let pins = try await Locker(manager: manager).pins(for: plan, deadline: deadline(options))
        let path = LockFile.path(for: configuration)
        var existing = LockFile(pins: [])
        do throws(LockFileError) {
            if let loaded = try LockFile.load(path: path) { existing = loaded }
        } catch {
            unreadableLock(error)
        }
        var environments = Set(plan.outputs.flatMap { $0.firstUses.map(\.secret.environment) })
        if let active = options.environment { environments.insert(active) }
        let lock = existing.replacing(environments: environments, with: pins)
        let changed = try lock.write(to: path)
        return LockOutcome(pins: pins, path: path, changed: changed, pinCount: lock.pins.count)
    }
}

extension MultiEnvironmentSecretManager {
    /// ``recommendedHTTPClientConfiguration(concurrency:tls:)`` with a pool as large as the
    /// largest `concurrency:` of the configuration (the defaults' or an environment's),
    /// trusting what ``TLSTrust/of(_:processEnvironment:)`` says (`tls.ca_file`,
    /// `SSL_CERT_FILE`, the system's roots).
    ///
    /// - Parameter processEnvironment: where `SSL_CERT_FILE` is read.
    public static func recommendedHTTPClientConfiguration(
        for configuration: Configuration, processEnvironment: [String: String] = ProcessInfo.processInfo.environment
    ) -> HTTPClient.Configuration {
        let concurrency = configuration.environmentNames.reduce(configuration.defaults.concurrency) {
            max($0, configuration.settings(forEnvironment: $1)?.concurrency ?? 0)
        }
        return recommendedHTTPClientConfiguration(
            concurrency: concurrency, tls: TLSTrust.of(configuration, processEnvironment: processEnvironment))
    }
}
