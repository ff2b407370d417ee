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
            decoded = try JSONDecoder().decode(AccessSecretVersionResponse.self, from: Data(body))
        } catch {
            throw SecretManagerError(
                code: .invalidResponse, resource: name, httpStatus: 200,
                message: "the access response is not the JSON Secret Manager sends")
        }
        guard let encoded = decoded.payload?.data else {
            // An empty payload travels as an absent `data` field (proto3 JSON omits defaults).
            return SecretValue(bytes: [], version: decoded.versionNumber)
        }
        guard let data = Data(base64Encoded: encoded) else {
            throw SecretManagerError(
                code: .invalidResponse, resource: name, httpStatus: 200,
                message: "payload.data is not valid base64")
        }
        let bytes = [UInt8](data)
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
