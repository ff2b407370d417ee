/// A failed call to Secret Manager, or an answer the client could not accept.
///
/// Carries Google's canonical status (`error.status` of the JSON error envelope, see
/// <https://cloud.google.com/apis/design/errors>) and never the payload. The
/// `description` is a sentence naming the resource; `shortDescription` is a bounded,
/// low-cardinality string fit for a metric label.
public struct SecretManagerError: SecretsmithError, Equatable {
    /// What went wrong, in Google's canonical terms where the server said so.
    public enum Code: String, Sendable, Hashable, CaseIterable {
        case notFound = "NOT_FOUND"
        case failedPrecondition = "FAILED_PRECONDITION"
        case permissionDenied = "PERMISSION_DENIED"
        case unauthenticated = "UNAUTHENTICATED"
        case invalidArgument = "INVALID_ARGUMENT"
        case resourceExhausted = "RESOURCE_EXHAUSTED"
        case unavailable = "UNAVAILABLE"
        case deadlineExceeded = "DEADLINE_EXCEEDED"
        case aborted = "ABORTED"
        case `internal` = "INTERNAL"
        case unknown = "UNKNOWN"
        /// The payload's CRC32C did not match `dataCrc32c`: corrupted in transit.
        case checksumMismatch = "CHECKSUM_MISMATCH"
        /// The connection failed, dropped or timed out before an answer arrived.
        case transport = "TRANSPORT"
        /// The answer broke the wire contract (unparsable JSON, bad base64, oversized body).
        case invalidResponse = "INVALID_RESPONSE"
        /// The circuit breaker for the project is open; no call was made.
        case circuitOpen = "CIRCUIT_OPEN"
    }

    /// The failure's code.
    public var code: Code
    /// The resource the call was about, e.g. `projects/acme/secrets/db/versions/latest`.
    public var resource: String
    /// The HTTP status of the answer, when one arrived.
    public var httpStatus: Int?
    /// The server's message, or the client's own explanation. Never a payload.
    public var message: String
    /// How long the server asked to wait before retrying (`Retry-After`), when it said so.
    public var retryAfter: Duration?

    public init(
        code: Code, resource: String, httpStatus: Int? = nil, message: String, retryAfter: Duration? = nil
    ) {
        self.code = code
        self.resource = resource
        self.httpStatus = httpStatus
        self.message = message
        self.retryAfter = retryAfter
    }

    /// Whether the failure is transient, so the same call may succeed when retried.
    ///
    /// Google's retry configuration for `AccessSecretVersion` retries UNAVAILABLE and
    /// RESOURCE_EXHAUSTED; DEADLINE_EXCEEDED, dropped connections and checksum
    /// mismatches (corruption in transit) are retried as well.
    public var isRetryable: Bool {
        switch code {
        case .unavailable, .resourceExhausted, .deadlineExceeded, .aborted, .internal, .transport,
            .checksumMismatch:
            true
        default:
            false
        }
    }

    /// Whether the failure says the service is unhealthy (counts towards opening the
    /// circuit breaker). A missing secret or a denied permission does not.
    public var indicatesUnhealthyService: Bool {
        switch code {
        case .unavailable, .deadlineExceeded, .internal, .transport, .resourceExhausted: true
        default: false
        }
    }

    public var kind: FailureKind {
        switch code {
        case .notFound, .failedPrecondition: .notFound
        case .permissionDenied, .unauthenticated: .permission
        case .invalidArgument: .configuration
        case .resourceExhausted, .unavailable, .deadlineExceeded, .aborted, .transport, .circuitOpen,
            .checksumMismatch, .internal, .unknown:
            .unavailable
        case .invalidResponse: .internalError
        }
    }

    /// The failure without its resource: `UNAVAILABLE (HTTP 503): message`, for the
    /// circuit breaker to repeat when it refuses later calls.
    public var causeSummary: String {
        var text = code.rawValue
        if let httpStatus { text += " (HTTP \(httpStatus))" }
        return text + ": " + message
    }

    /// A bounded label for metrics: the code's raw value, e.g. `NOT_FOUND`.
    public var shortDescription: String { code.rawValue }

    public var description: String {
        var text = "\(resource): \(code.rawValue)"
        if let httpStatus { text += " (HTTP \(httpStatus))" }
        text += ": \(message)"
        return text
    }
}
