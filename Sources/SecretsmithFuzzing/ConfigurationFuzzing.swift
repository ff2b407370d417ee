import Secretsmith
import YAML

/// `configuration`: YAML bytes through `Configuration.parse` (the YAML limits, the decoder).
///
/// Properties: parsing ends (libFuzzer's `-timeout` and `-rss_limit_mb` bound its time and
/// memory); every error that names this file carries a position inside the input (line and
/// column, lines counted as YAML counts them: `\n`, `\r\n` or a lone `\r`), the
/// additional errors too; a parsed configuration resolves every declared
/// reference without trapping.
enum ConfigurationFuzzing {
    static let file = "/fuzz/secretsmith.yaml"
    /// What `${NAME}` expands to.
    static let environment = ["HOME": "/home/fuzz", "PROJECT": "fuzz-project", "ENVIRONMENT": "dev"]

    static func run(_ bytes: [UInt8]) throws(PropertyViolation) {
        let configuration: Configuration
        do throws(ConfigurationError) {
            configuration = try Configuration.parse(bytes, file: file, environment: environment, directory: "/fuzz")
        } catch {
            for failure in error.all {
                if let mark = failure.mark, failure.file == nil || failure.file == file {
                    try FuzzChecks.checkMark(
                        mark, in: bytes, yamlLineBreaks: true, what: "the error \"\(failure.description)\"")
                }
            }
            return
        }
        // What commands do with a loaded configuration: resolve every declared reference.
        for environment in configuration.environments {
            for reference in configuration.declaredReferences(in: environment.name) {
                _ = try? configuration.resolve(reference, activeEnvironment: environment.name)
            }
        }
    }
}
