/// What happened (or, for a preview, would happen) to one output file.
package struct OutputWriteResult: Sendable, Hashable {
    /// Whether the file was replaced.
    package enum Status: String, Sendable, Hashable {
        /// The file was written (created or replaced); in a preview: would be.
        case written
        /// The file already had these bytes, this mode and owner, and was not touched
        /// (its mtime stays).
        case unchanged
    }

    /// The path that was written: the requested path, or a symbolic link's final target
    /// when links are followed.
    package let path: String
    /// The permission bits of the file, e.g. `0o600`.
    package let mode: UInt32
    /// The size of the content, in bytes.
    package let byteCount: Int
    /// Whether the file was written or left unchanged.
    package let status: Status

    package init(path: String, mode: UInt32, byteCount: Int, status: Status) {
        self.path = path
        self.mode = mode
        self.byteCount = byteCount
        self.status = status
    }
}
