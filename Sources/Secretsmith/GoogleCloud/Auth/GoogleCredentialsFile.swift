import Foundation

/// A Google credentials JSON file, by its `type` (see
/// <https://cloud.google.com/docs/authentication/application-default-credentials>): what `GOOGLE_APPLICATION_CREDENTIALS` points at and what
/// `gcloud auth application-default login` writes.
package indirect enum GoogleCredentialsFile: Sendable {
    /// `service_account`: a service account key.
    case serviceAccount(ServiceAccountKey)
    /// `authorized_user`: a user's refresh token.
    case authorizedUser(AuthorizedUserCredentials)
    /// `impersonated_service_account` (`gcloud auth application-default login
    /// --impersonate-service-account`): `service_account_impersonation_url`, `delegates`,
    /// and `source_credentials` (itself `authorized_user` or `service_account`).
    case impersonatedServiceAccount(url: String, target: String, delegates: [String], source: GoogleCredentialsFile)
    /// `external_account`: workload identity federation (a subject token exchanged at
    /// Google's Security Token Service, optionally then impersonating a service account).
    case externalAccount(ExternalAccountCredentials)

    /// Types Google defines that this build does not use, with what to do instead.
    static let unsupportedTypes: [String: String] = [
        "external_account_authorized_user":
            "workforce identity federation (external_account_authorized_user) is not supported yet; "
            + "use `type: access_token_env` with a token from `gcloud auth print-access-token`",
        "gdch_service_account": "Google Distributed Cloud Hosted service accounts are not supported",
    ]

    /// Reads and parses a credentials file.
    ///
    /// - Parameters:
    ///   - path: the file.
    ///   - origin: how to name it in errors, e.g. `GOOGLE_APPLICATION_CREDENTIALS file /k.json`.
    /// - Throws: ``AuthenticationError``: `.permission` when the file does not exist or
    ///   cannot be read, `.configuration` when it is not usable credentials.
    package static func load(path: String, origin: String) throws -> GoogleCredentialsFile {
        guard let data = FileManager.default.contents(atPath: path) else {
            let exists = FileManager.default.fileExists(atPath: path)
            throw AuthenticationError(
                source: origin, message: exists ? "the file cannot be read" : "the file does not exist",
                kind: .permission)
        }
        return try parse(Array(data), origin: origin)
    }

    /// Parses a credentials file's JSON.
    ///
    /// - Throws: ``AuthenticationError`` (`.configuration`) for JSON that is not usable
    ///   credentials, naming an unsupported `type`.
    package static func parse(_ bytes: [UInt8], origin: String) throws -> GoogleCredentialsFile {
        try parse(CredentialsJSONObject(bytes, source: origin), nested: false)
    }

    private static func parse(_ object: CredentialsJSONObject, nested: Bool) throws -> GoogleCredentialsFile {
        guard let type = try object.optional("type") else {
            throw AuthenticationError(
                source: object.source, message: "the credentials have no \"type\" field", kind: .configuration)
        }
        switch type {
        case "service_account":
            return .serviceAccount(try ServiceAccountKey(object))
        case "authorized_user":
            return .authorizedUser(try AuthorizedUserCredentials(object))
        case "external_account":
            return .externalAccount(try ExternalAccountCredentials(object))
        case "impersonated_service_account" where !nested:
            let url = try object.required("service_account_impersonation_url")
            guard let target = target(ofImpersonationURL: url) else {
                throw AuthenticationError(
                    source: object.source,
                    message: "\"service_account_impersonation_url\" is not a .../serviceAccounts/EMAIL:generateAccessToken URL",
                    kind: .configuration)
            }
            let source = try parse(
                object.object("source_credentials", source: "\(object.source) source_credentials"), nested: true)
            return .impersonatedServiceAccount(url: url, target: target, delegates: try object.strings("delegates"), source: source)
        default:
            let safe = OAuthTokenResponse.sanitized(type)
            let reason = unsupportedTypes[type]
                ?? (type == "impersonated_service_account"
                    ? "impersonated credentials cannot be the source of impersonated credentials"
                    : "credentials of type \"\(safe)\" are not supported (expected service_account, authorized_user, impersonated_service_account or external_account)")
            throw AuthenticationError(source: object.source, message: reason, kind: .configuration)
        }
    }

    /// The email in `…/serviceAccounts/EMAIL:generateAccessToken`.
    static func target(ofImpersonationURL url: String) -> String? {
        guard let range = url.range(of: "/serviceAccounts/"), url.hasSuffix(":generateAccessToken") else { return nil }
        let email = url[range.upperBound...].dropLast(":generateAccessToken".count)
        let decoded = String(email).removingPercentEncoding ?? String(email)
        return decoded.isEmpty ? nil : decoded
    }

    /// The project id the file names: a service account key's `project_id`; user,
    /// impersonated and external account credentials name none.
    package var projectID: String? {
        if case .serviceAccount(let key) = self { return key.projectID }
        return nil
    }
}
