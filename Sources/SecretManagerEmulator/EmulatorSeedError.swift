import Secretsmith
import YAML

/// A seed file that cannot be read or is not a valid seed.
///
/// `description` is `file:line:column: message` (position when known), the form editors
/// and compilers use. Messages name keys and positions, never a payload.
public struct EmulatorSeedError: SecretsmithError, Equatable {
    /// The seed file's path, as given.
    public var file: String
    /// Where in the file the problem is, when known.
    public var mark: Mark?
    /// What is wrong, as a sentence fragment.
    public var message: String
    /// `.configuration` for an invalid seed, `.notFound` for an unreadable file.
    public var kind: FailureKind

    public init(file: String, mark: Mark?, message: String, kind: FailureKind = .configuration) {
        self.file = file
        self.mark = mark
        self.message = message
        self.kind = kind
    }

    public var description: String {
        if let mark {
            return "\(file):\(mark.line):\(mark.column): \(message)."
        }
        return "\(file): \(message)."
    }
}
