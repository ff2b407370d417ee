#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An output file that could not be written.
///
/// Kind `.cannotCreate` (exit 73) for every failure of the file system, naming the path and
/// the operating system's reason, and for a destination that is a symbolic link without
/// `follow_symlinks` (the path cannot be written as configured), and for a large template
/// whose file changed while its output was written from it; kind `.configuration`
/// (exit 65) for a mode that grants access to others without `allow_world_readable` (or has
/// bits beyond `0777`), which the configuration should not have allowed.
public struct OutputWriteError: SecretsmithError, Equatable {
    /// What went wrong.
    ///
    /// A struct with static members rather than an enum, so that codes can be added
    /// without breaking callers: compare with `==` or switch with a `default:` case.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Base: String, Hashable, Sendable {
            case symbolicLinkRefused = "SYMBOLIC_LINK_REFUSED"
            case worldAccessibleMode = "WORLD_ACCESSIBLE_MODE"
            case invalidMode = "INVALID_MODE"
            case notRegularFile = "NOT_REGULAR_FILE"
            case missingDirectory = "MISSING_DIRECTORY"
            case unknownUser = "UNKNOWN_USER"
            case unknownGroup = "UNKNOWN_GROUP"
            case shuttingDown = "SHUTTING_DOWN"
            case systemCallFailed = "SYSTEM_CALL_FAILED"
            case templateChanged = "TEMPLATE_CHANGED"
        }

        fileprivate let base: Base
        private init(_ base: Base) { self.base = base }

        /// The code's name in `UPPER_SNAKE_CASE`, the error's ``shortDescription``.
        public var description: String { base.rawValue }

        /// The destination is a symbolic link and `follow_symlinks` is false.
        public static let symbolicLinkRefused = Code(.symbolicLinkRefused)

        /// The mode grants access to others and `allow_world_readable` is false.
        public static let worldAccessibleMode = Code(.worldAccessibleMode)

        /// The mode has bits outside `0777`.
        public static let invalidMode = Code(.invalidMode)

        /// The destination exists and is not a regular file.
        public static let notRegularFile = Code(.notRegularFile)

        /// The parent directory is missing and `create_dirs` is false.
        public static let missingDirectory = Code(.missingDirectory)

        /// The owner is not a user on this system.
        public static let unknownUser = Code(.unknownUser)

        /// The group is not a group on this system.
        public static let unknownGroup = Code(.unknownGroup)

        /// A termination signal removed the staged files.
        public static let shuttingDown = Code(.shuttingDown)

        /// A system call failed; the description names it and the operating system's reason.
        public static let systemCallFailed = Code(.systemCallFailed)

        /// The output's template file changed between its parse and the write that reads
        /// it again (a large template is not kept in memory); the description names it.
        public static let templateChanged = Code(.templateChanged)
    }

    /// Why the file could not be written.
    package enum Reason: Sendable, Hashable {
        /// The destination is a symbolic link and `follow_symlinks` is false.
        case symbolicLinkRefused
        /// The mode grants access to others and `allow_world_readable` is false.
        case worldAccessibleMode(UInt32)
        /// The mode has bits outside `0777`.
        case invalidMode(UInt32)
        /// The destination exists and is not a regular file (a directory, a socket, …).
        case notRegularFile
        /// The parent directory is missing and `create_dirs` is false.
        case missingDirectory(String)
        /// The owner is neither a user name on this system nor a numeric id.
        case unknownUser(String)
        /// The group is neither a group name on this system nor a numeric id.
        case unknownGroup(String)
        /// A termination signal removed the staged files; nothing more is written.
        case shuttingDown
        /// A system call failed: what was being done, and `errno`.
        case system(operation: String, errno: Int32)
        /// The template file at this path (read again while writing, as a large template
        /// is not kept in memory) no longer holds the bytes parsed: edited, truncated or
        /// unreadable since.
        case templateChanged(String)
    }

    /// The output path concerned (as requested, or the link target being written).
    public let path: String
    /// Why it could not be written.
    package let reason: Reason

    package init(path: String, reason: Reason) {
        self.path = path
        self.reason = reason
    }

    /// Builds a `.system` error from the current `errno`.
    static func system(_ path: String, _ operation: String, errno code: Int32 = errno) -> OutputWriteError {
        OutputWriteError(path: path, reason: .system(operation: operation, errno: code))
    }

    public var kind: FailureKind {
        switch reason {
        case .worldAccessibleMode, .invalidMode: .configuration
        default: .cannotCreate
        }
    }

    /// What went wrong, from the reason.
    public var code: Code {
        switch reason {
        case .symbolicLinkRefused: .symbolicLinkRefused
        case .worldAccessibleMode: .worldAccessibleMode
        case .invalidMode: .invalidMode
        case .notRegularFile: .notRegularFile
        case .missingDirectory: .missingDirectory
        case .unknownUser: .unknownUser
        case .unknownGroup: .unknownGroup
        case .shuttingDown: .shuttingDown
        case .system: .systemCallFailed
        case .templateChanged: .templateChanged
        }
    }

    /// The code's name (`SYMBOLIC_LINK_REFUSED`, ...), a bounded label.
    public var shortDescription: String { code.description }

    public var description: String {
        switch reason {
        case .symbolicLinkRefused:
            return "Refusing to write \"\(path)\": it is a symbolic link; set follow_symlinks: true to write to its target."
        case .worldAccessibleMode(let mode):
            return "Refusing to write \"\(path)\" with mode \(Self.octal(mode)): it grants access to others; set allow_world_readable: true if that is intended."
        case .invalidMode(let mode):
            return "Refusing to write \"\(path)\" with mode \(Self.octal(mode)): only permission bits (0777) are allowed."
        case .notRegularFile:
            return "Cannot write \"\(path)\": it exists and is not a regular file."
        case .missingDirectory(let directory):
            return "Cannot write \"\(path)\": the directory \"\(directory)\" does not exist and create_dirs is false."
        case .unknownUser(let name):
            return "Cannot write \"\(path)\": the owner \"\(name)\" is not a user on this system."
        case .unknownGroup(let name):
            return "Cannot write \"\(path)\": the group \"\(name)\" is not a group on this system."
        case .shuttingDown:
            return "Cannot write \"\(path)\": secretsmith is stopping on a signal."
        case .system(let operation, let code):
            return "Cannot write \"\(path)\": \(operation) failed: \(String(cString: strerror(code)))."
        case .templateChanged(let template):
            return "Cannot write \"\(path)\": its template \"\(template)\" changed while it was being rendered "
                + "(its size or bytes differ from when it was read); no output was replaced. Render again once it is saved."
        }
    }

    /// `0o640` as `"0640"`.
    static func octal(_ mode: UInt32) -> String {
        let digits = String(mode, radix: 8)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }
}
