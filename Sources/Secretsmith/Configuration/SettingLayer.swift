/// Where an effective setting came from, nearest last: built-in default, the file's
/// `defaults` (global), `environments.<env>`, `projects.<alias>`, `secrets.<name>`, the
/// reference itself (`@VERSION`), then the command line or the process environment.
///
/// `explain` prints the raw value next to each setting.
public enum SettingLayer: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// secretsmith's built-in default.
    case builtIn = "default"
    /// The file's `defaults:` section.
    case global
    /// `environments.<env>`.
    case environment
    /// `environments.<env>.projects.<alias>`.
    case project
    /// `...projects.<alias>.secrets.<name>`.
    case secret
    /// The reference text (`@VERSION`).
    case reference
    /// A command-line option.
    case commandLine = "command line"
    /// A process environment variable (such as `SECRET_MANAGER_EMULATOR_HOST`).
    case environmentVariable = "environment variable"

    public var description: String { rawValue }
}
