import Foundation
import NIOHTTP1
@testable import Secretsmith
import Testing

/// Pull answers, messages and error answers as Pub/Sub's REST API sends them (fixtures).
@Suite struct PubSubDecodingTests {
    @Test func aPullAnswerDecodesAckIDsDataAttributesAndDeliveryAttempts() throws {
        let messages = try ReceivedMessage.decodePullResponse(PubSubFixtures.bytes("pull-answer.json"))
        #expect(messages.map(\.ackID) == (1...3).map { "projects/acme-app-dev/subscriptions/watcher:\($0)" })
        #expect(messages.map(\.deliveryAttempt) == [1, 3, nil])  // a number, a string, absent
        let first = messages[0].message
        #expect(first.messageID == "1001")
        #expect(first.publishTime == "2026-11-29T20:00:00.789Z")
        #expect(first.publishDate == RFC3339.date(from: "2026-11-29T20:00:00.789Z"))
        #expect(first.attributes["eventType"] == "SECRET_VERSION_ADD")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(first.data)) as? [String: Any])
        #expect(json["name"] as? String == "projects/123456789012/secrets/db-password/versions/4")
        // URL-safe base64 without padding is accepted, as proto3 JSON parsers do.
        let second = try #require(try JSONSerialization.jsonObject(with: Data(messages[1].message.data)) as? [String: Any])
        #expect(second["state"] as? String == "DISABLED")
        // A message without data has empty data, not an error.
        #expect(messages[2].message.data.isEmpty)
        #expect(messages[2].message.attributes == ["eventType": "TOPIC_CONFIGURED"])
    }

    @Test func anEmptyPullAnswerIsNoMessages() throws {
        #expect(try ReceivedMessage.decodePullResponse(PubSubFixtures.bytes("pull-empty.json")).isEmpty)
    }

