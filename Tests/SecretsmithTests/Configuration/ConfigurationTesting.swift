import Foundation
import Testing
@testable import Secretsmith

/// Helpers for the configuration tests.
enum ConfigurationTesting {
    /// Parses text as `/config/secretsmith.yaml`.
    static func parse(_ text: String, environment: [String: String] = [:]) throws(ConfigurationError) -> Configuration {
        try Configuration.parse(Array(text.utf8), file: "secretsmith.yaml", environment: environment, directory: "/config")
    }

    /// The error parsing `text` throws, or `nil` (and a recorded issue) if it parses.
    static func error(
        _ text: String, environment: [String: String] = [:], sourceLocation: SourceLocation = #_sourceLocation
    ) -> ConfigurationError? {
        do {
            _ = try parse(text, environment: environment)
            Issue.record("expected a configuration error", sourceLocation: sourceLocation)
            return nil
        } catch {
            return error
        }
    }

    /// The path of a fixture under Fixtures/config.
    static func fixturePath(_ name: String) throws -> String {
        let url = try #require(Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Fixtures/config"))
        return url.path
    }

    /// A minimal valid file with `body` appended under `environments:` → `dev:`.
    static func minimal(devBody: String) -> String {
        "version: 1\nenvironments:\n  dev:\n" + devBody
    }
}
