import Foundation

/// The JSON body of a successful `AccessSecretVersion` call
/// (<https://cloud.google.com/secret-manager/docs/reference/rest/v1/projects.secrets.versions/access>).
struct AccessSecretVersionResponse: Decodable {
    struct Payload: Decodable {
        /// Standard padded base64 of the payload bytes; absent when the payload is empty.
        var data: String?
        /// CRC32C of the payload as a decimal string (int64 travels as a string in JSON).
        var dataCrc32c: String?

        enum CodingKeys: String, CodingKey { case data, dataCrc32c }

        init(data: String?, dataCrc32c: String?) {
            self.data = data
            self.dataCrc32c = dataCrc32c
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            data = try container.decodeIfPresent(String.self, forKey: .data)
            // Accept a JSON number as well as the canonical string form.
            if let text = try? container.decodeIfPresent(String.self, forKey: .dataCrc32c) {
                dataCrc32c = text
            } else if let number = try container.decodeIfPresent(Int64.self, forKey: .dataCrc32c) {
                dataCrc32c = String(number)
            }
        }
    }

    /// `projects/NUMBER[/locations/L]/secrets/S/versions/N`: the resolved version number,
    /// even when `latest` or an alias was asked for.
    var name: String?
    var payload: Payload?

    /// The version number at the end of `name`.
    var versionNumber: Int? {
        guard let name, let range = name.range(of: "/versions/", options: .backwards) else { return nil }
        return Int(name[range.upperBound...])
    }
}

extension AccessSecretVersionResponse {
    /// Decodes a response body: the exact shape Secret Manager sends,
    /// `{"name":"...","payload":{"data":"...","dataCrc32c":"..."}}` (any order, any JSON
    /// whitespace, fields absent), is read by ``parseCanonical(_:)`` without Foundation's
    /// `JSONDecoder`; anything else (escapes, other fields, numbers, nulls) goes to
    /// `JSONDecoder`, which decides.
    ///
    /// - Throws: `JSONDecoder`'s error for a body that is not the JSON described.
    static func decode(_ body: [UInt8]) throws -> AccessSecretVersionResponse {
        if let response = parseCanonical(body) { return response }
        return try JSONDecoder().decode(AccessSecretVersionResponse.self, from: Data(body))
    }

    /// The response when `body` is an object with at most `name` (a string) and `payload`
    /// (an object with at most the strings `data` and `dataCrc32c`), each once, with no
    /// backslash in any string; nil for anything else, valid JSON or not.
    static func parseCanonical(_ body: [UInt8]) -> AccessSecretVersionResponse? {
        body.withUnsafeBufferPointer { buffer -> AccessSecretVersionResponse? in
            var reader = CanonicalJSONReader(buffer: buffer)
            var name: String?
            var payload: Payload?
            var sawName = false, sawPayload = false
            let complete = reader.object { key, reader in
                switch key {
                case "name" where !sawName:
                    sawName = true
                    guard let value = reader.string() else { return false }
                    name = value
                    return true
                case "payload" where !sawPayload:
                    sawPayload = true
                    var data: String?
                    var checksum: String?
                    var sawData = false, sawChecksum = false
                    let parsed = reader.object { key, reader in
                        switch key {
                        case "data" where !sawData:
                            sawData = true
                            data = reader.string()
                            return data != nil
                        case "dataCrc32c" where !sawChecksum:
                            sawChecksum = true
                            checksum = reader.string()
                            return checksum != nil
                        default:
                            return false
                        }
                    }
                    guard parsed else { return false }
                    payload = Payload(data: data, dataCrc32c: checksum)
                    return true
                default:
                    return false
                }
            }
            guard complete, reader.atEnd() else { return nil }
            return AccessSecretVersionResponse(name: name, payload: payload)
        }
    }
}

/// Reads the small subset of JSON ``AccessSecretVersionResponse/parseCanonical(_:)``
/// accepts: objects whose keys and string values hold no backslash.
private struct CanonicalJSONReader {
    let buffer: UnsafeBufferPointer<UInt8>
    var index = 0

    init(buffer: UnsafeBufferPointer<UInt8>) {
        self.buffer = buffer
    }

