import AsyncHTTPClient
import Logging
import NIOHTTP1

/// What every request to a Google REST API carries, whichever client sends it (Secret
/// Manager, Pub/Sub): a JSON `Accept`, secretsmith's `User-Agent`, `Authorization: Bearer`
/// when the endpoint needs credentials, and `x-goog-user-project` for the quota project
/// (<https://cloud.google.com/apis/docs/system-parameters>): the configured one, else the
/// one the credentials name.
package enum GoogleRESTRequest {
    /// The reason every request sent from this task (and the tasks it starts) gives in
    /// `x-goog-request-reason`, which Cloud Audit Logs record
    /// (<https://cloud.google.com/apis/docs/system-parameters>): `secretsmith serve` names
    /// the principal it reads for. A call shared by several waiters (single flight) carries
    /// the reason of the task that started it. Control characters are replaced by `?`.
    @TaskLocal package static var requestReason: String?

    /// Adds the common headers to `request`.
    ///
    /// - Returns: the access token sent, or `nil` (no credentials needed or none
    ///   configured), so a 401 can drop exactly that token.
    /// - Throws: what `tokenProvider` throws when no token can be had.
    package static func addHeaders(
        to request: inout HTTPClientRequest, requiresCredentials: Bool,
        tokenProvider: (any AccessTokenProvider)?, quotaProject: String?
    ) async throws -> String? {
        try await addHeaders(
            to: &request.headers, requiresCredentials: requiresCredentials, tokenProvider: tokenProvider,
            quotaProject: quotaProject)
    }

    /// Adds the common headers to `headers` (of a request for AsyncHTTPClient's
    /// `HTTPClient.Request` API).
    ///
    /// - Returns: the access token sent, or `nil` (no credentials needed or none
    ///   configured), so a 401 can drop exactly that token.
    /// - Throws: what `tokenProvider` throws when no token can be had.
    package static func addHeaders(
        to headers: inout HTTPHeaders, requiresCredentials: Bool,
        tokenProvider: (any AccessTokenProvider)?, quotaProject: String?
    ) async throws -> String? {
        headers.add(name: "Accept", value: "application/json")
        headers.add(name: "User-Agent", value: userAgent)
        var token: String?
        if requiresCredentials, let tokenProvider {
            let value = try await tokenProvider.accessToken()
            token = value
            headers.add(name: "Authorization", value: "Bearer \(value)")
        }
        if let quotaProject = quotaProject ?? (requiresCredentials ? tokenProvider?.quotaProject : nil) {
            headers.add(name: "x-goog-user-project", value: quotaProject)
        }
        if let reason = requestReason {
            let printable = String(String.UnicodeScalarView(reason.unicodeScalars.map { $0.value < 0x20 || $0.value >= 0x7F ? "?" : $0 }))
            headers.add(name: "x-goog-request-reason", value: printable)
        }
        return token
    }

    /// `secretsmith/VERSION`, made once.
    static let userAgent = "secretsmith/\(SecretsmithVersion.current)"

    /// The logger for AsyncHTTPClient's own events of one request: never below `debug`,
    /// because at `trace` it logs body bytes (access payloads, message data).
    package static func requestLogger(_ logger: Logger) -> Logger {
        var requestLogger = logger
        if requestLogger.logLevel < .debug { requestLogger.logLevel = .debug }
        return requestLogger
    }
}
