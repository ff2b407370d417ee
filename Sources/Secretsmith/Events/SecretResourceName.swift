/// A secret's resource name, `projects/P/secrets/S` or, for a regional secret,
/// `projects/P/locations/L/secrets/S`, where P is the project's id or its number (Secret
/// Manager answers and events carry the number).
package struct SecretResourceName: Sendable, Hashable, CustomStringConvertible {
    /// The project id or number, as written.
    package var project: String
    /// The location of a regional secret, `nil` for a global one.
    package var location: String?
    /// The secret id.
    package var secret: String

    package init(project: String, location: String? = nil, secret: String) {
        self.project = project
        self.location = location
        self.secret = secret
    }

    /// The project number when ``project`` is one (all digits), else `nil`.
    package var projectNumber: Int64? {
        project.utf8.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") } ? Int64(project) : nil
    }

    /// The resource name, e.g. `projects/123/secrets/db-password`.
    package var name: String {
        if let location { return "projects/\(project)/locations/\(location)/secrets/\(secret)" }
        return "projects/\(project)/secrets/\(secret)"
    }

    package var description: String { name }

    /// Parses a secret's or a version's resource name.
    ///
    /// - Parameter text: `projects/P[/locations/L]/secrets/S[/versions/V]`.
    /// - Returns: the secret and the version segment (a number, `latest` or an alias, as
    ///   written) when there is one; `nil` when `text` has another shape or an empty or
    ///   ill-formed segment (a secret id is letters, digits, `_` and `-`).
    package static func parse(_ text: String) -> (secret: SecretResourceName, version: String?)? {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count >= 4, parts[0] == "projects", parts.allSatisfy({ !$0.isEmpty }) else { return nil }
        var rest = parts.dropFirst(2)
        var location: String?
        if rest.first == "locations" {
            guard rest.count >= 4 else { return nil }
            location = rest.dropFirst().first
            rest = rest.dropFirst(2)
        }
        guard rest.count == 2 || rest.count == 4, rest.first == "secrets" else { return nil }
        let secret = rest[rest.startIndex + 1]
        guard SecretReference.isValidSecretID(secret) else { return nil }
        var version: String?
        if rest.count == 4 {
            guard rest[rest.startIndex + 2] == "versions" else { return nil }
            version = rest[rest.startIndex + 3]
        }
        return (SecretResourceName(project: parts[1], location: location, secret: secret), version)
    }
}
