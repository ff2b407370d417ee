/// A JSON pointer does not match a secret's payload (or the payload is not JSON).
///
/// The message names the pointer and the path that was reached, never payload content.
public struct JSONPointerError: SecretsmithError, Hashable {
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
