/// A secret version exists but is not ENABLED (DISABLED or DESTROYED), so it cannot be
/// read. Found from its metadata, without reading a payload.
///
/// Kind ``FailureKind/notFound`` (exit 66), the same as Secret Manager's
/// FAILED_PRECONDITION when such a version is accessed.
public struct VersionStateError: SecretsmithError, Hashable {
    /// What is wrong, from ``state``.
    ///
    /// A struct with static members rather than an enum, so that codes can be added
    /// without breaking callers: compare with `==` or switch with a `default:` case.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Base: String, Hashable, Sendable {
            case versionDisabled = "VERSION_DISABLED"
            case versionDestroyed = "VERSION_DESTROYED"
        }

        fileprivate let base: Base
        private init(_ base: Base) { self.base = base }

        /// The code's name in `UPPER_SNAKE_CASE`.
        public var description: String { base.rawValue }

        /// The version is DISABLED.
        public static let versionDisabled = Code(.versionDisabled)

        /// The version is DESTROYED (or in another state that is not ENABLED).
        public static let versionDestroyed = Code(.versionDestroyed)
    }

    /// What is wrong, from ``state``.
    public var code: Code { state == .disabled ? .versionDisabled : .versionDestroyed }
    public var shortDescription: String { code.description }

    /// The version resource as the configuration asks for it (`.../versions/latest`).
    public var resource: String
    /// The version number it resolved to.
    public var version: Int
    /// Its state.
    public var state: SecretVersionMetadata.State

    public init(resource: String, version: Int, state: SecretVersionMetadata.State) {
        self.resource = resource
        self.version = version
        self.state = state
    }

    public var kind: FailureKind { .notFound }

    /// What is wrong, then what to do: for a pinned number, enable it or pin another;
    /// for `latest` or an alias, pin an ENABLED version (or enable the newest, or move the
    /// alias).
    public var description: String {
        let pinned = resource.hasSuffix("/versions/\(version)")
        let which = pinned ? "version \(version)" : "resolves to version \(version), which"
        let pin = "pin an ENABLED version with @VERSION in the reference or version: in the configuration"
        var fixes: [String] = []
        if state == .disabled { fixes.append("enable version \(version) (gcloud secrets versions enable)") }
        if pinned {
            fixes.append(pin)
        } else {
            let requested = resource.split(separator: "/").last.map(String.init) ?? "latest"
            fixes.insert(pin, at: 0)
            fixes.append(requested == "latest" ? "add a new version" : "move the alias \(requested) to an ENABLED version")
        }
        let advice = fixes.count == 1 ? fixes[0] : fixes.dropLast().joined(separator: ", ") + ", or " + fixes.last!
        let sentence = advice.prefix(1).uppercased() + String(advice.dropFirst())
        return "\(resource): \(which) is \(state.rawValue); only ENABLED versions can be read. \(sentence)."
    }
}

extension VersionStateError {
    /// What to do about Secret Manager's FAILED_PRECONDITION answer to reading a version
    /// that is not ENABLED (`Secret Version [NAME] is in DISABLED state.`), or `nil` for
    /// any other precondition.
    static func advice(forServerMessage message: String, resource: String) -> String? {
        let pin = "Pin an ENABLED version with @VERSION in the reference or version: in the configuration"
        if message.contains("DISABLED") {
            let number = resource.split(separator: "/").last.flatMap { Int($0) }
            return pin + ", or enable " + (number.map { "version \($0)" } ?? "the version it resolves to")
                + " (gcloud secrets versions enable)."
        }
        if message.contains("DESTROYED") { return pin + "." }
        return nil
    }
}