    @Test func dataThatIsNotBase64IsADecodingError() throws {
        #expect(throws: DecodingError.self) {
            _ = try ReceivedMessage.decodePullResponse(PubSubFixtures.bytes("pull-bad-base64.json"))
        }
    }

    @Test func base64DecodingAcceptsBothAlphabetsWithAndWithoutPadding() {
        let bytes: [UInt8] = [0xFB, 0xFF, 0xBF, 0x00, 0x41]
        #expect(PubSubMessage.decodeBase64("+/+/AEE=") == bytes)
        #expect(PubSubMessage.decodeBase64("-_-_AEE") == bytes)
        #expect(PubSubMessage.decodeBase64("") == [])
        #expect(PubSubMessage.decodeBase64("A") == nil)
        #expect(PubSubMessage.decodeBase64("A*==") == nil)
    }

    @Test func aPublishedMessageEncodesDataAsStandardBase64AndOmitsEmptyFields() throws {
        let message = PubSubMessage(data: [0xFB, 0xFF], attributes: ["eventType": "SECRET_VERSION_ADD"], messageID: "9")
        let json = try #require(
            try JSONSerialization.jsonObject(with: JSONEncoder().encode(message)) as? [String: Any])
        #expect(json["data"] as? String == "+/8=")
        #expect(json["attributes"] as? [String: String] == ["eventType": "SECRET_VERSION_ADD"])
        #expect(json["messageId"] == nil)  // the server assigns it
        let empty = try JSONSerialization.jsonObject(with: JSONEncoder().encode(PubSubMessage())) as? [String: Any]
        #expect(empty?.isEmpty == true)
    }

    @Test func googlesErrorEnvelopeMapsByStatusNotByWording() throws {
        let notFound = PubSubError.from(
            status: 404, contentType: "application/json", retryAfter: nil,
            body: try PubSubFixtures.bytes("error-not-found.json"), resource: "projects/acme-app-dev/subscriptions/watcher")
        #expect(notFound.code == .notFound)
        #expect(notFound.httpStatus == 404)
        #expect(!notFound.isRetryable)
        #expect(notFound.kind == .configuration)
        #expect(notFound.description == "Pub/Sub projects/acme-app-dev/subscriptions/watcher: NOT_FOUND (HTTP 404): Resource not found (resource=watcher).")

        let unavailable = PubSubError.from(
            status: 503, contentType: "application/json", retryAfter: "7",
            body: try PubSubFixtures.bytes("error-unavailable.json"), resource: "projects/p/subscriptions/s")
        #expect(unavailable.code == .unavailable)
        #expect(unavailable.isRetryable)
        #expect(unavailable.retryAfter == .seconds(7))
        #expect(!unavailable.message.contains("\n"))  // control characters are blanked
    }

    @Test func aNonJSONErrorMapsByHTTPStatus() throws {
        let html = try PubSubFixtures.bytes("error-html.html")
        let unknownPath = PubSubError.from(
            status: 404, contentType: "text/html; charset=UTF-8", retryAfter: nil, body: html, resource: "projects/p/subscriptions/s")
        // An HTML 404 comes from a front end that does not know the path, not from Pub/Sub.
        #expect(unknownPath.code == .unavailable)
        #expect(unknownPath.message.contains("text/html"))
        #expect(!unknownPath.message.contains("<html"))
        for (status, code) in [(429, PubSubError.Code.resourceExhausted), (500, .internal), (502, .unavailable), (503, .unavailable), (504, .deadlineExceeded), (403, .permissionDenied), (401, .unauthenticated)] {
            let error = PubSubError.from(status: status, contentType: "text/html", retryAfter: nil, body: html, resource: "r")
            #expect(error.code == code, "HTTP \(status)")
        }
        for status in [429, 500, 502, 503, 504] {
            #expect(PubSubError.from(status: status, contentType: nil, retryAfter: nil, body: [], resource: "r").isRetryable)
        }
        for status in [400, 401, 403] {
            #expect(!PubSubError.from(status: status, contentType: nil, retryAfter: nil, body: [], resource: "r").isRetryable)
        }
    }

    @Test func resourceNamesAreCheckedBeforeTheyReachAURL() {
        #expect(throws: Never.self) { try PubSubClient.validate("projects/acme-app-dev/subscriptions/watch-er_1.x~y+z%20", kind: "subscriptions") }
        for bad in [
            "projects/acme/topics/t", "acme/subscriptions/s", "projects//subscriptions/s", "projects/acme/subscriptions/",
            "projects/acme/subscriptions/s/extra", "projects/acme/subscriptions/s?x=1", "projects/acme/subscriptions/a b",
        ] {
            #expect(throws: PubSubError.self, "\(bad)") { try PubSubClient.validate(bad, kind: "subscriptions") }
        }
    }

    @Test func theEmulatorVariableMeansPlainHTTPWithoutCredentials() throws {
        let emulator = try PubSubEndpoint.resolve(environment: ["PUBSUB_EMULATOR_HOST": "127.0.0.1:8085"])
        #expect(emulator == PubSubEndpoint(baseURL: "http://127.0.0.1:8085", requiresCredentials: false))
        let prefixed = try PubSubEndpoint.resolve(environment: ["PUBSUB_EMULATOR_HOST": "http://[::1]:8085"])
        #expect(prefixed.baseURL == "http://[::1]:8085")
        let google = try PubSubEndpoint.resolve(environment: ["PUBSUB_EMULATOR_HOST": ""])
        #expect(google == PubSubEndpoint(baseURL: "https://pubsub.googleapis.com", requiresCredentials: true))
        let error = #expect(throws: ConfigurationError.self) {
            try PubSubEndpoint.resolve(environment: ["PUBSUB_EMULATOR_HOST": "localhost"])
        }
        #expect(error?.description.contains("PUBSUB_EMULATOR_HOST") == true)
        #expect(throws: ConfigurationError.self) {
            try PubSubEndpoint.resolve(environment: ["PUBSUB_EMULATOR_HOST": "127.0.0.1:99999"])
        }
    }
}
