/// One output prepared by ``AtomicFileWriter/stage(_:to:options:)``: either a complete,
/// fsynced temporary file next to its destination, waiting for
/// ``AtomicFileWriter/commit(_:)`` or ``AtomicFileWriter/discard(_:)``, or a destination
/// that already has the content and needs nothing.
package struct StagedOutput: Sendable, Hashable {
    /// The path as requested.
    package let requestedPath: String
    /// The path the temporary file will be renamed to (a link's target when following).
    package let destination: String
    /// The temporary file, `.<name>.secretsmith-<random>.tmp` in the destination's
    /// directory; nil when the destination is unchanged.
    package let temporaryPath: String?
    /// The file's permission bits.
    package let mode: UInt32
    /// The size of the content, in bytes.
    package let byteCount: Int
    /// The directories staging created for it, outermost first; removed again (when
    /// empty) if the write is discarded.
    package var createdDirectories: [String] = []
    /// How many stale temporary files of this destination (left by a killed run) staging
    /// removed.
    package var staleTemporaryFilesRemoved = 0

    /// Whether the destination already holds this content and needs no rename.
    package var isUnchanged: Bool { temporaryPath == nil }

    /// The result this output reports once committed.
    package var result: OutputWriteResult {
        OutputWriteResult(path: destination, mode: mode, byteCount: byteCount, status: isUnchanged ? .unchanged : .written)
    }
}
