import Foundation
import Hummingbird
import Secretsmith

/// An answer in Google's error envelope
/// (<https://cloud.google.com/apis/design/errors#http_mapping>):
/// `{"error": {"code": HTTP, "message": "...", "status": "CANONICAL"}}`.
///
/// The message is a sentence naming the request's resource or reference, never a value.
package struct ServeError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The HTTP status.
    package var httpStatus: Int
    /// Google's canonical status name (`PERMISSION_DENIED`).
    package var status: String
    /// The sentence.
    package var message: String
    /// `Retry-After`, in whole seconds, for 429 and 503 answers that know it.
    package var retryAfterSeconds: Int?
    /// `WWW-Authenticate` for 401 answers.
    package var wwwAuthenticate: String?

    package init(
        httpStatus: Int, status: String, message: String, retryAfterSeconds: Int? = nil, wwwAuthenticate: String? = nil
    ) {
        self.httpStatus = httpStatus
        self.status = status
        self.message = message
        self.retryAfterSeconds = retryAfterSeconds
        self.wwwAuthenticate = wwwAuthenticate
    }

    package var description: String { "\(httpStatus) \(status): \(message)" }

    /// 403 `PERMISSION_DENIED` in the words Google uses for a resource the caller may not
    /// see, whether or not it exists: `Permission 'secretmanager.versions.access' denied
    /// for resource '...' (or it may not exist).`
    package static func permissionDenied(permission: String, resource: String) -> ServeError {
        ServeError(
            httpStatus: 403, status: "PERMISSION_DENIED",
            message: "Permission '\(permission)' denied for resource '\(resource)' (or it may not exist).")
    }

    /// 400 `INVALID_ARGUMENT`.
    package static func invalidArgument(_ message: String) -> ServeError {
        ServeError(httpStatus: 400, status: "INVALID_ARGUMENT", message: message)
    }

    /// 404 `NOT_FOUND`.
    package static func notFound(_ message: String) -> ServeError {
        ServeError(httpStatus: 404, status: "NOT_FOUND", message: message)
    }

    /// 401 `UNAUTHENTICATED` with `WWW-Authenticate: Bearer` (RFC 6750 §3; `invalid_token`
    /// when a token was presented).
    package static func unauthenticated(_ message: String, tokenPresented: Bool) -> ServeError {
        ServeError(
            httpStatus: 401, status: "UNAUTHENTICATED", message: message,
            wwwAuthenticate: tokenPresented ? #"Bearer realm="secretsmith", error="invalid_token""# : #"Bearer realm="secretsmith""#)
    }

    /// The error a library failure answers with: Secret Manager's own status where the
    /// failure is the caller's to see (`NOT_FOUND`, `FAILED_PRECONDITION`), `UNAVAILABLE`
    /// where the service could not do its part (its own credentials, the upstream, an open
    /// circuit).
    package static func from(_ error: any Error) -> ServeError {
        switch error {
        case let error as ServeError:
            return error
        case let error as SecretManagerError:
            return from(error)
        case let error as ConfigurationError:
            if error.code == .crossEnvironmentReference {
                return ServeError(httpStatus: 403, status: "PERMISSION_DENIED", message: sentence(error.message))
            }
            return notFound(sentence(error.message))
        case let error as JSONPointerError:
            return notFound(sentence(error.description))
        case let error as ReferenceError:
            return invalidArgument(sentence(error.description))
        case let error as AuthenticationError:
            _ = error
            return ServeError(
                httpStatus: 503, status: "UNAVAILABLE",
                message: "secretsmith serve could not obtain credentials for Secret Manager.")
        case let error as RenderFailure:
            return ServeError(
                httpStatus: httpStatus(for: error.kind), status: canonicalStatus(for: error.kind),
                message: sentence(error.description))
        case is DeadlineExceededError:
            return ServeError(httpStatus: 504, status: "DEADLINE_EXCEEDED", message: sentence("\(error)"))
        case is CancellationError:
            return ServeError(httpStatus: 503, status: "UNAVAILABLE", message: "The request was cancelled.")
        case let error as any SecretsmithError:
            return ServeError(
                httpStatus: httpStatus(for: error.kind), status: canonicalStatus(for: error.kind),
                message: sentence(error.description))
        default:
            return ServeError(httpStatus: 500, status: "INTERNAL", message: "Internal error (\(type(of: error))).")
        }
    }

    private static func from(_ error: SecretManagerError) -> ServeError {
        let message = sentence(error.message)
        switch error.code {
        case .notFound: return ServeError(httpStatus: 404, status: "NOT_FOUND", message: message)
        case .failedPrecondition: return ServeError(httpStatus: 400, status: "FAILED_PRECONDITION", message: message)
        case .invalidArgument: return ServeError(httpStatus: 400, status: "INVALID_ARGUMENT", message: message)
        case .permissionDenied:
            return ServeError(
                httpStatus: 403, status: "PERMISSION_DENIED",
                message: "Secret Manager refused secretsmith serve's own identity: \(message)")
        case .unauthenticated:
            return ServeError(
                httpStatus: 503, status: "UNAVAILABLE",
                message: "Secret Manager did not accept secretsmith serve's own credentials.")
        case .resourceExhausted:
            return ServeError(
                httpStatus: 429, status: "RESOURCE_EXHAUSTED", message: message,
                retryAfterSeconds: error.retryAfter.map { max(1, Int($0.components.seconds)) })
        case .deadlineExceeded: return ServeError(httpStatus: 504, status: "DEADLINE_EXCEEDED", message: message)
        case .invalidResponse: return ServeError(httpStatus: 500, status: "INTERNAL", message: message)
        default: return ServeError(httpStatus: 503, status: "UNAVAILABLE", message: message)
        }
    }

    private static func httpStatus(for kind: FailureKind) -> Int {
        switch kind {
        case .usage, .configuration: 400
        case .notFound: 404
        case .permission: 403
        case .unavailable: 503
        case .internalError, .cannotCreate: 500
        }
    }

    private static func canonicalStatus(for kind: FailureKind) -> String {
        switch kind {
        case .usage: "INVALID_ARGUMENT"
        case .configuration: "FAILED_PRECONDITION"
        case .notFound: "NOT_FOUND"
        case .permission: "PERMISSION_DENIED"
        case .unavailable: "UNAVAILABLE"
        case .internalError, .cannotCreate: "INTERNAL"
        }
    }

    /// Starts with a capital, ends with a period (or the `?` or `!` it ends with).
    /// A text that starts with a file path or `FILE:LINE:COLUMN` keeps its first word as
    /// written (`serve.yaml:3:5: ...` stays lowercase).
    static func sentence(_ text: String) -> String {
        let first = text.prefix { $0 != " " }
        let text = first.dropLast().contains(where: { $0 == "/" || $0 == "." || $0 == ":" })
            ? text : text.prefix(1).uppercased() + text.dropFirst()
        return text.endingSentence
    }

    /// The envelope's JSON bytes.
    package var body: [UInt8] {
        Array(
            "{\"error\":{\"code\":\(httpStatus),\"message\":\(ServeJSON.quoted(message)),\"status\":\(ServeJSON.quoted(status))}}"
                .utf8)
    }

    /// The answer.
    package var response: Response {
        var response = ServeResponse.bytes(body, status: httpStatus, contentType: ServeResponse.jsonContentType)
        if let retryAfterSeconds { response.headers[.retryAfter] = String(retryAfterSeconds) }
        if let wwwAuthenticate { response.headers[.wwwAuthenticate] = wwwAuthenticate }
        return response
    }
}

