/// One output rendered in memory, not yet written.
public struct RenderedOutput: Sendable {
    /// The output's configuration (path, mode, symlink and directory rules).
    public var output: OutputConfiguration
    /// The mode the file is written with (the output's `mode`, else the layers' `file_mode`).
    public var mode: FileMode
    /// The content as written: for a template, the template's text and the value of each
    /// action as separate pieces, written to the file one after the other.
    package var content: OutputContent
    /// The version each reference resolved to, by reference text (for manifests and
    /// lock files; no values).
    public var resolvedVersions: [String: Int]

    package init(output: OutputConfiguration, mode: FileMode, content: OutputContent, resolvedVersions: [String: Int]) {
        self.output = output
        self.mode = mode
        self.content = content
        self.resolvedVersions = resolvedVersions
    }

    /// The bytes to write, in one buffer. Holds secret values: never log or print it by
    /// accident.
    ///
    /// A template's output is kept as pieces (slices of the template and the values of its
    /// actions) and written to its file from them; reading this property joins them into
    /// a new buffer of ``byteCount`` bytes each time. A large template rendered for files
    /// is kept in its file, not in memory: reading this property reads the file again,
    /// and gives an empty array if the file no longer holds the bytes parsed (edited in
    /// place since). Setting it replaces the content.
    public var bytes: [UInt8] {
        get { content.joined }
        set { content = OutputContent(newValue) }
    }

    /// The size of the content in bytes, without joining it.
    public var byteCount: Int { content.count }
}
