/// How one output file is written by ``AtomicFileWriter``.
package struct WriteOptions: Sendable, Hashable {
    /// The file's permission bits, e.g. `0o600`; applied exactly with `fchmod`, whatever
    /// the umask. Only the bits `0o777` are accepted.
    package var mode: UInt32
    /// Write through a destination that is a symbolic link, to its final target
    /// (`follow_symlinks`). When false, such a destination is refused.
    package var followSymlinks: Bool
    /// Create missing parent directories with mode `0700` (`create_dirs`, default true).
    package var createDirectories: Bool
    /// The owning user, as a name or a numeric id (`owner`); nil keeps the writer's own.
    package var owner: String?
    /// The owning group, as a name or a numeric id (`group`); nil keeps the default group.
    package var group: String?
    /// Allow a mode that grants any access to others (`allow_world_readable`). The
    /// configuration refuses such modes first; this repeats the check where the file is made.
    package var allowWorldReadable: Bool
    /// Write the file into a timestamped directory switched through a `..data` link, with
    /// the other such outputs of its directory, as one unit (`atomic_dir`); see
    /// ``DataDirectory``.
    package var atomicDirectory: Bool

    /// - Parameters:
    ///   - mode: Permission bits, `0o000`–`0o777`; default `0o600`.
    ///   - followSymlinks: See ``followSymlinks``; default false.
    ///   - createDirectories: See ``createDirectories``; default true.
    ///   - owner: A user name or numeric uid; default nil.
    ///   - group: A group name or numeric gid; default nil.
    ///   - allowWorldReadable: See ``allowWorldReadable``; default false.
    package init(
        mode: UInt32 = 0o600,
        followSymlinks: Bool = false,
        createDirectories: Bool = true,
        owner: String? = nil,
        group: String? = nil,
        allowWorldReadable: Bool = false,
        atomicDirectory: Bool = false
    ) {
        self.atomicDirectory = atomicDirectory
        self.mode = mode
        self.followSymlinks = followSymlinks
        self.createDirectories = createDirectories
        self.owner = owner
        self.group = group
        self.allowWorldReadable = allowWorldReadable
    }
}
