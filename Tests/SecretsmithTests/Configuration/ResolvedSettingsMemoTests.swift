import Testing

@testable import Secretsmith

/// `Configuration.resolve` keeps each (environment, project, declared secret)'s layered
/// settings; what a single reference adds (an explicit version) must never stick to the memo.
@Suite struct ResolvedSettingsMemoTests {
    let configuration: Configuration

    init() throws {
        configuration = try ConfigurationTesting.parse(
            """
            version: 1
            defaults: { version: "3" }
            environments:
              dev:
                projects:
                  app:
                    project_id: acme-app-dev
                    allow_undeclared: true
                    secrets:
                      db: { version: "7" }
                      api: {}
            """)
    }

    @Test func anExplicitVersionDoesNotLeakIntoLaterResolutions() throws {
        let pinned = try configuration.resolve(try SecretReference.parse("dev/app/db@9"), activeEnvironment: nil)
        #expect(pinned.versionName.hasSuffix("/versions/9"))
        let plain = try configuration.resolve(try SecretReference.parse("dev/app/db"), activeEnvironment: nil)
        #expect(plain.versionName.hasSuffix("/versions/7"))
        #expect(plain.settings.origins["version"] == .secret)
    }

    @Test func eachDeclaredSecretKeepsItsOwnSettingsAndUndeclaredOnesTheProjects() throws {
        let db = try configuration.resolve(try SecretReference.parse("dev/app/db"), activeEnvironment: nil)
        let api = try configuration.resolve(try SecretReference.parse("dev/app/api"), activeEnvironment: nil)
        let other = try configuration.resolve(try SecretReference.parse("dev/app/not-declared"), activeEnvironment: nil)
        let again = try configuration.resolve(try SecretReference.parse("dev/app/api"), activeEnvironment: nil)
        #expect(db.versionName == "projects/acme-app-dev/secrets/db/versions/7")
        #expect(api.versionName == "projects/acme-app-dev/secrets/api/versions/3")
        #expect(other.versionName == "projects/acme-app-dev/secrets/not-declared/versions/3")
        #expect(again.versionName == api.versionName)
        #expect(again.settings.origins == api.settings.origins)
    }
}
