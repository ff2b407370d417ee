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

    /// A bounded label for metrics and spans (`USAGE`, `CONFIGURATION`, `NOT_FOUND`,
    /// `UNAVAILABLE`, `INTERNAL`, `CANNOT_CREATE`, `PERMISSION`): the ``SecretsmithError/shortDescription``
    /// of an error that has no finer code.
    public var shortDescription: String {
        switch self {
        case .usage: "USAGE"
        case .configuration: "CONFIGURATION"
        case .notFound: "NOT_FOUND"
        case .unavailable: "UNAVAILABLE"
        case .internalError: "INTERNAL"
        case .cannotCreate: "CANNOT_CREATE"
        case .permission: "PERMISSION"
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
/// and references, and never contains a secret value. A program switches on the error's
/// type and its `code` (each public error type has one: a struct with static members, so
/// new codes can be added without breaking a `switch` that has a `default:`), never on the
/// description.
public protocol SecretsmithError: Error, CustomStringConvertible, Sendable {
    /// The kind of failure, which picks the CLI's exit status.
    var kind: FailureKind { get }
    /// A label from a fixed vocabulary in `UPPER_SNAKE_CASE` (`NOT_FOUND`,
    /// `INVALID_CONFIGURATION`, `AUTHENTICATION`, ...), safe for a metric label or a span's
    /// `error.type`: it holds no value, path, reference or server message.
    var shortDescription: String { get }
    /// The error this one was made from (a transport or file-system failure), when there is one.
    var underlyingError: (any Error)? { get }
}

extension SecretsmithError {
    /// The kind's label (``FailureKind/shortDescription``), for an error without a finer code.
    public var shortDescription: String { kind.shortDescription }
    /// `nil`: most errors are secretsmith's own findings, not wrappers.
    public var underlyingError: (any Error)? { nil }
}

/// A bounded label for any error: a ``SecretsmithError``'s ``SecretsmithError/shortDescription``,
/// `CANCELLED` for cancellation, else the error's type name (a fixed set: the types a build
/// contains). For metric labels, span and log attributes.
package func shortDescription(of error: any Error) -> String {
    switch error {
    case let error as any SecretsmithError: error.shortDescription
    case is CancellationError: "CANCELLED"
    default: String(describing: type(of: error))
    }
}
