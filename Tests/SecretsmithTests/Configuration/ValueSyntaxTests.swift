import Testing
import YAML
@testable import Secretsmith

@Suite("Configuration value syntax")
struct ValueSyntaxTests {
    @Test("durations parse and format", arguments: [
        ("250ms", 250), ("10s", 10_000), ("5m", 300_000), ("1h", 3_600_000), ("1m30s", 90_000), ("0s", 0),
        ("1h1ms", 3_600_001),
    ])
    func durations(text: String, milliseconds: Int64) throws {
        let duration = try DurationSyntax.parse(text)
        #expect(duration == .milliseconds(milliseconds))
        #expect(try DurationSyntax.parse(DurationSyntax.format(duration)) == duration)
    }

    @Test("bad durations", arguments: ["", "10", "s", "1s1s", "1s1m", "1d", "1.5s", " 1s", "99999999999999s"])
    func badDurations(text: String) {
        #expect(throws: ConfigurationError.self) { try DurationSyntax.parse(text) }
    }

    @Test("file modes")
    func fileModes() throws {
        #expect(try FileMode(parsing: "0600").rawValue == 0o600)
        #expect(try FileMode(parsing: "640").rawValue == 0o640)
        #expect(try FileMode(parsing: "0007").grantsAccessToOthers)
        #expect(try !FileMode(parsing: "0770").grantsAccessToOthers)
        #expect(try FileMode(parsing: "400").description == "0400")
        #expect(throws: ConfigurationError.self) { try FileMode(parsing: "1600") }
        #expect(throws: ConfigurationError.self) { try FileMode(parsing: "0o600") }
        #expect(FileMode(rawValue: 0o4755) == nil)
    }

    @Test("variable expansion rules")
    func expansion() throws {
        let environment = ["A": "1", "EMPTY": ""]
        #expect(try VariableExpansion.expand("x${A}y", environment: environment) == "x1y")
        #expect(try VariableExpansion.expand("${EMPTY}", environment: environment) == "")
        #expect(try VariableExpansion.expand("${EMPTY:-d}", environment: environment) == "d")
        #expect(try VariableExpansion.expand("${MISSING:-a:-b}", environment: environment) == "a:-b")
        // leftmost first: "$" then "$${" (a literal "${")
        #expect(try VariableExpansion.expand("$$${A}", environment: environment) == "$${A}")
        #expect(try VariableExpansion.expand("$${A}", environment: environment) == "${A}")
        #expect(try VariableExpansion.expand("cost $5 $A", environment: environment) == "cost $5 $A")
        #expect(throws: VariableExpansion.Failure.self) { try VariableExpansion.expand("a ${MISSING}", environment: environment) }
        do {
            _ = try VariableExpansion.expand("ab ${MISSING}", environment: environment)
        } catch {
            #expect(error.offset == 3)
        }
    }

    @Test("did-you-mean picks the closest candidate within reach")
    func suggestions() {
        #expect(Suggestions.closest(to: "secretz", in: ["projects", "secrets"]) == "secrets")
        #expect(Suggestions.closest(to: "timout", in: ["timeout", "retry"]) == "timeout")
        #expect(Suggestions.closest(to: "zzzz", in: ["timeout", "retry"]) == nil)
        #expect(Suggestions.editDistance("kitten", "sitting") == 3)
    }
}

@Suite("Project ids")
struct ProjectIDSyntaxTests {
    @Test("Google's grammar, domain-scoped ids and project numbers are accepted", arguments: [
        "my-project", "abcdef", "a12345", "acme-billing-dev", String(repeating: "a", count: 30),
        "example.com:my-project", "google.com:a-b-c-d", "123456789012", "1", "9223372036854775807",
    ])
    func valid(_ id: String) throws {
        #expect(ConfigurationDecoder.isValidProjectID(id))
        let text = ConfigurationTesting.minimal(devBody: "    projects:\n      p: { project_id: \"\(id)\" }\n")
        let configuration = try ConfigurationTesting.parse(text)
        #expect(configuration.environment(named: "dev")?.project(alias: "p")?.projectID == id)
    }

    @Test("anything else is a positioned configuration error", arguments: [
        "..", ".", ":", "x", "abcde", String(repeating: "a", count: 31), "My-project", "my_project", "my-project-",
        "1project", "-project", "my.project", ":my-project", "example.com:", "example..com:my-project",
        "example:my-project", "a/../b-project", "my-project:example.com", "12a",
        "0", "000000000001", "0123456789", "99999999999999999999",
    ])
    func invalid(_ id: String) {
        #expect(!ConfigurationDecoder.isValidProjectID(id))
        let text = ConfigurationTesting.minimal(devBody: "    projects:\n      p: { project_id: \"\(id)\" }\n")
        let error = ConfigurationTesting.error(text)
        #expect(error?.kind == .configuration)
        #expect(error?.keyPath == "environments.dev.projects.p.project_id")
        #expect(error?.mark == Mark(line: 5, column: 24))
        #expect(error?.message.contains("is not a valid project id") == true)
    }
}