/// Building answers.
package enum ServeResponse {
    /// Google's JSON content type.
    package static let jsonContentType = "application/json; charset=UTF-8"
    /// The reference API's content type.
    package static let octetStreamContentType = "application/octet-stream"

    // The two hot answers' headers, made once (a copy is a reference count).
    private static let jsonHeaders = makeHeaders(contentType: jsonContentType)
    private static let octetStreamHeaders = makeHeaders(contentType: octetStreamContentType)

    private static func makeHeaders(contentType: String) -> HTTPFields {
        var headers = HTTPFields()
        headers[.contentType] = contentType
        headers[.cacheControl] = "no-store"
        return headers
    }

    /// An answer with a body. Every answer says `Cache-Control: no-store`: some carry
    /// secret values, and no shared cache in between may keep them.
    package static func bytes(_ body: [UInt8], status: Int = 200, contentType: String) -> Response {
        let headers: HTTPFields
        switch contentType {
        case jsonContentType: headers = jsonHeaders
        case octetStreamContentType: headers = octetStreamHeaders
        default: headers = makeHeaders(contentType: contentType)
        }
        return Response(
            status: HTTPResponse.Status(code: status), headers: headers,
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }
}

/// Minimal JSON writing for the server's own answers (no Foundation encoder on the hot path).
package enum ServeJSON {
    /// `text` as a JSON string literal (RFC 8259 §7).
    package static func quoted(_ text: String) -> String {
        var result = "\""
        result.reserveCapacity(text.utf8.count + 2)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x2028 || scalar.value == 0x2029 {
                    result += String(format: "\\u%04x", scalar.value)
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result + "\""
    }
}
