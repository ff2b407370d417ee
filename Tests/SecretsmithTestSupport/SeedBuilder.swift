import Foundation

/// Builds emulator seed files for tests, with binary-safe payloads (`data_base64`).
package struct SeedBuilder {
    package init() {}

    package struct Version {
        package var bytes: [UInt8]
        package var state: String = "ENABLED"

        package init(bytes: [UInt8], state: String = "ENABLED") {
            self.bytes = bytes
            self.state = state
        }
    }

    private var projects: [(id: String, number: Int, secrets: [(String, [Version])])] = []

    package mutating func add(project: String, number: Int, secret: String, versions: [Version]) {
        if let index = projects.firstIndex(where: { $0.id == project }) {
            projects[index].secrets.append((secret, versions))
        } else {
            projects.append((project, number, [(secret, versions)]))
        }
    }

    package mutating func add(project: String, number: Int = 123_456_789_012, secret: String, value: String) {
        add(project: project, number: number, secret: secret, versions: [Version(bytes: Array(value.utf8))])
    }

    package var yaml: String {
        var lines = ["projects:"]
        for project in projects {
            lines.append("  \(project.id):")
            lines.append("    number: \(project.number)")
            lines.append("    secrets:")
            for (secret, versions) in project.secrets {
                lines.append("      \(secret):")
                lines.append("        versions:")
                for version in versions {
                    lines.append("          - data_base64: \"\(Data(version.bytes).base64EncodedString())\"")
                    lines.append("            state: \(version.state)")
                }
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
