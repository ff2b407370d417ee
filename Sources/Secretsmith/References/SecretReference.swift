/// A reference to a secret version: `ENV/PROJECT/SECRET[@VERSION][#POINTER]`, or
/// `PROJECT/SECRET[@VERSION][#POINTER]` relative to the active environment (README "References").
///
/// `ENV`, `PROJECT` and `SECRET` are letters, digits, `_`, `-` and `.`; `VERSION` is a
/// positive number, `latest`, or an alias (`[A-Za-z][A-Za-z0-9_-]*`); `POINTER` is an
/// RFC 6901 JSON pointer in its plain string form (`#/db/password`, no percent-decoding).
public struct SecretReference: Sendable, Hashable, CustomStringConvertible {
    /// The environment, or `nil` for a relative reference.
    public var environment: String?
    /// The project alias (a key under `projects:`).
    public var project: String
    /// The secret name (a key under `secrets:`, or an undeclared secret id).
    public var secret: String
    /// The version written after `@`, or `nil` (the layers decide, else `latest`).
    public var version: String?
    /// The JSON pointer written after `#`, or `nil`.
    public var pointer: JSONPointer?

    public init(environment: String? = nil, project: String, secret: String, version: String? = nil, pointer: JSONPointer? = nil) {
        self.environment = environment
        self.project = project
        self.secret = secret
        self.version = version
        self.pointer = pointer
    }

    /// Parses a reference.
    ///
    /// - Throws: `ReferenceError` naming the text: empty, not two or three `/`-separated
    ///   names, an empty or ill-formed name, an empty or invalid version, an empty or
    ///   ill-formed pointer.
    public static func parse(_ text: String) throws(ReferenceError) -> SecretReference {
        func failure(_ message: String, hint: String? = nil) -> ReferenceError {
            ReferenceError(reference: text, message: message, hint: hint)
        }
        let form = "Write PROJECT/SECRET or ENV/PROJECT/SECRET, optionally followed by @VERSION and #/json/pointer."
        guard !text.isEmpty else { throw failure("it is empty", hint: form) }
        var rest = Substring(text)
        var pointer: JSONPointer?
        if let hash = rest.firstIndex(of: "#") {
            let pointerText = String(rest[rest.index(after: hash)...])
            rest = rest[..<hash]
            guard !pointerText.isEmpty else {
                throw failure("nothing follows '#'", hint: "Write a JSON pointer such as #/db/password, or drop the '#'.")
            }
            do throws(ReferenceError) {
                pointer = try JSONPointer(parsing: pointerText)
            } catch {
                throw failure(error.message, hint: error.hint)
            }
        }
        var version: String?
        if let at = rest.firstIndex(of: "@") {
            let versionText = String(rest[rest.index(after: at)...])
            rest = rest[..<at]
            guard !versionText.isEmpty else {
                throw failure("nothing follows '@'", hint: "Write a version number, latest, or an alias after '@'.")
            }
            guard isValidVersion(versionText) else {
                throw failure(
                    "version \(ConfigurationRules.quoted(versionText)) is not a positive number, latest, or an alias",
                    hint: "An alias starts with a letter and has at most 63 letters, digits, '_' and '-' (not new); numbers have no leading zeros."
                )
            }
            version = versionText
        }
        let names = rest.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard names.count == 2 || names.count == 3 else {
            throw failure(
                names.count == 1 ? "it has no '/'" : "it has \(names.count) '/'-separated names, not 2 or 3",
                hint: form
            )
        }
        let roles = names.count == 3 ? ["environment", "project", "secret"] : ["project", "secret"]
        for (name, role) in zip(names, roles) {
            guard !name.isEmpty else { throw failure("the \(role) name is empty", hint: form) }
            guard isValidComponent(name) else {
                throw failure("the \(role) name \(ConfigurationRules.quoted(name)) may contain only letters, digits, '_', '-' and '.'")
            }
        }
        return SecretReference(
            environment: names.count == 3 ? names[0] : nil,
            project: names[names.count - 2],
            secret: names[names.count - 1],
            version: version,
            pointer: pointer
        )
    }

    /// `[ENV/]PROJECT/SECRET[@VERSION][#POINTER]`, the form `parse` reads.
    public var description: String {
        var text = environment.map { "\($0)/" } ?? ""
        text += "\(project)/\(secret)"
        if let version { text += "@\(version)" }
        if let pointer { text += "#\(pointer)" }
        return text
    }

    /// Whether `text` can be an environment, project or secret name in a reference:
    /// one or more letters, digits, `_`, `-` or `.`.
    public static func isValidComponent(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.allSatisfy { isIdentifierByte($0) || $0 == UInt8(ascii: ".") }
    }

    /// Whether `text` is a valid Secret Manager secret id: `[A-Za-z0-9_-]{1,255}`.
    public static func isValidSecretID(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.count <= 255 && text.utf8.allSatisfy(isIdentifierByte)
    }

    /// Whether `text` is a version: a positive number without leading zeros, `latest`, or
    /// an alias `[A-Za-z][A-Za-z0-9_-]{0,62}` other than `new` in any case (Secret Manager's
    /// rule for alias names: "Assign an alias to a secret version", Google Cloud
    /// documentation).
    public static func isValidVersion(_ text: String) -> Bool {
        guard let first = text.utf8.first else { return false }
        if isDigit(first) {
            return first != UInt8(ascii: "0") && text.utf8.count <= 18 && text.utf8.allSatisfy(isDigit)
        }
        return isLetter(first) && text.utf8.count <= maxAliasLength && text.utf8.allSatisfy(isIdentifierByte)
            && text.lowercased() != "new"
    }

    /// The longest version alias Secret Manager accepts, in characters.
    public static let maxAliasLength = 63

    /// `[A-Za-z0-9_-]`.
    static func isIdentifierByte(_ byte: UInt8) -> Bool {
        isLetter(byte) || isDigit(byte) || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
    }

    private static func isLetter(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
    }

    private static func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }
}
