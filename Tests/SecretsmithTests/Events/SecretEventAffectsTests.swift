@testable import Secretsmith
import Testing

/// Which cached versions and rendered references an event can change
/// (`SecretEvent.affects(versionName:)`), over the fixtures Pub/Sub delivers.
@Suite struct SecretEventAffectsTests {
    // The fixtures name the project by number (123456789012), as Google does.
    let byNumber = "projects/123456789012/secrets/db-password/versions/"
    let byID = "projects/acme-prod/secrets/db-password/versions/"

    @Test func aVersionAddAffectsLatestAndAliasesButNoPinnedVersion() throws {
        let event = try PubSubFixtures.event("version-add")
        #expect(event.affects(versionName: byNumber + "latest"))
        #expect(event.affects(versionName: byID + "latest"))
        #expect(event.affects(versionName: byID + "current"))
        #expect(!event.affects(versionName: byID + "3"))
        #expect(event.affects(versionName: byID + "4"))
        #expect(!event.affects(versionName: "projects/acme-prod/secrets/api-key/versions/latest"))
    }

    @Test func aDisabledVersionAffectsItsOwnNumberOnly() throws {
        let event = try PubSubFixtures.event("version-disable-without-version-id")
        #expect(event.affects(versionName: byID + "3"))
        #expect(!event.affects(versionName: byID + "2"))
        #expect(event.affects(versionName: byID + "latest"))
    }

    @Test func anAliasMoveAffectsAliasesOnly() throws {
        let event = try PubSubFixtures.event("secret-update-aliases")
        #expect(event.type == .secretUpdate)
        let secret = try #require(event.secret)
        let prefix = "projects/acme-prod/secrets/\(secret.secret)/versions/"
        #expect(event.affects(versionName: prefix + "current"))
        #expect(!event.affects(versionName: prefix + "latest"))
        #expect(!event.affects(versionName: prefix + "1"))
    }

    @Test func aDeleteAffectsEveryVersionAndRotateOrCreateNone() throws {
        let delete = try PubSubFixtures.event("secret-delete")
        let name = try #require(delete.secret)
        let prefix = "projects/acme-prod/secrets/\(name.secret)/versions/"
        #expect(delete.affects(versionName: prefix + "1"))
        #expect(delete.affects(versionName: prefix + "latest"))
        for fixture in ["secret-rotate", "secret-create", "topic-configured", "unknown-type", "no-attributes"] {
            let event = try PubSubFixtures.event(fixture)
            let secret = event.secret?.secret ?? "db-password"
            #expect(!event.affects(versionName: "projects/acme-prod/secrets/\(secret)/versions/latest"), "\(fixture)")
        }
    }

    @Test func projectsNamedTheSameWayMustBeEqualAndLocationsMustMatch() {
        let event = SecretEvent(
            message: PubSubMessage(
                data: [], attributes: ["eventType": "SECRET_VERSION_ADD", "secretId": "projects/acme-prod/secrets/db-password"]))
        #expect(event.affects(versionName: byID + "latest"))
        #expect(!event.affects(versionName: "projects/acme-dev/secrets/db-password/versions/latest"))
        #expect(event.affects(versionName: byNumber + "latest"))
        #expect(!event.affects(versionName: "projects/acme-prod/locations/europe-west1/secrets/db-password/versions/latest"))
        #expect(!event.affects(versionName: "not a resource name"))
    }
}
