import Foundation

/// A Secret Manager event notification, parsed from the Pub/Sub message that carried it.
///
/// Source: <https://cloud.google.com/secret-manager/docs/event-notifications>. Secret
/// Manager publishes one message per change of a secret or one of its versions (reads
/// publish nothing) to each of the secret's topics. Every message but the
/// `TOPIC_CONFIGURED` test carries the attributes `eventType`, `dataFormat`
/// (`JSON_API_V1`), `secretId` (the secret's full resource name, with the project number
/// or id) and `timestamp` (RFC 3339); a version event may also carry `versionId` (the
/// version's full resource name). `data` is the JSON of the Secret or SecretVersion
/// resource after the change (proto3 JSON mapping), never a secret payload.
///
/// Parsing never fails: delivery is at least once and unordered, and a message with
/// missing or unexpected attributes, an unknown type or unreadable data is classified
/// ``Relevance-swift.enum/irrelevant(reason:)`` (the caller acknowledges it and moves on)
/// or keeps only what its attributes say.
package struct SecretEvent: Sendable, Hashable {
    /// Whether an event can change what a reader of the secret gets.
    package enum Relevance: Sendable, Hashable {
        /// It may have changed a version's bytes or state, an alias, or the secret's existence.
        case relevant
        /// It changes nothing a reader sees, or it cannot be tied to a secret; `reason` is a
        /// sentence for logs.
        case irrelevant(reason: String)
    }

    /// The `eventType` attribute; `.unknown("")` when absent.
    package var type: SecretEventType
    /// The secret, from `secretId`, else from the resource name in `data`.
    package var secret: SecretResourceName?
    /// The version's full resource name (`projects/P/secrets/S/versions/N`) for version
    /// events: the `name` in `data`, else the `versionId` attribute.
    package var versionName: String?
    /// The version number at the end of ``versionName``.
    package var versionNumber: Int?
    /// The version's state after the change, from `data` (a SecretVersion).
    package var versionState: SecretVersionMetadata.State?
    /// The secret's aliases after the change (`versionAliases` of a Secret in `data`,
    /// alias → version number); `nil` when `data` is not a Secret or says nothing about them.
    package var versionAliases: [String: Int]?
    /// The `dataFormat` attribute (`JSON_API_V1`), as sent.
    package var dataFormat: String?
    /// The `timestamp` attribute (RFC 3339, e.g. `2021-01-20T11:17:45.081104-08:00`).
    package var timestamp: String?
    /// The Pub/Sub message id, for logs and de-duplication.
    package var messageID: String?
    /// Whether the event matters to a reader.
    package var relevance: Relevance

    /// The `dataFormat` this parser reads `data` in.
    package static let jsonDataFormat = "JSON_API_V1"

    /// Parses a message; never throws.
    ///
    /// `data` is read as JSON when `dataFormat` is absent or `JSON_API_V1`; otherwise, or
    /// when it is not a JSON object, only the attributes are used.
    package init(message: PubSubMessage) {
        let attributes = message.attributes
        let rawType = attributes["eventType"]
        type = SecretEventType(rawValue: rawType ?? "")
        dataFormat = attributes["dataFormat"]
        timestamp = attributes["timestamp"]
        messageID = message.messageID

        let resource: [String: Any]? =
            dataFormat == nil || dataFormat == Self.jsonDataFormat ? Self.jsonObject(message.data) : nil
        let dataName = (resource?["name"] as? String).flatMap(SecretResourceName.parse)

        secret = attributes["secretId"].flatMap(SecretResourceName.parse)?.secret ?? dataName?.secret

        if type.isVersionEvent || dataName?.version != nil {
            if let dataName, let version = dataName.version, let name = resource?["name"] as? String {
                versionName = name
                versionNumber = Int(version)
            } else if let attribute = attributes["versionId"], let parsed = SecretResourceName.parse(attribute),
                let version = parsed.version
            {
                versionName = attribute
                versionNumber = Int(version)
            }
            if dataName?.version != nil {
                versionState = (resource?["state"] as? String).flatMap(SecretVersionMetadata.State.init(rawValue:))
            }
        }
        if dataName != nil, dataName?.version == nil, let aliases = resource?["versionAliases"] as? [String: Any] {
            versionAliases = aliases.compactMapValues(Self.integer)
        }

        relevance = Self.relevance(type: type, rawType: rawType, secret: secret)
    }

    /// Whether ``relevance`` is `.relevant`.
    package var isRelevant: Bool { relevance == .relevant }

    /// ``timestamp`` parsed, or `nil` when absent or not RFC 3339.
    package var date: Date? { timestamp.flatMap(RFC3339.date(from:)) }

    private static func relevance(type: SecretEventType, rawType: String?, secret: SecretResourceName?) -> Relevance {
        switch type {
        case .topicConfigured:
            return .irrelevant(reason: "a test message Secret Manager sends when a topic is configured")
        case .secretRotate:
            return .irrelevant(reason: "a rotation reminder: Secret Manager adds no version, so nothing a reader gets changed")
        case .unknown(let value):
            if rawType == nil {
                return .irrelevant(reason: "the message has no eventType attribute, so it is not a Secret Manager event")
            }
            return .irrelevant(reason: "the event type \"\(sanitized(value))\" is not one secretsmith knows")
        case .secretCreate, .secretUpdate, .secretDelete, .versionAdd, .versionEnable, .versionDisable,
            .versionDestroy, .versionDestroyScheduled:
            guard secret != nil else {
                return .irrelevant(reason: "neither the secretId attribute nor the data names a secret")
            }
            return .relevant
        }
    }

    /// The JSON object in `data`, or `nil` when it is empty or not a JSON object.
    private static func jsonObject(_ data: [UInt8]) -> [String: Any]? {
        guard !data.isEmpty else { return nil }
        return (try? JSONSerialization.jsonObject(with: Data(data))) as? [String: Any]
    }

    /// An int64 of proto3 JSON: a string of digits, or a number.
    private static func integer(_ value: Any) -> Int? {
        if let text = value as? String { return Int(text) }
        return value as? Int
    }

    /// A sender's value for a log sentence: at most 64 characters, printable ASCII.
    private static func sanitized(_ value: String) -> String {
        let printable = String(
            value.unicodeScalars.prefix(64).map { $0.value >= 0x20 && $0.value < 0x7F ? Character($0) : "?" })
        return value.unicodeScalars.count > 64 ? printable + "…" : printable
    }
}
