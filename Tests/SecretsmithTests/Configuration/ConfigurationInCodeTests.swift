import Foundation
import SecretsmithTestSupport
import Testing
@testable import Secretsmith

/// A configuration built in code, without a file: the file's rules, with key paths instead
/// of positions, and a render through the library.
@Suite struct ConfigurationInCodeTests {
    /// A valid configuration, changed by `change`.
    func build(
        _ change: (inout LayerSettings, inout [EnvironmentConfiguration], inout [OutputConfiguration]) -> Void = { _, _, _ in }
    ) throws(ConfigurationError) -> Configuration {
        var defaults = LayerSettings()
        defaults.timeout = .seconds(5)
        var environments = [
            EnvironmentConfiguration(
                name: "prod",
                projects: [
                    ProjectConfiguration(
                        alias: "billing", projectID: "acme-billing-prod",
                        secrets: [SecretDeclaration(name: "db-password"), SecretDeclaration(name: "stripe", secretID: "stripe-key")])
                ])
        ]
        var outputs = [
            OutputConfiguration(
                name: "env", format: .dotenv, path: "out/app.env",
                values: [OutputValue(key: "DB_PASSWORD", reference: "billing/db-password")])
        ]
        change(&defaults, &environments, &outputs)
        return try Configuration(defaults: defaults, environments: environments, outputs: outputs, directory: "/srv/app")
    }

    func error(
        _ change: (inout LayerSettings, inout [EnvironmentConfiguration], inout [OutputConfiguration]) -> Void,
        sourceLocation: SourceLocation = #_sourceLocation
    ) -> ConfigurationError? {
        do {
            _ = try build(change)
            Issue.record("expected a configuration error", sourceLocation: sourceLocation)
            return nil
        } catch {
            return error
        }
    }

    @Test func aConfigurationBuiltInCodeResolvesLikeAFile() throws {
        let configuration = try build()
        let secret = try configuration.resolve(.init(project: "billing", secret: "stripe"), activeEnvironment: "prod")
        #expect(secret.versionName == "projects/acme-billing-prod/secrets/stripe-key/versions/latest")
        #expect(secret.timeout == .seconds(5))
        #expect(secret.origins["timeout"] == .global)
        #expect(configuration.outputs[0].path == "/srv/app/out/app.env")
        #expect(configuration.environmentNames == ["prod"])
    }

