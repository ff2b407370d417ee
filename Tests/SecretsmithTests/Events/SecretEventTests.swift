@testable import Secretsmith
import Testing

/// Secret Manager event notifications as Pub/Sub delivers them (fixtures under
/// Fixtures/pubsub/events), including messages with odd or missing attributes.
@Suite struct SecretEventTests {
    let dbPassword = SecretResourceName(project: "123456789012", secret: "db-password")

    @Test func aVersionAddCarriesTheSecretTheVersionAndItsState() throws {
        let event = try PubSubFixtures.event("version-add")
        #expect(event.type == .versionAdd)
        #expect(event.isRelevant)
        #expect(event.secret == dbPassword)
        #expect(event.secret?.projectNumber == 123_456_789_012)
        #expect(event.versionName == "projects/123456789012/secrets/db-password/versions/4")
        #expect(event.versionNumber == 4)
        #expect(event.versionState == .enabled)
        #expect(event.dataFormat == "JSON_API_V1")
        #expect(event.timestamp == "2026-11-29T12:00:00.456789-08:00")
        #expect(event.date != nil)
        #expect(event.messageID == "1")
        #expect(event.versionAliases == nil)
    }

    @Test func theVersionComesFromDataWhenNoVersionIdAttributeIsSent() throws {
        let event = try PubSubFixtures.event("version-disable-without-version-id")
        #expect(event.type == .versionDisable)
        #expect(event.versionNumber == 3)
        #expect(event.versionState == .disabled)
        #expect(event.isRelevant)
    }

    @Test func theVersionComesFromTheVersionIdAttributeWhenThereIsNoData() throws {
        let event = try PubSubFixtures.event("version-enable-attributes-only")
        #expect(event.type == .versionEnable)
        #expect(event.versionNumber == 7)
        #expect(event.versionState == nil)
        #expect(event.isRelevant)
    }

    @Test func aRegionalSecretKeepsItsLocation() throws {
        let event = try PubSubFixtures.event("version-destroy-regional")
        #expect(event.type == .versionDestroy)
        #expect(event.secret == SecretResourceName(project: "123456789012", location: "europe-west1", secret: "regional"))
        #expect(event.secret?.name == "projects/123456789012/locations/europe-west1/secrets/regional")
        #expect(event.versionNumber == 2)
        #expect(event.versionState == .destroyed)
    }

    @Test func aScheduledDestructionIsAVersionEventWhoseVersionIsDisabled() throws {
        let event = try PubSubFixtures.event("version-destroy-scheduled")
        #expect(event.type == .versionDestroyScheduled)
        #expect(event.type.isVersionEvent)
        #expect(event.versionNumber == 3)
        #expect(event.versionState == .disabled)
        #expect(event.isRelevant)
    }

    @Test func aSecretUpdateCarriesTheAliasesAfterTheChange() throws {
        let event = try PubSubFixtures.event("secret-update-aliases")
        #expect(event.type == .secretUpdate)
        #expect(event.isRelevant)
        #expect(event.versionAliases == ["current": 4, "previous": 3])
        #expect(event.versionName == nil)
        #expect(event.versionNumber == nil)
    }

    @Test func secretCreateAndDeleteAreRelevant() throws {
        let delete = try PubSubFixtures.event("secret-delete")
        #expect(delete.type == .secretDelete)
        #expect(delete.isRelevant)
        let create = try PubSubFixtures.event("secret-create")
        #expect(create.type == .secretCreate)
        // secretId as sent (a project id here) wins over the name in data (a number).
        #expect(create.secret == SecretResourceName(project: "acme-app-dev", secret: "new-secret"))
        #expect(create.secret?.projectNumber == nil)
    }

    @Test("messages that change nothing a reader sees are irrelevant, with a reason", arguments: [
        ("topic-configured", "test message"),
        ("secret-rotate", "rotation reminder"),
        ("unknown-type", "SECRET_VERSION_SHINY"),
        ("no-attributes", "no eventType"),
        ("version-add-bad-secret-id", "names a secret"),
    ])
    func irrelevantMessages(fixture: String, reasonContains: String) throws {
        let event = try PubSubFixtures.event(fixture)
        guard case .irrelevant(let reason) = event.relevance else {
            Issue.record("\(fixture) should be irrelevant")
            return
        }
        #expect(reason.contains(reasonContains), "\(reason)")
    }

    @Test func unknownTypesAreKeptAsSent() throws {
        let event = try PubSubFixtures.event("unknown-type")
        #expect(event.type == .unknown("SECRET_VERSION_SHINY"))
        #expect(event.type.rawValue == "SECRET_VERSION_SHINY")
        #expect(event.type.metricLabel == "UNKNOWN")
        #expect(SecretEventType(rawValue: "SECRET_VERSION_ADD").metricLabel == "SECRET_VERSION_ADD")
        let none = try PubSubFixtures.event("no-attributes")
        #expect(none.type == .unknown(""))
        #expect(none.secret == nil)
    }

    @Test func theSecretComesFromDataWhenTheSecretIdAttributeIsMissing() throws {
        let event = try PubSubFixtures.event("version-add-secret-from-data")
        #expect(event.secret == dbPassword)
        #expect(event.versionNumber == 4)
        #expect(event.isRelevant)
    }

    @Test func unreadableDataLeavesTheAttributes() throws {
        for fixture in ["version-add-data-not-json", "other-data-format"] {
            let event = try PubSubFixtures.event(fixture)
            #expect(event.type == .versionAdd, "\(fixture)")
            #expect(event.secret == dbPassword, "\(fixture)")
            #expect(event.versionNumber == nil, "\(fixture)")
            #expect(event.versionState == nil, "\(fixture)")
            #expect(event.isRelevant, "\(fixture)")
        }
    }

    @Test func everyKnownTypeRoundTripsThroughItsAttributeValue() {
        let types: [SecretEventType] = [
            .secretCreate, .secretUpdate, .secretDelete, .versionAdd, .versionEnable, .versionDisable,
            .versionDestroy, .versionDestroyScheduled, .secretRotate, .topicConfigured,
        ]
        for type in types {
            #expect(SecretEventType(rawValue: type.rawValue) == type)
        }
    }

    @Test("resource names", arguments: [
        ("projects/p/secrets/s", "projects/p/secrets/s", nil as String?),
        ("projects/123/secrets/db_pass-1/versions/42", "projects/123/secrets/db_pass-1", "42"),
        ("projects/p/locations/us-east1/secrets/s/versions/latest", "projects/p/locations/us-east1/secrets/s", "latest"),
    ])
    func resourceNamesParse(text: String, secret: String, version: String?) throws {
        let parsed = try #require(SecretResourceName.parse(text))
        #expect(parsed.secret.name == secret)
        #expect(parsed.version == version)
    }

    @Test func malformedResourceNamesDoNotParse() {
        for text in [
            "", "projects/p", "projects/p/secrets", "projects/p/secrets/", "projects//secrets/s", "project/p/secrets/s",
            "projects/p/secrets/s/versions", "projects/p/secrets/s/aliases/a", "projects/p/locations/l/secrets",
            "projects/p/secrets/bad.id", "projects/p/topics/t",
        ] {
            #expect(SecretResourceName.parse(text) == nil, "\(text)")
        }
    }
}
