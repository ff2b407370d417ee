import Foundation
import Hummingbird

/// Builds the emulator's HTTP answers: JSON with Google's content type, Google's error
/// envelope, the front end's HTML 404 page, and the admin endpoints' JSON.
enum WireResponse {
    /// Google's JSON content type.
    static let jsonContentType = "application/json; charset=UTF-8"

    /// A JSON answer.
    ///
    /// - Parameter contentType: Google's APIs add `; charset=UTF-8`; the token endpoint and
    ///   the metadata server send plain `application/json`.
    static func json(_ value: JSONValue, status: Int = 200, contentType: String = jsonContentType) -> Response {
        bytes(value.serialized, status: status, contentType: contentType)
    }

    /// A plain-text answer (the metadata server's values and refusals).
    static func text(_ text: String, status: Int = 200) -> Response {
        bytes(Array(text.utf8), status: status, contentType: "text/plain; charset=utf-8")
    }

    /// An error in Google's envelope, with `Retry-After` when the error carries one.
    static func error(_ error: GoogleAPIError) -> Response {
        var response = json(error.body, status: error.httpStatus)
        if let seconds = error.retryAfterSeconds {
            response.headers[.retryAfter] = String(seconds)
        }
        return response
    }

    /// An error of a call that checks a bearer token: a 401 carries `WWW-Authenticate`,
    /// as Google's does.
    static func authorizationError(_ error: GoogleAPIError) -> Response {
        var response = Self.error(error)
        if error.httpStatus == 401 {
            response.headers[.wwwAuthenticate] = "Bearer realm=\"https://accounts.google.com/\""
        }
        return response
    }

    /// The HTML 404 page Google's front end answers for a path no API serves.
    ///
    /// - Parameter path: The requested path, shown HTML-escaped.
    static func notFoundPage(path: String) -> Response {
        let escaped = path
            .replacingOccurrences(of: "&", with: "&amp;")
            .replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;")
            .replacingOccurrences(of: "\"", with: "&quot;")
        let page = """
            <!DOCTYPE html>
            <html lang=en>
              <meta charset=utf-8>
              <meta name=viewport content="initial-scale=1, minimum-scale=1, width=device-width">
              <title>Error 404 (Not Found)!!1</title>
              <p><b>404.</b> <ins>That’s an error.</ins>
              <p>The requested URL <code>\(escaped)</code> was not found on this server.  <ins>That’s all we know.</ins>

            """
        return bytes(Array(page.utf8), status: 404, contentType: "text/html; charset=UTF-8")
    }

    /// An admin endpoint's JSON answer (keys sorted).
    static func admin(_ value: some Encodable, status: Int = 200) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(value)) ?? Data("{}".utf8)
        return bytes(Array(data), status: status, contentType: jsonContentType)
    }

    /// An admin endpoint's error: `{"error":"…"}`.
    static func adminError(_ message: String, status: Int) -> Response {
        json(.object([("error", .string(message))]), status: status)
    }

    private static func bytes(_ body: [UInt8], status: Int, contentType: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = contentType
        return Response(
            status: HTTPResponse.Status(code: status, reasonPhrase: reasonPhrase(status)),
            headers: headers,
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }

    /// The standard reason phrase of a status (RFC 9110 §15).
    static func reasonPhrase(_ status: Int) -> String {
        switch status {
        case 200: "OK"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 409: "Conflict"
        case 413: "Content Too Large"
        case 429: "Too Many Requests"
        case 499: "Client Closed Request"
        case 500: "Internal Server Error"
        case 501: "Not Implemented"
        case 502: "Bad Gateway"
        case 503: "Service Unavailable"
        case 504: "Gateway Timeout"
        default: ""
        }
    }
}