    @Test func aBadProjectIDNamesItsKeyPathWithTheFilesMessage() throws {
        let error = try #require(self.error { _, environments, _ in
            environments[0] = EnvironmentConfiguration(
                name: "prod", projects: [ProjectConfiguration(alias: "billing", projectID: "Acme_Billing")])
        })
        #expect(error.keyPath == "environments.prod.projects.billing.project_id")
        #expect(error.file == nil && error.mark == nil)
        #expect(error.kind == .configuration)
        let fromFile = try #require(ConfigurationTesting.error(ConfigurationTesting.minimal(devBody: """
                projects:
                  billing: { project_id: Acme_Billing }
            """)))
        #expect(error.message == fromFile.message)
    }

    @Test func settingsKeepTheFilesRangesAndLayers() throws {
        let range = try #require(self.error { defaults, _, _ in defaults.concurrency = 2000 })
        #expect(range.keyPath == "defaults.concurrency")
        let fromFile = try #require(ConfigurationTesting.error("version: 1\ndefaults: { concurrency: 2000 }\n"))
        #expect(range.message == fromFile.message)
        #expect(fromFile.keyPath == "defaults.concurrency")

        let duration = try #require(self.error { defaults, _, _ in defaults.timeout = .zero })
        #expect(duration.keyPath == "defaults.timeout")
        #expect(duration.message == "the duration must be at least 1ms")

        let misplaced = try #require(self.error { _, environments, _ in
            var settings = LayerSettings()
            settings.concurrency = 4
            environments[0] = EnvironmentConfiguration(
                name: "prod",
                projects: [ProjectConfiguration(alias: "billing", projectID: "acme-billing-prod", settings: settings)])
        })
        #expect(misplaced.keyPath == "environments.prod.projects.billing.concurrency")
        #expect(misplaced.message.contains("cannot be set here"))

        let mode = try #require(self.error { defaults, _, _ in defaults.fileMode = FileMode(rawValue: 0o644) })
        #expect(mode.keyPath == "defaults.file_mode")
        _ = try build { defaults, _, _ in
            defaults.fileMode = FileMode(rawValue: 0o644)
            defaults.allowWorldReadable = true
        }
    }

    @Test func namesSecretIDsAndOutputsAreChecked() throws {
        let secret = try #require(self.error { _, environments, _ in
            environments[0] = EnvironmentConfiguration(
                name: "prod",
                projects: [
                    ProjectConfiguration(
                        alias: "billing", projectID: "acme-billing-prod", secrets: [SecretDeclaration(name: "db.password")])
                ])
        })
        #expect(secret.keyPath == "environments.prod.projects.billing.secrets.db.password")

        let unknown = try #require(self.error { _, _, outputs in
            outputs[0] = OutputConfiguration(
                name: "env", format: .dotenv, path: "out/app.env",
                values: [OutputValue(key: "DB", reference: "billing/db-password")], environment: "prd")
        })
        #expect(unknown.code == .unknownEnvironment)
        #expect(unknown.keyPath == "outputs[0].environment")
        #expect(unknown.hint == "Did you mean \"prod\"?")

        let reference = try #require(self.error { _, _, outputs in
            outputs[0] = OutputConfiguration(
                name: "env", format: .dotenv, path: "out/app.env", values: [OutputValue(key: "DB", reference: "billing")])
        })
        #expect(reference.keyPath == "outputs[0].values.DB")

        let both = try #require(self.error { _, environments, outputs in
            environments.append(EnvironmentConfiguration(name: "prod"))
            outputs.append(outputs[0])
        })
        #expect(both.all.map(\.keyPath) == ["environments.prod", "outputs[1].name"])
    }

    @Test func aConfigurationBuiltInCodeRendersThroughTheLibrary() async throws {
        try await withEmulator { fixture in
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("in-code-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: directory) }
            var retry = LayerSettings()
            retry.retryMaxAttempts = 2
            let configuration = try Configuration(
                defaults: retry,
                environments: [
                    EnvironmentConfiguration(
                        name: "dev",
                        projects: [
                            ProjectConfiguration(
                                alias: "app", projectID: "acme-app-dev", secrets: [SecretDeclaration(name: "api-key")])
                        ])
                ],
                outputs: [
                    OutputConfiguration(
                        name: "env", format: .dotenv, path: "app.env",
                        values: [OutputValue(key: "API_KEY", reference: "app/api-key")])
                ],
                directory: directory.path)
            let environment = ["SECRET_MANAGER_EMULATOR_HOST": fixture.host]
            let manager = MultiEnvironmentSecretManager(
                configuration: configuration, httpClient: fixture.httpClient, processEnvironment: environment)
            let result = try await RenderPipeline(manager: manager, processEnvironment: environment).run(
                .init(environment: "dev"))
            #expect(result.changedOutputs == ["env"])
            let text = try String(contentsOf: directory.appendingPathComponent("app.env"), encoding: .utf8)
            #expect(text == "API_KEY='key-\(EmulatorFixture.sentinel)'\n")
            let mode = try FileManager.default.attributesOfItem(atPath: directory.appendingPathComponent("app.env").path)[.posixPermissions] as? Int
            #expect(mode == 0o600)
        }
    }

    /// Errors found when a configuration built in code is used name its output and key
    /// after the configuration's name, without a position it does not have.
    @Test func aRenderErrorOfAConfigurationBuiltInCodeNamesTheOutputWithoutAPosition() async throws {
        try await withEmulator { fixture in
            let configuration = try Configuration(
                environments: [
                    EnvironmentConfiguration(
                        name: "dev",
                        projects: [ProjectConfiguration(alias: "app", projectID: "acme-app-dev", secrets: [SecretDeclaration(name: "api-key")])])
                ],
                outputs: [
                    OutputConfiguration(
                        name: "env", format: .dotenv, path: "app.env",
                        values: [OutputValue(key: "TOKEN", reference: "app/not-declared")])
                ],
                directory: FileManager.default.temporaryDirectory.appendingPathComponent("in-code-\(UUID().uuidString)").path,
                name: "billing service configuration")
            let environment = ["SECRET_MANAGER_EMULATOR_HOST": fixture.host]
            let manager = MultiEnvironmentSecretManager(
                configuration: configuration, httpClient: fixture.httpClient, processEnvironment: environment)
            let error = await #expect(throws: (any Error).self) {
                _ = try await RenderPipeline(manager: manager, processEnvironment: environment).run(.init(environment: "dev"))
            }
            let text = String(describing: try #require(error))
            #expect(text.hasPrefix("billing service configuration: error: output env, key TOKEN: "), "\(text)")
            let site = ReferenceSite(file: configuration.file, mark: configuration.outputs[0].values[0].keyMark, output: "env", key: "TOKEN")
            #expect(site.description == "billing service configuration (output env, key TOKEN)")
            #expect(!text.contains(":0:0"), "\(text)")
            #expect(await fixture.emulator.stats().count(.access) == 0)
        }
    }
}
