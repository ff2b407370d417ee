import Foundation
@testable import Secretsmith

/// The files under Fixtures/pubsub.
enum PubSubFixtures {
    /// The bytes of `Fixtures/pubsub/<name>`.
    static func bytes(_ name: String) throws -> [UInt8] {
        guard let resources = Bundle.module.resourceURL else { throw CocoaError(.fileNoSuchFile) }
        return Array(try Data(contentsOf: resources.appendingPathComponent("Fixtures/pubsub/\(name)")))
    }

    /// The Pub/Sub message in `Fixtures/pubsub/events/<name>.json`.
    static func message(_ name: String) throws -> PubSubMessage {
        try JSONDecoder().decode(PubSubMessage.self, from: Data(bytes("events/\(name).json")))
    }

    /// The Secret Manager event in `Fixtures/pubsub/events/<name>.json`.
    static func event(_ name: String) throws -> SecretEvent {
        SecretEvent(message: try message(name))
    }
}
