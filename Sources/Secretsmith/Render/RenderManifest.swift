import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What one `render` did, for make and deploy scripts (`render --manifest PATH`): every
/// output with its path, mode, size, whether it was written or left unchanged, and the
/// version each of its references resolved to. Never a value.
///
/// The content depends only on what was rendered (no timestamps), so a manifest whose
/// render changed nothing is itself left unchanged, mtime included.
public struct RenderManifest: Sendable, Hashable, Encodable {
    /// One reference of one output.
    public struct Reference: Sendable, Hashable, Encodable {
        /// The reference as written.
        public var reference: String
        /// The environment it resolved in.
        public var environment: String
        /// The version resource requested (with `--frozen`, the locked version).
        public var resource: String
        /// The version number Secret Manager read.
        public var version: Int?
    }

    /// One output.
    public struct Output: Sendable, Hashable, Encodable {
        public var name: String
        public var format: String
        /// The path written (a symbolic link's target when links are followed).
        public var path: String
        /// Four octal digits.
        public var mode: String
        /// The content's size in bytes.
        public var bytes: Int
        /// `written` or `unchanged`.
        public var status: String
        /// Distinct references in order of first appearance.
        public var references: [Reference]
    }

    /// The manifest format's version.
    public var manifestVersion = 1
    /// The active environment of the render, if any.
    public var environment: String?
    /// Whether versions came from the lock file.
    public var frozen: Bool
    /// The outputs, in the configuration's order.
    public var outputs: [Output]

    enum CodingKeys: String, CodingKey {
        case manifestVersion = "manifest_version", environment, frozen, outputs
    }

    /// Builds the manifest of a finished render.
    ///
    /// - Parameters:
    ///   - plan: the (possibly frozen) plan that was rendered.
    ///   - rendered: ``Renderer/render(_:values:)``'s outputs.
    ///   - reports: ``Renderer/write(_:dryRun:)``'s reports, in the same order.
    public static func make(
        plan: RenderPlan, rendered: [RenderedOutput], reports: [OutputReport], environment: String?, frozen: Bool
    ) -> RenderManifest {
        var outputs: [Output] = []
        for (output, report) in zip(rendered, reports) {
            let planned = plan.outputs.first { $0.output.name == output.output.name }
            var references: [Reference] = []
            var seen = Set<String>()
            for reference in planned?.firstUses ?? [] where seen.insert(reference.text).inserted {
                references.append(
                    Reference(
                        reference: reference.text, environment: reference.secret.environment,
                        resource: reference.secret.versionName, version: output.resolvedVersions[reference.text]))
            }
            outputs.append(
                Output(
                    name: report.name, format: output.output.format.rawValue, path: report.path,
                    mode: FileMode(rawValue: report.mode)?.description ?? String(report.mode, radix: 8),
                    bytes: report.byteCount, status: report.changed ? "written" : "unchanged", references: references))
        }
        return RenderManifest(environment: environment, frozen: frozen, outputs: outputs)
    }

    /// Pretty-printed JSON with sorted keys and a final newline.
    public func encoded() -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return [UInt8]((try? encoder.encode(self)) ?? Data()) + [0x0A]
    }

    /// The options the manifest is written with.
    static let writeOptions = WriteOptions(mode: 0o644, allowWorldReadable: true)

    /// Checks, before any output is written, that the manifest can be written at `path`:
    /// the checks the writer makes before staging (an existing destination is a regular
    /// file and not a symbolic link, the parent is a directory or can be created, at most
    /// ``FilePaths/maximumLinks`` links deep), and that the deepest existing directory
    /// accepts a new entry (a probe directory is created there and removed at once, so
    /// `/proc/nope/m.json` fails here, not after the outputs are written).
    ///
    /// - Throws: ``OutputWriteError`` (exit 73) naming the path, or a
    ///   ``ManifestDestinationError`` (exit 73) for a symbolic link, which `--manifest`
    ///   never follows.
    package static func checkDestination(_ path: String) throws {
        let checked = Result { () throws(OutputWriteError) in
            try AtomicFileWriter().checkDestination(path, options: writeOptions)
        }
        if case .failure(let error) = checked {
            guard error.reason == .symbolicLinkRefused else { throw error }
            throw ManifestDestinationError(
                message: "Cannot write --manifest '\(path)': it is a symbolic link, which --manifest does not follow; "
                    + "give the path of the file itself.")
        }
    }

    /// Writes the manifest atomically with mode 0644 (it holds no value); an unchanged
    /// manifest is not rewritten.
    ///
    /// - Returns: true when the file was written.
    /// - Throws: ``OutputWriteError`` (exit 73) naming the path.
    @discardableResult
    package func write(to path: String) throws(OutputWriteError) -> Bool {
        return try AtomicFileWriter().write([(path: path, bytes: encoded(), options: Self.writeOptions)])[0].status == .written
    }
}

/// A `--manifest` destination that cannot be used as given (exit 73).
package struct ManifestDestinationError: SecretsmithError {
    package var message: String
    package var kind: FailureKind { .cannotCreate }
    package var description: String { message }
}
