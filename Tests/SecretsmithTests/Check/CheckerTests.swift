import Foundation
import Glibc
import SecretManagerEmulator
@testable import Secretsmith
import SecretsmithTestSupport
import Testing

/// `check` reports every problem, with positions, from metadata calls alone.
@Suite struct CheckerTests {
    static let sentinel = EmulatorFixture.sentinel

    static let threeProblems = """
          - { name: env, format: dotenv, path: out/app.env, values: { PASSWORD: app/db-password, MISSING: app/missing, KEY: app/api-key } }
          - { name: t, format: template, template: t.tmpl, path: out/t.txt }
        """
    static let template = "ok: << secret \"app/config#/db/port\" >>\nbad: << secrte \"app/api-key\" >>\n"

    @Test func reportsAMissingSecretADisabledVersionAndATemplateTypoWithPositions() async throws {
        try await withConfiguredEmulator(outputs: Self.threeProblems, templates: ["t.tmpl": Self.template]) { setup in
        let report = await Checker(manager: setup.manager, processEnvironment: [:]).check(.init(environment: "dev"))
        let errors = report.errors
        #expect(errors.count == 3, "\(report.text)")

        let typo = errors.first { $0.file == setup.path("t.tmpl") }
        #expect(typo?.line == 2)
        #expect(typo?.column == 6)
        #expect(typo?.output == "t")
        #expect(typo?.kind == .configuration)
        #expect(typo?.message.contains("secret") == true, "did-you-mean hint")

        let disabled = errors.first { $0.key == "PASSWORD" }
        #expect(disabled?.file == setup.path("secretsmith.yaml"))
        #expect(disabled?.line != nil && disabled?.column != nil)
        #expect(disabled?.reference == "app/db-password")
        #expect(disabled?.resource == "projects/acme-app-dev/secrets/db-password/versions/latest")
        #expect(disabled?.message.contains("DISABLED") == true)
        #expect(disabled?.kind == .notFound)

        let missing = errors.first { $0.key == "MISSING" }
        #expect(missing?.message.contains("NOT_FOUND") == true)
        #expect(missing?.kind == .notFound)
        #expect(missing?.line == (disabled?.line).map { $0 }, "same flow mapping line")

        // The most severe: a configuration problem (65) outranks not found (66).
        #expect(report.exitCode == 65)
        // One metadata call per distinct version, never a payload.
        #expect(await setup.calls(.getVersion) == 4)
        #expect(await setup.calls(.access) == 0)
        #expect(report.versions.count == 4)
        #expect(report.versions.first { $0.resource.hasSuffix("api-key/versions/current") }?.state == "ENABLED")
        #expect(!report.text.contains(Self.sentinel))
        #expect(!String(decoding: report.json, as: UTF8.self).contains(Self.sentinel))
        }
    }

    @Test func anUnsetEnvironmentVariableIsFoundWithoutAccessAndWithoutAnyCall() async throws {
        try await withConfiguredEmulator(
            outputs: "  - { name: t, format: template, template: t.tmpl, path: out/t.txt }\n",
            templates: ["t.tmpl": "a: << env \"SECRETSMITH_TEST_SET\" >>\nb: << env \"SECRETSMITH_TEST_NOPE\" >>\n"]) { setup in
            let checker = Checker(manager: setup.manager, processEnvironment: ["SECRETSMITH_TEST_SET": "x"])
            let report = await checker.check(.init(environment: "dev"))
            #expect(report.errors.count == 1, "\(report.text)")
            let problem = try #require(report.errors.first)
            #expect(problem.file == setup.path("t.tmpl"))
            #expect(problem.line == 2)
            #expect(problem.column == 4)
            #expect(problem.output == "t")
            #expect(problem.message.contains("SECRETSMITH_TEST_NOPE"))
            #expect(report.exitCode == 65)
            #expect(await setup.calls(.getVersion) == 0)
            #expect(await setup.calls(.access) == 0)
            // With --access the in-memory render reports it, once.
            let access = await checker.check(.init(environment: "dev", access: true))
            #expect(access.errors.count == 1, "\(access.text)")
        }
    }

