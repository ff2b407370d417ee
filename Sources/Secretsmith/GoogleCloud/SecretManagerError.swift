/// A failed call to Secret Manager, or an answer the client could not accept.
///
/// Carries Google's canonical status (`error.status` of the JSON error envelope, see
/// <https://cloud.google.com/apis/design/errors>) and never the payload. The
/// `description` is a sentence naming the resource; `shortDescription` is a bounded,
/// low-cardinality string fit for a metric label.
public struct SecretManagerError: SecretsmithError, Equatable {
    /// What went wrong, in Google's canonical terms where the server said so
    /// (<https://cloud.google.com/apis/design/errors#handling_errors>), or the client's own.
    ///
    /// A struct with static members rather than an enum, so that codes can be added
    /// without breaking callers: compare with `==` or switch with a `default:` case.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Base: String, Hashable, Sendable, CaseIterable {
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
            case checksumMismatch = "CHECKSUM_MISMATCH"
            case transport = "TRANSPORT"
            case invalidResponse = "INVALID_RESPONSE"
            case circuitOpen = "CIRCUIT_OPEN"
        }

        fileprivate let base: Base
        private init(_ base: Base) { self.base = base }

        /// The code's name: Google's canonical status (`NOT_FOUND`) or the client's own
        /// (`TRANSPORT`, `CHECKSUM_MISMATCH`, `INVALID_RESPONSE`, `CIRCUIT_OPEN`).
        public var rawValue: String { base.rawValue }
        public var description: String { base.rawValue }

        /// The code of Google's canonical status name (`error.status` of an error answer),
        /// or `nil` for a name this build does not know.
        package init?(rawValue: String) {
            guard let base = Base(rawValue: rawValue) else { return nil }
            self.base = base
        }

        /// The secret, version or project does not exist.
        public static let notFound = Code(.notFound)
        /// The version exists but is not ENABLED (or another precondition failed).
        public static let failedPrecondition = Code(.failedPrecondition)
        /// The caller's identity may not do this.
        public static let permissionDenied = Code(.permissionDenied)
        /// The request carried no valid credentials.
        public static let unauthenticated = Code(.unauthenticated)
        /// The request was malformed (e.g. a bad resource name).
        public static let invalidArgument = Code(.invalidArgument)
        /// A quota was exhausted (HTTP 429).
        public static let resourceExhausted = Code(.resourceExhausted)
        /// The service is unavailable (HTTP 503).
        public static let unavailable = Code(.unavailable)
        /// No answer within the request's timeout.
        public static let deadlineExceeded = Code(.deadlineExceeded)
        /// The server aborted the call (a concurrency conflict).
        public static let aborted = Code(.aborted)
        /// The server failed internally.
        public static let `internal` = Code(.internal)
        /// The server answered with an error it did not classify.
        public static let unknown = Code(.unknown)
        /// The payload's CRC32C did not match `dataCrc32c`: corrupted in transit.
        public static let checksumMismatch = Code(.checksumMismatch)
        /// The connection failed, dropped or timed out before an answer arrived.
        public static let transport = Code(.transport)
        /// The answer broke the wire contract (unparsable JSON, bad base64, oversized body).
        public static let invalidResponse = Code(.invalidResponse)
        /// The circuit breaker for the project is open; no call was made.
        public static let circuitOpen = Code(.circuitOpen)
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
    /// The transport failure behind a ``Code/transport`` error, when there is one.
    public var underlyingError: (any Error)?
    /// `false` for a ``Code/transport`` failure that retrying cannot cure: the endpoint's
    /// TLS certificate failed verification (not trusted, or not naming the host), and the
    /// same certificate would come back on every attempt.
    package var isTransient = true

    public init(
        code: Code, resource: String, httpStatus: Int? = nil, message: String, retryAfter: Duration? = nil,
        underlyingError: (any Error)? = nil
    ) {
        self.code = code
        self.resource = resource
        self.httpStatus = httpStatus
        self.message = message
        self.retryAfter = retryAfter
        self.underlyingError = underlyingError
    }

    /// Equal when code, resource, HTTP status, message and `Retry-After` are (the
    /// underlying error is not compared).
    public static func == (lhs: SecretManagerError, rhs: SecretManagerError) -> Bool {
        lhs.code == rhs.code && lhs.resource == rhs.resource && lhs.httpStatus == rhs.httpStatus
            && lhs.message == rhs.message && lhs.retryAfter == rhs.retryAfter
    }

    /// Whether the failure is transient, so the same call may succeed when retried.
    ///
    /// Google's retry configuration for `AccessSecretVersion` retries UNAVAILABLE and
    /// RESOURCE_EXHAUSTED; DEADLINE_EXCEEDED, dropped connections and checksum
    /// mismatches (corruption in transit) are retried as well. A certificate that fails
    /// verification is not: it is the same on every attempt.
    public var isRetryable: Bool {
        switch code.base {
        case .transport: isTransient
        case .unavailable, .resourceExhausted, .deadlineExceeded, .aborted, .internal, .checksumMismatch:
            true
        default:
            false
        }
    }

    /// Whether the failure says the service is unhealthy (counts towards opening the
    /// circuit breaker). A missing secret or a denied permission does not.
    public var indicatesUnhealthyService: Bool {
        switch code.base {
        case .unavailable, .deadlineExceeded, .internal, .transport, .resourceExhausted: true
        default: false
        }
    }

    public var kind: FailureKind {
        switch code.base {
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
        return text.endingSentence
    }
}
