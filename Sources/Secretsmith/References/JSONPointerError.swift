/// A JSON pointer does not match a secret's payload (or the payload is not JSON).
///
/// The message names the pointer and the path that was reached, never payload content.
public struct JSONPointerError: SecretsmithError, Hashable {
    /// What is wrong.
    ///
    /// A struct with static members rather than an enum, so that codes can be added
    /// without breaking callers: compare with `==` or switch with a `default:` case.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Base: String, Hashable, Sendable {
            case pointerNotMatched = "JSON_POINTER_NOT_MATCHED"
        }

        fileprivate let base: Base
        private init(_ base: Base) { self.base = base }

        /// The code's name in `UPPER_SNAKE_CASE`.
        public var description: String { base.rawValue }

        /// The pointer selects nothing in the payload, or the payload is not JSON.
        public static let pointerNotMatched = Code(.pointerNotMatched)
    }

    /// What is wrong.
    public var code: Code = .pointerNotMatched
    public var shortDescription: String { code.description }

    /// The pointer as written (`/db/password`).
    public var pointer: String
    /// What went wrong (no trailing period).
    public var message: String

    public init(pointer: String, message: String) {
        self.pointer = pointer
        self.message = message
    }

    public var kind: FailureKind { .configuration }

    public var description: String { "JSON pointer \"#\(pointer)\": \(message)." }
}
