/// The kind of a failure, which decides the process exit status of the CLI.
///
/// The numbers follow BSD `sysexits.h`, as documented in the README's exit-code table.
public enum FailureKind: Int32, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// 64 (`EX_USAGE`): the command line was wrong.
    case usage = 64
    /// 65 (`EX_DATAERR`): the configuration file or a template is invalid.
    case configuration = 65
    /// 66 (`EX_NOINPUT`): a referenced secret, version or project does not exist or is not ENABLED.
    case notFound = 66
    /// 69 (`EX_UNAVAILABLE`): Secret Manager is unavailable, or the circuit breaker is open.
    case unavailable = 69
    /// 70 (`EX_SOFTWARE`): an internal error (a bug, or an answer that breaks the wire contract).
    case internalError = 70
    /// 73 (`EX_CANTCREAT`): an output file could not be created or written.
    case cannotCreate = 73
    /// 77 (`EX_NOPERM`): permission denied or authentication failed.
    case permission = 77

    /// The process exit status for this kind.
    public var exitCode: Int32 { rawValue }

    /// How severe the kind is when several failures are reported together
    /// (`check` exits with the most severe one). Higher is more severe.
    public var severity: Int {
        switch self {
        case .usage: 7
        case .internalError: 6
        case .configuration: 5
        case .permission: 4
        case .notFound: 3
        case .unavailable: 2
        case .cannotCreate: 1
        }
    }

    public var description: String {
        switch self {
        case .usage: "usage error"
        case .configuration: "configuration error"
        case .notFound: "not found"
        case .unavailable: "unavailable"
        case .internalError: "internal error"
        case .cannotCreate: "cannot create output"
        case .permission: "permission denied"
        }
    }
}

/// An error that secretsmith reports to a user.
///
/// `description` is a whole sentence a user can act on. It names files, positions, keys
/// and references, and never contains a secret value.
public protocol SecretsmithError: Error, CustomStringConvertible, Sendable {
    /// The kind of failure, which picks the CLI's exit status.
    var kind: FailureKind { get }
}
