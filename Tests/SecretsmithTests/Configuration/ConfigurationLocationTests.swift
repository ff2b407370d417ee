import Foundation
@testable import Secretsmith
import Testing

/// Configuration-file discovery: `--config`, then `SECRETSMITH_CONFIG`, then
/// `./secretsmith.yaml`; a missing file's error says which of them named it.
@Suite struct ConfigurationLocationTests {
    @Test func anExplicitPathWinsThenTheVariableThenTheWorkingDirectory() {
        let variable = ["SECRETSMITH_CONFIG": "from-env.yaml"]
        #expect(
            ConfigurationLocation.discover(explicit: "given.yaml", environment: variable)
                == ConfigurationLocation(path: "given.yaml", source: .explicit))
        #expect(
            ConfigurationLocation.discover(explicit: nil, environment: variable)
                == ConfigurationLocation(path: "from-env.yaml", source: .environmentVariable))
        // An empty variable is unset.
        #expect(
            ConfigurationLocation.discover(explicit: nil, environment: ["SECRETSMITH_CONFIG": ""])
                == ConfigurationLocation(path: "secretsmith.yaml", source: .workingDirectory))
    }

    @Test(arguments: [
        (ConfigurationLocation.Source.explicit, "--config named this file."),
        (.environmentVariable, "SECRETSMITH_CONFIG named this file (no --config was given)."),
        (.workingDirectory, "No --config was given and SECRETSMITH_CONFIG is not set"),
    ])
    func aMissingFileSaysWhatWasTried(source: ConfigurationLocation.Source, hint: String) throws {
        let path = "/nonexistent-\(UUID().uuidString)/secretsmith.yaml"
        let location = ConfigurationLocation(path: path, source: source)
        let error = #expect(throws: ConfigurationError.self) { _ = try location.load(environment: [:]) }
        #expect(error?.file == path)
        #expect(error?.message.hasPrefix("cannot read the configuration file") == true)
        #expect(error?.hint?.hasPrefix(hint) == true, "\(String(describing: error?.hint))")
    }

    @Test func aFileThatExistsButDoesNotParseGetsNoDiscoveryHint() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("location-\(UUID().uuidString).yaml").path
        try Data("version: 1\nenvironmentz: {}\n".utf8).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let error = #expect(throws: ConfigurationError.self) {
            _ = try ConfigurationLocation(path: path, source: .workingDirectory).load(environment: [:])
        }
        #expect(error?.hint?.contains("SECRETSMITH_CONFIG") != true)
    }
}
