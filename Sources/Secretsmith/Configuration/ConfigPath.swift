/// A key path into the configuration for messages: `environments.prod.projects.billing`,
/// `outputs[1].mode`.
struct ConfigPath: Sendable, Hashable, CustomStringConvertible {
    private(set) var description: String

    static let root = ConfigPath(description: "")

    func key(_ key: String) -> ConfigPath {
        ConfigPath(description: description.isEmpty ? key : description + "." + key)
    }

    func index(_ index: Int) -> ConfigPath {
        ConfigPath(description: description + "[\(index)]")
    }
}
