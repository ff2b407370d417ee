import Foundation

/// One Secret Manager event notification to publish: the Pub/Sub message (attributes and
/// `data`) and the topics it goes to.
///
/// Shape (<https://cloud.google.com/secret-manager/docs/event-notifications>): attributes
/// `eventType`, `dataFormat` (`JSON_API_V1`), `secretId` (the secret's full resource name,
/// with the project number), `timestamp` (RFC 3339), and for `SECRET_VERSION_*` events
/// `versionId` (the version's full resource name); `data` is the JSON of the Secret or
/// SecretVersion resource after the change, never a payload. `TOPIC_CONFIGURED` is a test
/// message with the `eventType` attribute only and no data.
struct EventNotification: Sendable, Equatable {
    /// The `eventType` attribute, e.g. `SECRET_VERSION_ADD`.
    var type: String
    /// The topics (`projects/P/topics/T`) the message goes to, one message each.
    var topics: [String]
    /// The message's attributes, `eventType` included.
    var attributes: [String: String]
    /// The message's data: the resource's JSON, or empty.
    var data: [UInt8]

    /// The `dataFormat` attribute Secret Manager sends.
    static let dataFormat = "JSON_API_V1"

    /// A secret or version event.
    ///
    /// - Parameters:
    ///   - type: `SECRET_CREATE`, `SECRET_UPDATE`, `SECRET_VERSION_ADD`, …
    ///   - topics: The secret's topics.
    ///   - secretName: `projects/NUMBER[/locations/L]/secrets/S`.
    ///   - versionName: The version's full name for version events.
    ///   - resource: The Secret or SecretVersion JSON (metadata only).
    ///   - time: When the change happened.
    static func change(
        _ type: String, topics: [String], secretName: String, versionName: String? = nil, resource: JSONValue,
        time: Date
    ) -> EventNotification {
        var attributes = [
            "eventType": type, "dataFormat": dataFormat, "secretId": secretName,
            "timestamp": WireFormat.timestamp(time),
        ]
        if let versionName { attributes["versionId"] = versionName }
        return EventNotification(type: type, topics: topics, attributes: attributes, data: resource.serialized)
    }

    /// The `TOPIC_CONFIGURED` test message for topics just added to a secret.
    static func topicConfigured(topics: [String]) -> EventNotification {
        EventNotification(
            type: "TOPIC_CONFIGURED", topics: topics, attributes: ["eventType": "TOPIC_CONFIGURED"], data: [])
    }
}

/// A secret's rotation schedule (the `rotation` field of a Secret): at
/// ``nextRotationTime`` Secret Manager publishes `SECRET_ROTATE` to the secret's topics and
/// advances it by ``rotationPeriod`` (or clears it without one). It adds no version itself.
///
/// Limits Secret Manager enforces on `secrets.create` and `secrets.patch`
/// (<https://cloud.google.com/secret-manager/docs/reference/rest/v1/projects.secrets#rotation>):
/// `nextRotationTime` at least 300 s and at most 3153600000 s (100 years) ahead;
/// `rotationPeriod` whole seconds, 3600 s to 3153600000 s, and only with a
/// `nextRotationTime`; the secret must have topics.
struct RotationSchedule: Sendable, Equatable {
    /// When the next `SECRET_ROTATE` is due, or `nil` for none scheduled.
    var nextRotationTime: Date?
    /// Seconds between rotations, or `nil` for a one-time schedule.
    var rotationPeriod: Int64?

    /// The shortest period, in seconds (one hour).
    static let minimumPeriod: Int64 = 3600
    /// The longest period and the farthest `nextRotationTime`, in seconds (100 years).
    static let maximumSpan: Int64 = 3_153_600_000
    /// How far ahead a `nextRotationTime` set through the API must be, in seconds.
    static let minimumLead: Int64 = 300

    /// Whether nothing is set (the field is then left out of the Secret).
    var isEmpty: Bool { nextRotationTime == nil && rotationPeriod == nil }

    /// The Secret's `rotation` member: `{"nextRotationTime": RFC3339, "rotationPeriod": "Ns"}`,
    /// unset members left out.
    var json: JSONValue {
        var members: [(String, JSONValue)] = []
        if let nextRotationTime {
            members.append(("nextRotationTime", .string(Self.protoTimestamp(nextRotationTime))))
        }
        if let rotationPeriod { members.append(("rotationPeriod", .string("\(rotationPeriod)s"))) }
        return .object(members)
    }

    /// A proto3 JSON duration of whole seconds (`"3600s"`), or `nil`.
    static func seconds(_ text: String) -> Int64? {
        guard text.hasSuffix("s") else { return nil }
        let digits = text.dropLast()
        guard !digits.isEmpty, digits.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else {
            return nil
        }
        return Int64(digits)
    }

    /// A period's problem, as a sentence fragment, or `nil` when it is within Google's bounds.
    static func periodProblem(_ seconds: Int64) -> String? {
        guard seconds >= minimumPeriod, seconds <= maximumSpan else {
            return "must be at least \(minimumPeriod)s (1 hour) and at most \(maximumSpan)s (100 years)"
        }
        return nil
    }

    /// A timestamp as proto3 JSON writes it: UTC, `Z`, no fraction when it is zero, else 3
    /// or 6 digits.
    static func protoTimestamp(_ date: Date) -> String {
        let full = WireFormat.timestamp(date)  // …:SS.ffffffZ
        guard let dot = full.lastIndex(of: ".") else { return full }
        var fraction = String(full[full.index(after: dot)...].dropLast())
        if fraction == "000000" { return String(full[..<dot]) + "Z" }
        if fraction.hasSuffix("000") { fraction = String(fraction.prefix(3)) }
        return String(full[..<dot]) + "." + fraction + "Z"
    }

    /// Advances a due schedule as Secret Manager does after publishing `SECRET_ROTATE`: by
    /// the period until it is after `now` (one notification for a clock that jumped several
    /// periods), or cleared when there is no period.
    mutating func advance(past now: Date) {
        guard let next = nextRotationTime else { return }
        guard let period = rotationPeriod, period > 0 else {
            nextRotationTime = nil
            return
        }
        let elapsed = now.timeIntervalSince(next)
        let steps = max(1, Int64((elapsed / Double(period)).rounded(.down)) + 1)
        nextRotationTime = next.addingTimeInterval(Double(steps) * Double(period))
    }
}

/// Pub/Sub topic names as Secret Manager accepts them in a secret's `topics`.
enum TopicName {
    /// The most topics a secret may have.
    static let maximumPerSecret = 10

    /// Whether `name` is `projects/P/topics/T` with a valid project id and topic id (3–255
    /// characters of letters, digits, `-_.~+%`, starting with a letter, not starting with
    /// `goog`: <https://cloud.google.com/pubsub/docs/pubsub-basics#resource_names>).
    static func isValid(_ name: String) -> Bool {
        let parts = name.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 4, parts[0] == "projects", parts[2] == "topics" else { return false }
        guard ResourcePath.isProject(parts[1]) else { return false }
        let topic = parts[3]
        guard (3...255).contains(topic.utf8.count), !topic.lowercased().hasPrefix("goog"),
            let first = topic.unicodeScalars.first, first.isASCII, first.properties.isAlphabetic
        else { return false }
        return topic.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."),
                UInt8(ascii: "~"), UInt8(ascii: "+"), UInt8(ascii: "%"):
                true
            default:
                false
            }
        }
    }
}
