import Foundation

/// A Pub/Sub message: bytes and string attributes, plus the server's id and publish time
/// once published.
///
/// Wire form (<https://cloud.google.com/pubsub/docs/reference/rest/v1/PubsubMessage>):
/// `{"data": BASE64, "attributes": {"k": "v"}, "messageId": "...", "publishTime": RFC3339}`;
/// proto3 JSON omits empty fields, so every field may be absent.
package struct PubSubMessage: Sendable, Hashable {
    /// The message body (decoded from base64); empty when the message has none.
    package var data: [UInt8]
    /// The message's attributes.
    package var attributes: [String: String]
    /// The id the server gave the message; `nil` for a message not yet published.
    package var messageID: String?
    /// When the server received the message, RFC 3339 as sent; `nil` before publishing.
    package var publishTime: String?

    package init(
        data: [UInt8] = [], attributes: [String: String] = [:], messageID: String? = nil, publishTime: String? = nil
    ) {
        self.data = data
        self.attributes = attributes
        self.messageID = messageID
        self.publishTime = publishTime
    }

    /// ``publishTime`` parsed, or `nil` when absent or not RFC 3339.
    package var publishDate: Date? { publishTime.flatMap(RFC3339.date(from:)) }
}

extension PubSubMessage: Codable {
    private enum CodingKeys: String, CodingKey {
        case data, attributes, messageId, publishTime
    }

    package init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let encoded = try container.decodeIfPresent(String.self, forKey: .data) ?? ""
        guard let bytes = Self.decodeBase64(encoded) else {
            throw DecodingError.dataCorruptedError(
                forKey: .data, in: container, debugDescription: "message data is not base64")
        }
        data = bytes
        attributes = try container.decodeIfPresent([String: String].self, forKey: .attributes) ?? [:]
        messageID = try container.decodeIfPresent(String.self, forKey: .messageId)
        publishTime = try container.decodeIfPresent(String.self, forKey: .publishTime)
    }

    /// Encodes the fields a publish request takes: `data` (standard padded base64, omitted
    /// when empty) and `attributes` (omitted when empty). The server sets the others.
    package func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        if !data.isEmpty { try container.encode(Data(data).base64EncodedString(), forKey: .data) }
        if !attributes.isEmpty { try container.encode(attributes, forKey: .attributes) }
    }

    /// Decodes base64 as proto3 JSON parsers accept it: the standard or the URL-safe
    /// alphabet, with or without padding (<https://protobuf.dev/programming-guides/json/>).
    static func decodeBase64(_ text: String) -> [UInt8]? {
        var normalized = String(text.map { $0 == "-" ? "+" : $0 == "_" ? "/" : $0 })
        let remainder = normalized.utf8.count % 4
        if remainder == 1 { return nil }
        if remainder > 0 { normalized += String(repeating: "=", count: 4 - remainder) }
        return Data(base64Encoded: normalized).map { [UInt8]($0) }
    }
}