    @Test func aCleanConfigurationExitsZero() async throws {
        try await withConfiguredEmulator(
            outputs: "  - { name: env, format: dotenv, path: out/app.env, values: { KEY: app/api-key, PW: app/db-password-v2 } }\n") { setup in
        let report = await Checker(manager: setup.manager, processEnvironment: [:]).check(.init(environment: "dev"))
        #expect(report.problems.isEmpty)
        #expect(report.exitCode == 0)
        #expect(report.text.hasSuffix("checked 2 secret versions (2 ENABLED) for 1 output: 0 errors, 0 warnings\n"))
        }
    }

    @Test func accessReadsPayloadsAndFindsWhatOnlyRenderingWouldFind() async throws {
        try await withConfiguredEmulator(
            outputs: """
              - { name: env, format: dotenv, path: out/app.env, values: { BINARY: app/binary, KEY: app/api-key } }
              - { name: j, format: json, path: out/j.json, values: { port: "app/config#/db/nope" } }
              - { name: ok, format: json, path: out/ok.json, values: { key: app/api-key } }
            """) { setup in
        let report = await Checker(manager: setup.manager, processEnvironment: [:])
            .check(.init(environment: "dev", access: true))
        #expect(report.errors.count == 2, "\(report.text)")
        #expect(report.errors.contains { $0.text.contains("BINARY") && $0.message.contains("NUL") })
        #expect(report.errors.contains { $0.key == "port" && $0.reference == "app/config#/db/nope" })
        #expect(report.exitCode == 65)
        #expect(await setup.calls(.access) == 3)
            #expect(report.versions.map(\.accessed) == [true, true, true])
        #expect(!report.text.contains(Self.sentinel))
        }
    }

