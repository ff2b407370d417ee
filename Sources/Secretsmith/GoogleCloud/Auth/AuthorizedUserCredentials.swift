/// User credentials from `gcloud auth application-default login`
/// (`"type": "authorized_user"`): an OAuth client and a refresh token.
///
/// Fields (<https://cloud.google.com/docs/authentication/application-default-credentials>): `client_id`, `client_secret`,
/// `refresh_token`; optional `quota_project_id`, `account`, and `token_uri` (not written by
/// gcloud; secretsmith honours it so the emulator can stand in for Google). The secret and
/// the refresh token never appear in a description.
package struct AuthorizedUserCredentials: Sendable, CustomStringConvertible {
    package var clientID: String
    package var clientSecret: String
    package var refreshToken: String
    /// Where the refresh-token grant is sent (default `https://oauth2.googleapis.com/token`).
    package var tokenURI: String
    /// The project gcloud recorded for quota (`quota_project_id`), if any.
    package var quotaProjectID: String?
    /// The user's email if gcloud recorded it (`account`), for messages.
    package var account: String?

    /// - Throws: ``AuthenticationError`` (`.configuration`) when a field is missing.
    init(_ object: CredentialsJSONObject) throws {
        clientID = try object.required("client_id")
        clientSecret = try object.required("client_secret")
        refreshToken = try object.required("refresh_token")
        tokenURI = try object.optional("token_uri") ?? ServiceAccountKey.googleTokenURI
        quotaProjectID = try object.optional("quota_project_id")
        account = try object.optional("account")
    }

    package var description: String {
        "AuthorizedUserCredentials(client_id: \(clientID), client_secret: <redacted>, refresh_token: <redacted>)"
    }
}
