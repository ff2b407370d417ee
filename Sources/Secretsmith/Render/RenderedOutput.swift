/// One output rendered in memory, not yet written.
public struct RenderedOutput: Sendable {
    /// The output's configuration (path, mode, symlink and directory rules).
    public var output: OutputConfiguration
    /// The mode the file is written with (the output's `mode`, else the layers' `file_mode`).
    public var mode: FileMode
    /// The bytes to write. Holds secret values: never log or print it by accident.
    public var bytes: [UInt8]
    /// The version each reference resolved to, by reference text (for manifests and
    /// lock files; no values).
    public var resolvedVersions: [String: Int]
}
