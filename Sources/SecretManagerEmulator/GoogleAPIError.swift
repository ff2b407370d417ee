/// An error answer in Google's JSON envelope:
/// `{"error":{"code":404,"message":"...","status":"NOT_FOUND"}}`
/// (<https://cloud.google.com/apis/design/errors#http_mapping>).
///
/// Messages follow Google's wording where it is known, but clients must match on
/// `status`, never on the text. A message never contains a payload.
struct GoogleAPIError: Error, Sendable, Equatable {
    /// The HTTP status code, e.g. 404.
    var httpStatus: Int
    /// The canonical status name, e.g. `NOT_FOUND`.
    var status: String
    /// A human-readable sentence.
    var message: String
    /// `Retry-After` in seconds, for 429 answers injected by a fault.
    var retryAfterSeconds: Int?

    /// The envelope as compact JSON.
    var body: JSONValue {
        .object([
            ("error", .object([
                ("code", .integer(Int64(httpStatus))),
                ("message", .string(message)),
                ("status", .string(status)),
            ]))
        ])
    }

    /// 400 INVALID_ARGUMENT.
    static func invalidArgument(_ message: String) -> GoogleAPIError {
        GoogleAPIError(httpStatus: 400, status: "INVALID_ARGUMENT", message: message)
    }

    /// 400 FAILED_PRECONDITION.
    static func failedPrecondition(_ message: String) -> GoogleAPIError {
        GoogleAPIError(httpStatus: 400, status: "FAILED_PRECONDITION", message: message)
    }

    /// 404 NOT_FOUND.
    static func notFound(_ message: String) -> GoogleAPIError {
        GoogleAPIError(httpStatus: 404, status: "NOT_FOUND", message: message)
    }

    /// 409 ALREADY_EXISTS.
    static func alreadyExists(_ message: String) -> GoogleAPIError {
        GoogleAPIError(httpStatus: 409, status: "ALREADY_EXISTS", message: message)
    }

    /// 403 PERMISSION_DENIED, which is what Google answers for a project that does not
    /// exist (the caller cannot tell "missing" from "not allowed").
    static func permissionDenied(permission: String, resource: String) -> GoogleAPIError {
        GoogleAPIError(
            httpStatus: 403, status: "PERMISSION_DENIED",
            message: "Permission '\(permission)' denied for resource '\(resource)' (or it may not exist).")
    }

    /// The canonical status Google pairs with an HTTP status, for fault rules that give
    /// only the HTTP status.
    static func canonicalStatus(forHTTPStatus status: Int) -> String {
        switch status {
        case 400: "INVALID_ARGUMENT"
        case 401: "UNAUTHENTICATED"
        case 403: "PERMISSION_DENIED"
        case 404: "NOT_FOUND"
        case 409: "ABORTED"
        case 429: "RESOURCE_EXHAUSTED"
        case 499: "CANCELLED"
        case 500: "INTERNAL"
        case 501: "UNIMPLEMENTED"
        case 503: "UNAVAILABLE"
        case 504: "DEADLINE_EXCEEDED"
        default: "UNKNOWN"
        }
    }
}
