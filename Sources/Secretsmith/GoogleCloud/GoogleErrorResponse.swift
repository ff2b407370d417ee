import Foundation
import NIOHTTP1

/// Google's JSON error envelope, `{"error": {"code", "message", "status", "details"}}`
/// (<https://cloud.google.com/apis/design/errors#http_mapping>), and the mapping of any
/// error answer, JSON or not, to a ``SecretManagerError``.
enum GoogleErrorResponse {
    private struct Envelope: Decodable {
        struct Body: Decodable {
            var code: Int?
            var message: String?
            var status: String?
        }
        var error: Body
    }

    /// The `error` object of Google's envelope, or `nil` when `body` is not one.
    static func envelope(_ body: [UInt8]) -> (code: Int?, message: String?, status: String?)? {
        guard let envelope = try? JSONDecoder().decode(Envelope.self, from: Data(body)) else { return nil }
        return (envelope.error.code, envelope.error.message, envelope.error.status)
    }

    /// The longest server message kept in an error description, in characters.
    static let maxMessageLength = 300

    /// Maps an error answer to a typed error.
    ///
    /// The canonical `status` decides the code when present (message wording varies over
    /// time and is never matched). A body that is not Google's JSON (an HTML page from a
    /// front end or a proxy) is mapped by its HTTP status alone.
    static func error(status: Int, headers: HTTPHeaders, body: [UInt8], resource: String) -> SecretManagerError {
        let retryAfter = headers.first(name: "Retry-After").flatMap(parseRetryAfter)
        if let envelope = try? JSONDecoder().decode(Envelope.self, from: Data(body)) {
            let code = envelope.error.status.flatMap(SecretManagerError.Code.init(rawValue:))
                ?? codeForHTTPStatus(status)
            let message = sanitized(envelope.error.message ?? "no message")
            return SecretManagerError(
                code: code, resource: resource, httpStatus: status, message: message, retryAfter: retryAfter)
        }
        let contentType = headers.first(name: "Content-Type") ?? "no content type"
        var message = "the answer is not Google's JSON error format (\(contentType))"
        if status == 404 {
            message += "; the endpoint does not know this path, check `endpoint:` and the resource name"
        }
        return SecretManagerError(
            code: status == 404 ? .unavailable : codeForHTTPStatus(status), resource: resource,
            httpStatus: status, message: message, retryAfter: retryAfter)
    }

    /// The canonical code Google uses for an HTTP status when the body says nothing.
    static func codeForHTTPStatus(_ status: Int) -> SecretManagerError.Code {
        switch status {
        case 400: .invalidArgument
        case 401: .unauthenticated
        case 403: .permissionDenied
        case 404: .notFound
        case 409: .aborted
        case 429: .resourceExhausted
        case 499: .unknown
        case 500: .internal
        case 502, 503: .unavailable
        case 504: .deadlineExceeded
        default: .unknown
        }
    }

    /// `Retry-After` as delay-seconds (RFC 9110 §10.2.3). HTTP dates are ignored.
    static func parseRetryAfter(_ value: String) -> Duration? {
        guard let seconds = Int(value.trimmingCharacters(in: .whitespaces)), seconds >= 0 else { return nil }
        return .seconds(min(seconds, 3600))
    }

    /// A server message limited in length and without control characters.
    private static func sanitized(_ message: String) -> String {
        let cleaned = String(message.unicodeScalars.map { $0.properties.generalCategory == .control ? " " : Character($0) })
        return cleaned.count > maxMessageLength ? String(cleaned.prefix(maxMessageLength)) + "…" : cleaned
    }
}
