/// The `eventType` attribute of a Secret Manager event notification.
///
/// Values from <https://cloud.google.com/secret-manager/docs/event-notifications>; a value
/// Google adds later is kept as ``unknown(_:)`` rather than rejected.
package enum SecretEventType: Sendable, Hashable, CustomStringConvertible {
    /// `SECRET_CREATE`: a secret was created.
    case secretCreate
    /// `SECRET_UPDATE`: a secret's fields changed (aliases, labels, topics, rotation, ...).
    case secretUpdate
    /// `SECRET_DELETE`: a secret was deleted, by a request or because it expired.
    case secretDelete
    /// `SECRET_VERSION_ADD`: a version was added.
    case versionAdd
    /// `SECRET_VERSION_ENABLE`: a version was enabled.
    case versionEnable
    /// `SECRET_VERSION_DISABLE`: a version was disabled.
    case versionDisable
    /// `SECRET_VERSION_DESTROY`: a version was destroyed.
    case versionDestroy
    /// `SECRET_VERSION_DESTROY_SCHEDULED`: destroying a version was asked for on a secret
    /// with a destruction delay; the version is disabled until it is destroyed.
    case versionDestroyScheduled
    /// `SECRET_ROTATE`: the secret's rotation schedule says it is time to rotate. Secret
    /// Manager adds no version itself.
    case secretRotate
    /// `TOPIC_CONFIGURED`: a test message sent when a topic is added to a secret; it has no
    /// data and no attribute but `eventType`.
    case topicConfigured
    /// Any other value, kept as sent (empty when the attribute is empty).
    case unknown(String)

    /// Classifies an `eventType` value; never fails.
    package init(rawValue: String) {
        switch rawValue {
        case "SECRET_CREATE": self = .secretCreate
        case "SECRET_UPDATE": self = .secretUpdate
        case "SECRET_DELETE": self = .secretDelete
        case "SECRET_VERSION_ADD": self = .versionAdd
        case "SECRET_VERSION_ENABLE": self = .versionEnable
        case "SECRET_VERSION_DISABLE": self = .versionDisable
        case "SECRET_VERSION_DESTROY": self = .versionDestroy
        case "SECRET_VERSION_DESTROY_SCHEDULED": self = .versionDestroyScheduled
        case "SECRET_ROTATE": self = .secretRotate
        case "TOPIC_CONFIGURED": self = .topicConfigured
        default: self = .unknown(rawValue)
        }
    }

    /// The attribute's value, e.g. `SECRET_VERSION_ADD`.
    package var rawValue: String {
        switch self {
        case .secretCreate: "SECRET_CREATE"
        case .secretUpdate: "SECRET_UPDATE"
        case .secretDelete: "SECRET_DELETE"
        case .versionAdd: "SECRET_VERSION_ADD"
        case .versionEnable: "SECRET_VERSION_ENABLE"
        case .versionDisable: "SECRET_VERSION_DISABLE"
        case .versionDestroy: "SECRET_VERSION_DESTROY"
        case .versionDestroyScheduled: "SECRET_VERSION_DESTROY_SCHEDULED"
        case .secretRotate: "SECRET_ROTATE"
        case .topicConfigured: "TOPIC_CONFIGURED"
        case .unknown(let value): value
        }
    }

    /// Whether the event is about one version, whose resource is the message's data.
    package var isVersionEvent: Bool {
        switch self {
        case .versionAdd, .versionEnable, .versionDisable, .versionDestroy, .versionDestroyScheduled: true
        default: false
        }
    }

    /// A bounded label for metrics: the raw value for the known types, `UNKNOWN` for any
    /// other, so a sender cannot grow the label set.
    package var metricLabel: String {
        if case .unknown = self { return "UNKNOWN" }
        return rawValue
    }

    package var description: String { rawValue }
}
