import Foundation

/// The resource a Secret Manager REST v1 request names, from the route's captures
/// (``EmulatorRouter``).
///
/// The shapes (<https://cloud.google.com/secret-manager/docs/reference/rest>), with an
/// optional `locations/L/` after `projects/P/` for regional secrets:
/// ```
/// /v1/projects/P/secrets                       list, create
/// /v1/projects/P/secrets/S[:verb]              get, update, delete, addVersion, get/setIamPolicy
/// /v1/projects/P/secrets/S/versions            list versions
/// /v1/projects/P/secrets/S/versions/V[:verb]   get, access, enable, disable, destroy
/// ```
/// The router checks the shape (a path of another shape is not an API path: Google's
/// front end answers it with an HTML 404); ``validationError`` then checks the contents
/// of each segment (a malformed name is a 400 INVALID_ARGUMENT from the API itself).
struct ResourcePath: Sendable, Equatable {
    /// What the path names below the project (and location).
    enum Target: Sendable, Equatable {
        /// The collection of secrets.
        case secrets
        /// One secret.
        case secret(String)
        /// The collection of a secret's versions.
        case versions(secret: String)
        /// One version: a number, `latest` or an alias.
        case version(secret: String, version: String)
    }

    /// The project as requested: an id or a number.
    var project: String
    /// The location of a regional secret, or `nil` for a global one.
    var location: String?
    /// What the path names.
    var target: Target

    /// The secret id the path names, if any.
    var secretID: String? {
        switch target {
        case .secrets: nil
        case .secret(let id), .versions(let id), .version(let id, _): id
        }
    }

    /// The version the path names (`4`, `latest`, an alias), if any.
    var versionID: String? {
        if case .version(_, let version) = target { return version }
        return nil
    }

    /// `projects/P[/locations/L]` with `project` in place of the requested project.
    func parentName(project: String) -> String {
        location.map { "projects/\(project)/locations/\($0)" } ?? "projects/\(project)"
    }

    /// The resource name with `project` in place of the requested project, without the verb:
    /// `projects/P[/locations/L]/secrets[/S[/versions[/V]]]`.
    func name(project: String) -> String {
        let parent = parentName(project: project)
        switch target {
        case .secrets: return "\(parent)/secrets"
        case .secret(let id): return "\(parent)/secrets/\(id)"
        case .versions(let id): return "\(parent)/secrets/\(id)/versions"
        case .version(let id, let version): return "\(parent)/secrets/\(id)/versions/\(version)"
        }
    }

    /// The resource name exactly as requested (the key of per-resource counters and the
    /// subject of fault rules' `resource` patterns).
    var requestedName: String { name(project: project) }

    /// A 400 INVALID_ARGUMENT when a segment is malformed, or `nil` when all are well formed.
    ///
    /// Rules from the API reference: secret ids `[a-zA-Z0-9_-]{1,255}`; versions a positive
    /// number, `latest`, or an alias (a letter, then letters, digits, `_` or `-`, at most 63).
    var validationError: GoogleAPIError? {
        if !Self.isProject(project) {
            return .invalidArgument("The project [\(project)] in the resource name is not a valid project id or number.")
        }
        if let location, !Self.isLocation(location) {
            return .invalidArgument("The location [\(location)] in the resource name is not a valid location.")
        }
        if let secretID, !Self.isSecretID(secretID) {
            return .invalidArgument(
                "The provided Secret ID [\(secretID)] does not match the expected format [[a-zA-Z_0-9-]{1,255}].")
        }
        if let versionID, !Self.isVersionID(versionID) {
            return .invalidArgument(
                "The provided version [\(versionID)] is not a positive version number, `latest` or a valid alias.")
        }
        return nil
    }

    /// A project id (`[a-z0-9][a-z0-9.:-]*`, at most 100) or a project number.
    static func isProject(_ text: String) -> Bool {
        guard let first = text.unicodeScalars.first, text.unicodeScalars.count <= 100,
            isLowerAlphanumeric(first)
        else { return false }
        return text.unicodeScalars.allSatisfy { isLowerAlphanumeric($0) || $0 == "-" || $0 == "." || $0 == ":" }
    }

    /// A location such as `europe-west1`.
    static func isLocation(_ text: String) -> Bool {
        guard let first = text.unicodeScalars.first, ("a"..."z").contains(first), text.count <= 63 else {
            return false
        }
        return text.unicodeScalars.allSatisfy { isLowerAlphanumeric($0) || $0 == "-" }
    }

    /// A secret id: `[a-zA-Z0-9_-]{1,255}`.
    static func isSecretID(_ text: String) -> Bool {
        !text.isEmpty && text.unicodeScalars.count <= 255
            && text.unicodeScalars.allSatisfy { isAlphanumeric($0) || $0 == "_" || $0 == "-" }
    }

    /// A version number (positive, no leading zero), `latest`, or an alias.
    static func isVersionID(_ text: String) -> Bool {
        versionNumber(text) != nil || text == "latest" || isAlias(text)
    }

    /// The version number `text` spells, or `nil` when it is not a positive decimal without
    /// a leading zero.
    static func versionNumber(_ text: String) -> Int? {
        guard let first = text.unicodeScalars.first, first != "0",
            text.unicodeScalars.allSatisfy({ ("0"..."9").contains($0) })
        else { return nil }
        return Int(text)
    }

    /// An alias: a letter, then letters, digits, `_` or `-`; at most 63 characters; not `new`
    /// in any case (Secret Manager's rule: "Assign an alias to a secret version", Google Cloud
    /// documentation).
    static func isAlias(_ text: String) -> Bool {
        guard let first = text.unicodeScalars.first, isLetter(first), text.unicodeScalars.count <= 63,
            text.lowercased() != "new"
        else {
            return false
        }
        return text.unicodeScalars.allSatisfy { isAlphanumeric($0) || $0 == "_" || $0 == "-" }
    }

    private static func isLetter(_ scalar: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar)
    }

    private static func isAlphanumeric(_ scalar: Unicode.Scalar) -> Bool {
        isLetter(scalar) || ("0"..."9").contains(scalar)
    }

    private static func isLowerAlphanumeric(_ scalar: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(scalar) || ("0"..."9").contains(scalar)
    }
}