    mutating func skipWhitespace() {
        while index < buffer.count {
            switch buffer[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    /// Whether only whitespace is left.
    mutating func atEnd() -> Bool {
        skipWhitespace()
        return index == buffer.count
    }

    /// A string of printable ASCII without escapes; nil otherwise (the names, base64 and
    /// decimal digits Secret Manager sends are all such strings).
    mutating func string() -> String? {
        skipWhitespace()
        guard index < buffer.count, buffer[index] == UInt8(ascii: "\"") else { return nil }
        let start = index + 1
        var end = start
        while end < buffer.count {
            let byte = buffer[end]
            if byte == UInt8(ascii: "\"") { break }
            if byte == UInt8(ascii: "\\") || byte < 0x20 || byte >= 0x80 { return nil }
            end += 1
        }
        guard end < buffer.count else { return nil }
        index = end + 1
        return String(decoding: UnsafeBufferPointer(rebasing: buffer[start..<end]), as: UTF8.self)
    }

    /// An object, each member's value read by `member` (given the key), which returns
    /// false to give up; false for anything that is not such an object.
    mutating func object(_ member: (String, inout CanonicalJSONReader) -> Bool) -> Bool {
        skipWhitespace()
        guard index < buffer.count, buffer[index] == UInt8(ascii: "{") else { return false }
        index += 1
        skipWhitespace()
        if index < buffer.count, buffer[index] == UInt8(ascii: "}") {
            index += 1
            return true
        }
        while true {
            guard let key = string() else { return false }
            skipWhitespace()
            guard index < buffer.count, buffer[index] == UInt8(ascii: ":") else { return false }
            index += 1
            guard member(key, &self) else { return false }
            skipWhitespace()
            guard index < buffer.count else { return false }
            let byte = buffer[index]
            index += 1
            if byte == UInt8(ascii: "}") { return true }
            guard byte == UInt8(ascii: ",") else { return false }
        }
    }
}

extension SecretManagerClient {
    /// The payload of an `AccessSecretVersion` answer (HTTP 200): its JSON decoded, the
    /// base64 payload decoded, the CRC32C checked when the answer carries one.
    ///
    /// - Parameters:
    ///   - body: the response body.
    ///   - name: the version's resource name, for errors.
    /// - Returns: the payload and the version number at the end of the answer's `name`.
    /// - Throws: ``SecretManagerError`` `.invalidResponse` (not the JSON Secret Manager
    ///   sends, invalid base64, a `dataCrc32c` that is not a 32-bit number) or
    ///   `.checksumMismatch`; the message never contains payload bytes or checksums.
    package static func decodeAccessResponse(_ body: [UInt8], name: String) throws(SecretManagerError) -> SecretValue {
        let decoded: AccessSecretVersionResponse
        do {
            decoded = try AccessSecretVersionResponse.decode(body)
        } catch {
            throw SecretManagerError(
                code: .invalidResponse, resource: name, httpStatus: 200,
                message: "the access response is not the JSON Secret Manager sends")
        }
        guard let encoded = decoded.payload?.data else {
            // An empty payload travels as an absent `data` field (proto3 JSON omits defaults).
            return SecretValue(bytes: [], version: decoded.versionNumber)
        }
        guard let bytes = Base64Payload.decode(encoded) else {
            throw SecretManagerError(
                code: .invalidResponse, resource: name, httpStatus: 200,
                message: "payload.data is not valid base64")
        }
        if let expected = decoded.payload?.dataCrc32c {
            guard let expectedValue = UInt32(expected) else {
                throw SecretManagerError(
                    code: .invalidResponse, resource: name, httpStatus: 200,
                    message: "payload.dataCrc32c is not a 32-bit decimal number")
            }
            let actual = CRC32C.checksum(bytes)
            guard actual == expectedValue else {
                throw SecretManagerError(
                    code: .checksumMismatch, resource: name, httpStatus: 200,
                    // The checksums themselves stay out of the message: a CRC32C of a short
                    // secret (a PIN) could be brute-forced from a log line.
                    message: "the payload's CRC32C does not match dataCrc32c; "
                        + "the payload was corrupted in transit and was not used")
            }
        }
        return SecretValue(bytes: bytes, version: decoded.versionNumber)
    }
}
