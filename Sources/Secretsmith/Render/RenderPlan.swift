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
    public struct PlannedReference: Sendable {
        /// The reference as written.
        public var text: String
        public var reference: SecretReference
        /// The effective settings and resource name.
        public var secret: SecretConfig
        public var site: ReferenceSite
        /// The key that identifies the version to fetch: one fetch per distinct key.
        public var fetchKey: FetchKey { FetchKey(environment: secret.environment, versionName: secret.versionName) }
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
        /// Its references in order of appearance (for `values:` outputs, in key order).
        public var references: [PlannedReference]
    }

    /// The selected outputs, in the configuration's order.
    public var outputs: [PlannedOutput]

    /// The distinct versions to fetch, each with the settings of its first use.
    public var distinctSecrets: [FetchKey: SecretConfig] {
        var result: [FetchKey: SecretConfig] = [:]
        for output in outputs {
            for reference in output.references where result[reference.fetchKey] == nil {
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
        var problems: [RenderProblem] = []
        let known = Set(configuration.outputs.map(\.name))
        for name in only where !known.contains(name) {
            let hint = Suggestions.closest(to: name, in: Array(known)).map { "; did you mean \"\($0)\"?" } ?? ""
            problems.append(
                RenderProblem(
                    site: nil, reference: nil,
                    error: PlanError(message: "\(configuration.file): there is no output named \"\(name)\"\(hint)")))
        }
        let selected = configuration.outputs.filter { only.isEmpty || only.contains($0.name) }
        var pathOwners: [String: String] = [:]
        for output in selected {
            if let first = pathOwners[output.path] {
                problems.append(
                    RenderProblem(
                        site: nil, reference: nil,
                        error: ConfigurationError(
                            file: configuration.file, mark: output.mark, keyPath: "outputs.\(output.name).path",
                            message: "outputs \"\(first)\" and \"\(output.name)\" both write \(output.path)")))
            } else {
                pathOwners[output.path] = output.name
            }
        }
        var outputs: [PlannedOutput] = []
        for output in selected {
            let active = output.environment ?? environment
            var planned = PlannedOutput(output: output, environment: active, template: nil, references: [])
            var sites: [(text: String, site: ReferenceSite)] = []
            if output.format == .template, let templatePath = output.template {
                do {
                    let bytes = try TemplateFile.read(templatePath)
                    let template = try Template.parse(bytes, path: templatePath)
                    planned.template = template
                    for (text, mark) in template.secretReferences {
                        sites.append((text, ReferenceSite(file: templatePath, mark: mark, output: output.name, key: nil)))
                    }
                } catch {
                    problems.append(RenderProblem(site: nil, reference: nil, error: UnexpectedError.wrap(error)))
                }
            } else {
                for value in output.values {
                    sites.append(
                        (value.reference,
                         ReferenceSite(file: configuration.file, mark: value.mark, output: output.name, key: value.key)))
                }
            }
            for (text, site) in sites {
                do {
                    let reference = try SecretReference.parse(text)
                    let secret = try configuration.resolve(reference, activeEnvironment: active)
                    planned.references.append(
                        PlannedReference(text: text, reference: reference, secret: secret, site: site))
                } catch {
                    problems.append(RenderProblem(site: site, reference: text, error: UnexpectedError.wrap(error)))
                }
            }
            outputs.append(planned)
        }
        if !problems.isEmpty { throw RenderFailure(problems: problems) }
        return RenderPlan(outputs: outputs)
    }
}

/// A planning problem that is not about one reference (an unknown `--only` name).
struct PlanError: SecretsmithError {
    var message: String
    var kind: FailureKind { .usage }
    var description: String { message }
}

/// Reads template files with a size limit.
enum TemplateFile {
    /// The largest template accepted, in bytes (256 MiB).
    static let maxBytes = 256 << 20

    /// - Throws: ``TemplateReadError`` (`.configuration`) naming the path and the reason.
    static func read(_ path: String) throws -> [UInt8] {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            let reason = FileManager.default.fileExists(atPath: path) ? "it cannot be read" : "it does not exist"
            throw TemplateReadError(path: path, reason: reason)
        }
        defer { try? handle.close() }
        let data = (try? handle.readToEnd()) ?? Data()
        guard data.count <= maxBytes else {
            throw TemplateReadError(path: path, reason: "it is larger than \(maxBytes) bytes")
        }
        return [UInt8](data)
    }
}

/// A template file could not be read.
struct TemplateReadError: SecretsmithError {
    var path: String
    var reason: String
    var kind: FailureKind { .configuration }
    var description: String { "template \(path): \(reason)" }
}
