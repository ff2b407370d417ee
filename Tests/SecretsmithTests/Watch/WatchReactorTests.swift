import Foundation
import Logging
import SecretsmithTestSupport
import Testing
@testable import Secretsmith

/// What follows a refresh: the changed outputs' `on_change` commands.
@Suite struct WatchReactorTests {
    @Test func onChangeRunsOncePerChangedOutputWithoutTheSecrets() async throws {
        try await WatchSetup.with { setup in
            let record = setup.directory.appendingPathComponent("ran.txt").path
            let configuration = try Configuration.parse(
                Array(
                    """
                    version: 1
                    environments:
                      dev:
                        projects:
                          app: { project_id: acme-app-dev, secrets: { config: {} } }
                    outputs:
                      - name: config
                        format: dotenv
                        path: config.env
                        values: { CONFIG: dev/app/config }
                        on_change: { command: [/bin/sh, -c, 'echo "$0 ${CONFIG:-no-secret}" >> "$1"', config, "\(record)"] }
                      - name: key
                        format: dotenv
                        path: key.env
                        values: { KEY: dev/app/config }
                    """.utf8), file: "secretsmith.yaml", environment: [:], directory: setup.directory.path)
            let reactor = WatchReactor(
                configuration: configuration, settings: WatchSettings(), supervisor: nil,
                engine: setup.engine(WatchSettings()), processEnvironment: ["PATH": "/usr/bin:/bin"], inherited: [],
                logger: Logger(label: "test"))
            func refresh(_ changed: [String]) -> WatchEngine.Refresh {
                WatchEngine.Refresh(
                    refreshedOutputs: ["config", "key"], changedOutputs: changed, failedOutputs: [], rendered: [:],
                    initial: false)
            }
            await reactor.react(to: refresh([]))
            #expect(!FileManager.default.fileExists(atPath: record))
            await reactor.react(to: refresh(["key"]))
            #expect(!FileManager.default.fileExists(atPath: record))
            await reactor.react(to: refresh(["config", "key"]))
            #expect(try String(contentsOfFile: record, encoding: .utf8) == "config no-secret\n")
        }
    }

    @Test func theChildEnvironmentIsTheInheritedOneWithTheSecretsSet() {
        let environment = WatchReactor.childEnvironment(
            inherited: [Array("PATH=/bin".utf8), Array("DB=old".utf8)],
            variables: [(name: "DB", value: Array("new".utf8))])
        #expect(environment == ["PATH": "/bin", "DB": "new"])
    }
}
