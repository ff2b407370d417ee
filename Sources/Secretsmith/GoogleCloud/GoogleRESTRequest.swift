import AsyncHTTPClient
import Logging

/// What every request to a Google REST API carries, whichever client sends it (Secret
/// Manager, Pub/Sub): a JSON `Accept`, secretsmith's `User-Agent`, `Authorization: Bearer`
/// when the endpoint needs credentials, and `x-goog-user-project` for the quota project
/// (<https://cloud.google.com/apis/docs/system-parameters>): the configured one, else the
/// one the credentials name.
package enum GoogleRESTRequest {
    /// Adds the common headers to `request`.
    ///
    /// - Returns: the access token sent, or `nil` (no credentials needed or none
    ///   configured), so a 401 can drop exactly that token.
    /// - Throws: what `tokenProvider` throws when no token can be had.
    package static func addHeaders(
        to request: inout HTTPClientRequest, requiresCredentials: Bool,
        tokenProvider: (any AccessTokenProvider)?, quotaProject: String?
    ) async throws -> String? {
        request.headers.add(name: "Accept", value: "application/json")
        request.headers.add(name: "User-Agent", value: "secretsmith/\(SecretsmithVersion.current)")
        var token: String?
        if requiresCredentials, let tokenProvider {
            let value = try await tokenProvider.accessToken()
            token = value
            request.headers.add(name: "Authorization", value: "Bearer \(value)")
        }
        if let quotaProject = quotaProject ?? (requiresCredentials ? tokenProvider?.quotaProject : nil) {
            request.headers.add(name: "x-goog-user-project", value: quotaProject)
        }
        return token
    }

    /// The logger for AsyncHTTPClient's own events of one request: never below `debug`,
    /// because at `trace` it logs body bytes (access payloads, message data).
    package static func requestLogger(_ logger: Logger) -> Logger {
        var requestLogger = logger
        if requestLogger.logLevel < .debug { requestLogger.logLevel = .debug }
        return requestLogger
    }
}
