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
