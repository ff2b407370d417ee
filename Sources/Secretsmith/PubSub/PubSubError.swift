/// A failed Pub/Sub call, or an answer the client could not accept.
///
/// Carries Google's canonical status (`error.status` of the JSON error envelope,
/// <https://cloud.google.com/apis/design/errors>). Message data never appears in it. The
/// `description` is a sentence naming the subscription or topic; `shortDescription` is a
/// bounded string fit for a metric label.
package struct PubSubError: SecretsmithError, Equatable {
    /// What went wrong, in Google's canonical terms where the server said so
    /// (<https://cloud.google.com/apis/design/errors#handling_errors>).
    package enum Code: String, Sendable, Hashable, CaseIterable {
        case cancelled = "CANCELLED"
        case unknown = "UNKNOWN"
        case invalidArgument = "INVALID_ARGUMENT"
        case deadlineExceeded = "DEADLINE_EXCEEDED"
        case notFound = "NOT_FOUND"
        case alreadyExists = "ALREADY_EXISTS"
        case permissionDenied = "PERMISSION_DENIED"
        case resourceExhausted = "RESOURCE_EXHAUSTED"
        case failedPrecondition = "FAILED_PRECONDITION"
        case aborted = "ABORTED"
        case outOfRange = "OUT_OF_RANGE"
        case unimplemented = "UNIMPLEMENTED"
        case `internal` = "INTERNAL"
        case unavailable = "UNAVAILABLE"
        case dataLoss = "DATA_LOSS"
        case unauthenticated = "UNAUTHENTICATED"
        /// The connection failed, dropped or timed out before an answer arrived.
        case transport = "TRANSPORT"
        /// The answer broke the wire contract (unparsable JSON, bad base64, oversized body).
        case invalidResponse = "INVALID_RESPONSE"
    }

    /// The failure's code.
    package var code: Code
    /// The resource the call was about, e.g. `projects/acme/subscriptions/secret-events`.
    package var resource: String
    /// The HTTP status of the answer, when one arrived.
    package var httpStatus: Int?
    /// The server's message, or the client's own explanation. Never message data.
    package var message: String
    /// How long the server asked to wait before retrying (`Retry-After`), when it said so.
    package var retryAfter: Duration?

    package init(
        code: Code, resource: String, httpStatus: Int? = nil, message: String, retryAfter: Duration? = nil
    ) {
        self.code = code
        self.resource = resource
        self.httpStatus = httpStatus
        self.message = message
        self.retryAfter = retryAfter
    }

    /// Whether the same call may succeed when tried again: HTTP 429 and 5xx answers
    /// (RESOURCE_EXHAUSTED, INTERNAL, UNKNOWN, UNAVAILABLE, DEADLINE_EXCEEDED), ABORTED, and
    /// connections that failed or dropped. A pull may answer UNAVAILABLE under load.
    package var isRetryable: Bool {
        switch code {
        case .resourceExhausted, .internal, .unknown, .unavailable, .deadlineExceeded, .aborted, .transport:
            true
        default:
            false
        }
    }

    package var kind: FailureKind {
        switch code {
        case .permissionDenied, .unauthenticated: .permission
        case .notFound, .alreadyExists, .invalidArgument, .failedPrecondition, .outOfRange: .configuration
        case .invalidResponse, .unimplemented, .dataLoss: .internalError
        case .cancelled, .unknown, .deadlineExceeded, .resourceExhausted, .aborted, .internal, .unavailable,
            .transport:
            .unavailable
        }
    }

    /// A bounded label for metrics: the code's raw value, e.g. `NOT_FOUND`.
    package var shortDescription: String { code.rawValue }

    package var description: String {
        var text = "Pub/Sub \(resource): \(code.rawValue)"
        if let httpStatus { text += " (HTTP \(httpStatus))" }
        return text + ": \(message)"
    }

    /// The canonical code Google uses for an HTTP status when the body says nothing
    /// (<https://cloud.google.com/apis/design/errors#http_mapping>).
    package static func code(forHTTPStatus status: Int) -> Code {
        switch status {
        case 400: .invalidArgument
        case 401: .unauthenticated
        case 403: .permissionDenied
        case 404: .notFound
        case 409: .aborted
        case 429: .resourceExhausted
        case 499: .cancelled
        case 501: .unimplemented
        case 502, 503: .unavailable
        case 504: .deadlineExceeded
        case 500..<600: .internal
        default: .unknown
        }
    }

    /// The longest server message kept, in characters.
    static let maxMessageLength = 300

    /// Maps an error answer to a typed error: the envelope's `status` decides the code
    /// when present (message wording varies and is never matched); a body that is not
    /// Google's JSON (an HTML page from a front end or a proxy) is mapped by its HTTP
    /// status alone.
    static func from(
        status: Int, contentType: String?, retryAfter: String?, body: [UInt8], resource: String
    ) -> PubSubError {
        let delay = retryAfter.flatMap(GoogleErrorResponse.parseRetryAfter)
        if let envelope = GoogleErrorResponse.envelope(body) {
            let code = envelope.status.flatMap(Code.init(rawValue:)) ?? code(forHTTPStatus: status)
            return PubSubError(
                code: code, resource: resource, httpStatus: status,
                message: sanitized(envelope.message ?? "no message"), retryAfter: delay)
        }
        var message = "the answer is not Google's JSON error format (\(contentType ?? "no content type"))"
        var code = code(forHTTPStatus: status)
        if status == 404 {
            // A front end that does not know the path: not a missing subscription.
            message += "; the endpoint does not know this path, check the Pub/Sub endpoint and the resource name"
            code = .unavailable
        }
        return PubSubError(code: code, resource: resource, httpStatus: status, message: message, retryAfter: delay)
    }

    /// A server message limited in length and without control characters.
    static func sanitized(_ message: String) -> String {
        var cleaned = ""
        for scalar in message.unicodeScalars {
            cleaned.unicodeScalars.append(scalar.properties.generalCategory == .control ? " " : scalar)
        }
        return cleaned.count > maxMessageLength ? String(cleaned.prefix(maxMessageLength)) + "…" : cleaned
    }
}
