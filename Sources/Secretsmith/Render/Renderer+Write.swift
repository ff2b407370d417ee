import Tracing

/// What a render did (or, for a dry run, would do) to one output file. Holds no value.
public struct OutputReport: Sendable, Hashable {
    /// The output's name.
    public var name: String
    /// The path written (a symbolic link's target when links are followed).
    public var path: String
    /// The permission bits, e.g. `0o600`.
    public var mode: UInt32
    /// The content's size in bytes.
    public var byteCount: Int
    /// Whether the content differed, so the file was (or would be) replaced.
    public var changed: Bool

    /// One line for the terminal: `written out/app.env (0600, 123 bytes)`.
    public func summary(dryRun: Bool) -> String {
        let verb = changed ? (dryRun ? "would write" : "written") : "unchanged"
        let shown = FileMode(rawValue: mode)?.description ?? String(mode, radix: 8)
        return "\(verb) \(path) (\(shown), \(byteCount) bytes)"
    }
}

extension Renderer {
    /// Writes every rendered output atomically, all or nothing: each file is staged in a
    /// temporary file with its final mode, fsynced, and only when every output is staged
    /// are they renamed over their destinations. A file whose content, mode and owner
    /// would not change is left alone (its mtime stays).
    ///
    /// - Parameter dryRun: report what would happen and touch nothing.
    /// - Returns: one report per output, in order.
    /// - Throws: ``OutputWriteError`` (exit 73, naming the path) when a file cannot be
    ///   created or written; nothing was replaced then and no temporary file remains.
    package func write(_ rendered: [RenderedOutput], dryRun: Bool) throws -> [OutputReport] {
        try withSpan(SecretsmithSpans.writeOutputs) { span in
            span.attributes["secretsmith.outputs"] = rendered.count
            span.attributes["secretsmith.dry_run"] = dryRun
            let reports = try writeUnobserved(rendered, dryRun: dryRun)
            span.attributes["secretsmith.outputs.written"] = reports.filter(\.changed).count
            if !dryRun {
                for report in reports { SecretsmithMetrics.recordOutput(name: report.name, written: report.changed) }
            }
            return reports
        }
    }

    private func writeUnobserved(_ rendered: [RenderedOutput], dryRun: Bool) throws -> [OutputReport] {
        let writer = AtomicFileWriter()
        let requests = rendered.map { output in
            (path: output.output.path, content: output.content, options: Self.options(for: output))
        }
        let results: [OutputWriteResult]
        if dryRun {
            results = try requests.map { try writer.preview($0.content, to: $0.path, options: $0.options) }
        } else {
            let written = try writer.writeCounting(requests)
            results = written.results
            if written.staleTemporaryFilesRemoved > 0 {
                // A count only: the names say which outputs, and the files held values.
                manager.logger.info(
                    "removed stale temporary files left by an interrupted run",
                    metadata: ["count": "\(written.staleTemporaryFilesRemoved)"])
            }
        }
        return zip(rendered, results).map { output, result in
            OutputReport(
                name: output.output.name, path: result.path, mode: result.mode, byteCount: result.byteCount,
                changed: result.status == .written)
        }
    }

    static func options(for output: RenderedOutput) -> WriteOptions {
        WriteOptions(
            mode: output.mode.rawValue, followSymlinks: output.output.followSymlinks,
            createDirectories: output.output.createDirectories, owner: output.output.owner,
            group: output.output.group, allowWorldReadable: output.output.allowWorldReadable,
            atomicDirectory: output.output.atomicDirectory)
    }
}
