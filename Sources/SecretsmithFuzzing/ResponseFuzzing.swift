import Foundation
import Secretsmith

/// `access-response` and `oauth-response`: the decoders of what Google's servers answer.
///
/// Properties (access): a decoded payload, sent back in Secret Manager's canonical form
/// (base64 and CRC32C), decodes to the same bytes and version; errors never contain payload
/// bytes; an error answer's message has no control characters and at most the documented
/// length. Properties (OAuth): a token is returned only for a 2xx answer with a non-empty
/// `access_token` (the answer's) and a Bearer (or absent) type, with a lifetime that is not
/// negative; an error's message has no control characters and a bounded length.
enum ResponseFuzzing {
    static let resource = "projects/fuzz/secrets/fuzz-secret/versions/latest"

    static func runAccessResponse(_ bytes: [UInt8]) throws(PropertyViolation) {
        var decoded: SecretValue?
        do throws(SecretManagerError) {
            decoded = try SecretManagerClient.decodeAccessResponse(bytes, name: resource)
        } catch {
            guard error.resource == resource else { throw PropertyViolation("the error names \(error.resource)") }
        }
        if let value = decoded {
            let name = value.version.map { "projects/1/secrets/s/versions/\($0)" } ?? "projects/1/secrets/s"
            let canonical = "{\"name\":\"\(name)\",\"payload\":{\"data\":\"\(Data(value.bytes).base64EncodedString())\","
                + "\"dataCrc32c\":\"\(CRC32C.checksum(value.bytes))\"}}"
            var again: SecretValue?
            var refusal = ""
            do throws(SecretManagerError) {
                again = try SecretManagerClient.decodeAccessResponse(Array(canonical.utf8), name: resource)
            } catch {
                refusal = error.message
            }
            guard let again else { throw PropertyViolation("the canonical form of a decoded payload is refused: \(refusal)") }
            guard again == value else { throw PropertyViolation("the canonical form of a decoded payload decodes differently") }
        }
        // The same bytes as an error answer; the first line doubles as a Retry-After value.
        let newline = bytes.firstIndex(of: UInt8(ascii: "\n")) ?? bytes.endIndex
        let retryAfter = String(decoding: bytes[..<min(newline, 40)], as: UTF8.self)
        let status = 400 + (bytes.first.map(Int.init) ?? 0) % 200
        let error = GoogleCloudFuzzing.error(status: status, retryAfter: retryAfter, body: bytes, resource: resource)
        try checkPrintable(error.message, limit: GoogleCloudFuzzing.maxMessageLength + 120, what: "the error answer's message")
        if let retry = error.retryAfter, retry < .zero || retry > .seconds(3600) {
            throw PropertyViolation("Retry-After became \(retry), outside 0...3600 s")
        }
        _ = try? JSONDecoder().decode(SecretVersionMetadata.self, from: Data(bytes))
    }

    static func runOAuthResponse(_ bytes: [UInt8]) throws(PropertyViolation) {
        let statuses = [200, 201, 204, 400, 401, 403, 404, 429, 500, 503]
        let status = statuses[Int(bytes.first ?? 0) % statuses.count]
        let body = Array(bytes.dropFirst())
        do {
            let token = try GoogleCloudFuzzing.oauthToken(status: status, body: body)
            guard (200..<300).contains(status), !token.value.isEmpty else {
                throw PropertyViolation("a token came from an HTTP \(status) answer")
            }
            if let lifetime = token.expiresIn, lifetime < .zero {
                throw PropertyViolation("the token's lifetime is negative")
            }
            // Foundation's JSONDecoder does not check the syntax of values it skips (`1e3-` in
            // an unknown member), JSONSerialization does: compare only when both read the body.
            if let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any],
                object["access_token"] as? String != token.value
            {
                throw PropertyViolation("the token is not the answer's access_token")
            }
        } catch let violation as PropertyViolation {
            throw violation
        } catch let error as AuthenticationError {
            let limit = 2 * GoogleCloudFuzzing.maxOAuthDescriptionLength + 200
            try checkPrintable(error.message, limit: limit, what: "the OAuth error")
        } catch {
            throw PropertyViolation("the OAuth decoder threw \(type(of: error)), not an AuthenticationError")
        }
    }

    /// Fails when `text` has a control character or more than `limit` characters.
    static func checkPrintable(_ text: String, limit: Int, what: String) throws(PropertyViolation) {
        if let control = text.unicodeScalars.first(where: { $0.properties.generalCategory == .control }) {
            throw PropertyViolation("\(what) has the control character U+\(String(control.value, radix: 16, uppercase: true))")
        }
        guard text.count <= limit else { throw PropertyViolation("\(what) has \(text.count) characters, more than \(limit)") }
    }
}
