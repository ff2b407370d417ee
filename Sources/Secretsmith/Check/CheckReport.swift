import Foundation

/// What `secretsmith check` found: every problem and every version it looked at.
public struct CheckReport: Sendable, Encodable {
    /// One distinct secret version that was checked.
    public struct CheckedVersion: Sendable, Hashable, Encodable {
        public var environment: String
        /// The version resource checked (with `--frozen`, the locked version).
        public var resource: String
        /// The number it resolved to, when Secret Manager answered.
        public var version: Int?
        /// `ENABLED`, `DISABLED`, `DESTROYED`, or `nil` when the lookup failed.
        public var state: String?
        /// Whether the payload was read too (`--access`) and passed its checksum.
        public var accessed: Bool
        /// How many reference sites use it.
        public var references: Int
    }

    /// Errors and warnings, errors first in the order found, then warnings.
    public var problems: [CheckProblem]
    /// The versions checked, sorted by environment and resource.
    public var versions: [CheckedVersion]
    /// How many outputs were checked.
    public var outputs: Int
    /// Whether payloads were read (`--access`).
    public var access: Bool
    /// Whether versions came from the lock file (`--frozen`).
    public var frozen: Bool

    public init(problems: [CheckProblem], versions: [CheckedVersion], outputs: Int, access: Bool, frozen: Bool) {
        self.problems = problems
        self.versions = versions
        self.outputs = outputs
        self.access = access
        self.frozen = frozen
    }

    /// The error findings.
    public var errors: [CheckProblem] { problems.filter { $0.severity == .error } }
    /// The warning findings.
    public var warnings: [CheckProblem] { problems.filter { $0.severity == .warning } }

    /// The most severe kind among the errors (``FailureKind/severity``), or `nil` when
    /// there are none.
    public var kind: FailureKind? {
        errors.compactMap(\.kind).max { $0.severity < $1.severity }
    }

    /// The process exit status: 0 without errors, else the most severe error's code.
    public var exitCode: Int32 { kind?.exitCode ?? 0 }

    /// The text report: one line per problem (a cause shared by several problems once,
    /// then the places it affects; see ``CheckProblem/lines(_:unlocatedPrefix:)``), then a
    /// summary line.
    public var text: String {
        var lines = CheckProblem.lines(problems)
        let enabled = versions.filter { $0.state == "ENABLED" }.count
        var summary = "checked \(versions.count) secret version\(versions.count == 1 ? "" : "s") "
            + "(\(enabled) ENABLED) for \(outputs) output\(outputs == 1 ? "" : "s")"
        if access { summary += ", payloads read and verified" }
        if frozen { summary += ", locked versions" }
        let errorCount = errors.count, warningCount = warnings.count
        summary += ": \(errorCount) error\(errorCount == 1 ? "" : "s"), \(warningCount) warning\(warningCount == 1 ? "" : "s")"
        if let kind { summary += " (exit \(kind.exitCode), \(kind))" }
        lines.append(summary)
        return lines.joined(separator: "\n") + "\n"
    }

    /// The JSON report (pretty-printed, keys sorted), with `ok` and `exit_code`.
    public var json: [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(JSONShape(report: self))) ?? Data()
        return [UInt8](data) + [0x0A]
    }

    private struct JSONShape: Encodable {
        var report: CheckReport

        enum CodingKeys: String, CodingKey {
            case ok, exitCode = "exit_code", problems, causes, versions, outputs, access, frozen
        }

        /// One distinct cause: its message once, and the indices (into `problems`) of the
        /// problems it explains.
        struct Cause: Encodable {
            var severity: CheckProblem.Severity
            var message: String
            var problems: [Int]
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(report.errors.isEmpty, forKey: .ok)
            try container.encode(report.exitCode, forKey: .exitCode)
            try container.encode(report.problems, forKey: .problems)
            let causes = CheckProblem.causes(report.problems).map { indices in
                let first = report.problems[indices[0]]
                return Cause(severity: first.severity, message: first.cause ?? first.message, problems: indices)
            }
            try container.encode(causes, forKey: .causes)
            try container.encode(report.versions, forKey: .versions)
            try container.encode(report.outputs, forKey: .outputs)
            try container.encode(report.access, forKey: .access)
            try container.encode(report.frozen, forKey: .frozen)
        }
    }
}