    @Test func accessRefusesTheDestinationsRenderWouldRefuse() async throws {
        let setup = try await ConfiguredEmulator.start(
            outputs: """
              - { name: adir, format: dotenv, path: adir, values: { KEY: app/api-key } }
              - { name: devnull, format: dotenv, path: /dev/null, values: { KEY: app/api-key } }
              - { name: dangling, format: dotenv, path: dangling/x.env, values: { KEY: app/api-key } }
              - { name: loop, format: dotenv, path: loopa/x.env, values: { KEY: app/api-key } }
              - { name: proc, format: dotenv, path: /proc/x.env, values: { KEY: app/api-key } }
              - { name: owner, format: dotenv, path: out/o.env, owner: nosuchuser, values: { KEY: app/api-key } }
              - { name: ok, format: dotenv, path: out/ok.env, values: { KEY: app/api-key } }
            """)
        let directory = setup.configuration.directory
        try FileManager.default.createDirectory(atPath: directory + "/adir", withIntermediateDirectories: false)
        #expect(symlink(directory + "/nowhere", directory + "/dangling") == 0)
        #expect(symlink(directory + "/loopb", directory + "/loopa") == 0)
        #expect(symlink(directory + "/loopa", directory + "/loopb") == 0)
        let before = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
        let report = await Checker(manager: setup.manager, processEnvironment: [:])
            .check(.init(environment: "dev", access: true))
        #expect(report.errors.count == 6, "\(report.text)")
        for name in ["adir", "devnull", "dangling", "loop", "proc", "owner"] {
            #expect(report.text.contains("output \"\(name)\"") || report.text.contains("outputs.\(name)") || report.text.contains("\(name)"),
                    "\(report.text)")
        }
        #expect(report.text.contains("dangling symbolic link"), "\(report.text)")
        #expect(report.text.contains("nosuchuser"), "\(report.text)")
        #expect(report.exitCode != 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).sorted() == before)
        // Without --access nothing on disk is looked at.
        let plain = await Checker(manager: setup.manager, processEnvironment: [:]).check(.init(environment: "dev"))
        #expect(plain.errors.isEmpty, "\(plain.text)")
        await setup.shutdown()
    }

    @Test func frozenReportsANewerVersionAsAWarningAndADisabledPinAsAnError() async throws {
        try await withConfiguredEmulator(
            outputs: "  - { name: env, format: dotenv, path: out/app.env, values: { CONFIG: app/config, KEY: app/api-key } }\n") { setup in
        let plan = try RenderPlan.make(configuration: setup.configuration, environment: "dev", only: [])
        let pins = try await Locker(manager: setup.manager).pins(for: plan)
        try LockFile(pins: pins).write(to: LockFile.path(for: setup.configuration))
        let checker = Checker(manager: setup.manager, processEnvironment: [:])

        let clean = await checker.check(.init(environment: "dev", frozen: true))
        #expect(clean.problems.isEmpty, "\(clean.text)")

        try await setup.addVersion(project: "acme-app-dev", secret: "config", payload: "{}")
        let drifted = await checker.check(.init(environment: "dev", frozen: true))
        #expect(drifted.errors.isEmpty)
        #expect(drifted.warnings.count == 1, "\(drifted.text)")
        #expect(drifted.warnings.first?.message.contains("now resolves to a newer version, 2") == true)
        #expect(drifted.warnings.first?.key == "CONFIG")
        #expect(drifted.exitCode == 0, "a newer version does not break a frozen deploy")
        #expect(drifted.versions.first { $0.resource.contains("/config/") }?.resource
            == "projects/acme-app-dev/secrets/config/versions/1", "the locked version is checked")

        try await setup.disable(project: "acme-app-dev", secret: "config", version: 1)
        let broken = await checker.check(.init(environment: "dev", frozen: true))
        #expect(broken.errors.count == 1, "\(broken.text)")
        #expect(broken.errors.first?.message.contains("version 1 is DISABLED") == true)
        #expect(broken.exitCode == 66)
        #expect(broken.warnings.contains { $0.message.contains("changed since it was locked") })
        }
    }

    @Test func frozenNeverAdvisesLockingToADisabledVersion() async throws {
        try await withConfiguredEmulator(
            outputs: "  - { name: env, format: dotenv, path: out/app.env, values: { CONFIG: app/config } }\n") { setup in
        let plan = try RenderPlan.make(configuration: setup.configuration, environment: "dev", only: [])
        try LockFile(pins: try await Locker(manager: setup.manager).pins(for: plan))
            .write(to: LockFile.path(for: setup.configuration))
        try await setup.addVersion(project: "acme-app-dev", secret: "config", payload: "{}")
        try await setup.disable(project: "acme-app-dev", secret: "config", version: 2)
        let report = await Checker(manager: setup.manager, processEnvironment: [:])
            .check(.init(environment: "dev", frozen: true))
        #expect(report.errors.isEmpty, "\(report.text)")
        let warning = try #require(report.warnings.first)
        #expect(warning.message.contains("now resolves to a newer version, 2 (DISABLED)"), "\(warning.message)")
        #expect(!warning.message.contains("secretsmith lock"), "\(warning.message)")
        }
    }

    @Test func frozenWithoutALockFileOrWithAnUnpinnedReferenceIsAConfigurationProblem() async throws {
        try await withConfiguredEmulator(
            outputs: "  - { name: env, format: dotenv, path: out/app.env, values: { KEY: app/api-key } }\n") { setup in
        let checker = Checker(manager: setup.manager, processEnvironment: [:])
        let noLock = await checker.check(.init(environment: "dev", frozen: true))
        #expect(noLock.errors.first?.message.contains("there is no lock file") == true)
        #expect(noLock.exitCode == 65)

        try LockFile(pins: []).write(to: LockFile.path(for: setup.configuration))
        let before = await setup.calls(.getVersion)
        let unpinned = await checker.check(.init(environment: "dev", frozen: true))
        #expect(unpinned.errors.count == 1)
        #expect(unpinned.errors.first?.key == "KEY")
        #expect(unpinned.errors.first?.message.contains("is not pinned") == true)
        #expect(await setup.calls(.getVersion) == before, "nothing pinned, nothing to look up")
        }
    }
}
