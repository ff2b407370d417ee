import Foundation

/// One message of a pull answer, with the id that acknowledges it.
///
/// Wire form (<https://cloud.google.com/pubsub/docs/reference/rest/v1/projects.subscriptions/pull>):
/// `{"receivedMessages": [{"ackId", "message": PubsubMessage, "deliveryAttempt"}]}`, or `{}`
/// when there is nothing to deliver.
package struct ReceivedMessage: Sendable, Hashable {
    /// The id to pass to `acknowledge` or `modifyAckDeadline`; valid for this delivery only.
    package var ackID: String
    /// The message.
    package var message: PubSubMessage
    /// How many times the message was delivered, this one included; only set when the
    /// subscription has a dead-letter policy (Google's emulator never sets it).
    package var deliveryAttempt: Int?

    package init(ackID: String, message: PubSubMessage, deliveryAttempt: Int? = nil) {
        self.ackID = ackID
        self.message = message
        self.deliveryAttempt = deliveryAttempt
    }

    /// Decodes a pull answer.
    ///
    /// - Parameter body: the answer's JSON bytes.
    /// - Returns: the messages, in the order the server sent them (possibly none).
    /// - Throws: `DecodingError` when the body is not a pull answer: not JSON, a message
    ///   without `ackId`, data that is not base64, an attribute that is not a string.
    package static func decodePullResponse(_ body: [UInt8]) throws -> [ReceivedMessage] {
        try JSONDecoder().decode(PullResponse.self, from: Data(body)).receivedMessages ?? []
    }

    private struct PullResponse: Decodable {
        var receivedMessages: [ReceivedMessage]?
    }
}

extension ReceivedMessage: Decodable {
    private enum CodingKeys: String, CodingKey {
        case ackId, message, deliveryAttempt
    }

    package init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        ackID = try container.decode(String.self, forKey: .ackId)
        message = try container.decodeIfPresent(PubSubMessage.self, forKey: .message) ?? PubSubMessage()
        // int32 travels as a JSON number; proto3 JSON parsers also accept a string.
        if let number = try? container.decodeIfPresent(Int.self, forKey: .deliveryAttempt) {
            deliveryAttempt = number
        } else if let text = try? container.decodeIfPresent(String.self, forKey: .deliveryAttempt) {
            deliveryAttempt = Int(text)
        } else {
            deliveryAttempt = nil
        }
    }
}
