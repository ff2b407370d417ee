import Foundation
import SecretsmithTestSupport

extension Workspace {
    /// A workspace with one secret, `acme-app-dev/password` = `pw-SENTINEL…`, declared as
    /// `app/password` in environment `dev` of `secretsmith.yaml`, and an emulator process
    /// serving it (stopped when released).
    ///
    /// - Parameters:
    ///   - settings: top-level YAML placed after `version: 1` (e.g. a `defaults:` block).
    ///   - outputs: the lines of the `outputs:` sequence, indented as its items.
    ///   - files: more files to write first, by relative path.
    static func passwordFixture(
        settings: String = "", outputs: String, files: [String: String] = [:]
    ) throws -> (Workspace, EmulatorProcess) {
        let workspace = try Workspace()
        var seed = SeedBuilder()
        seed.add(project: "acme-app-dev", secret: "password", value: "pw-\(CommandRunner.sentinel)")
        try workspace.write("seed.yaml", seed.yaml)
        for (name, text) in files { try workspace.write(name, text) }
        try workspace.write(
            "secretsmith.yaml",
            """
            version: 1
            \(settings)
            environments:
              dev:
                projects:
                  app:
                    project_id: acme-app-dev
                    secrets: { password: {} }
            outputs:
            \(outputs)

            """)
        let emulator = try EmulatorProcess(seed: workspace.path("seed.yaml"), in: workspace)
        return (workspace, emulator)
    }
}

/// Configuration text the end-to-end tests share.
enum ConfigurationText {
    /// `version: 1`, then environment `dev` whose project `app` is `acme-app-dev`, up to its
    /// `secrets:` key: a test's text goes on with the secrets (on the same line or below)
    /// and its outputs.
    static let devApp = """
        version: 1
        environments:
          dev:
            projects:
              app:
                project_id: acme-app-dev
                secrets:
        """
}
