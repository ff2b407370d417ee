/// The file format of one output, as written in `secretsmith.yaml` under `outputs[].format`.
///
/// `template` renders a template file; the other formats map keys to secret values
/// (`values:`) and are encoded by ``OutputEncoder``.
public enum OutputFormat: String, Sendable, Hashable, CaseIterable {
    /// A template rendered byte for byte, with `<< … >>` actions replaced.
    case template
    /// `KEY='value'` lines, read back exactly by python-dotenv and docker compose.
    case dotenv
    /// `export KEY='value'` lines for POSIX `sh`, `dash` and `bash` to source with `.`.
    case shell
    /// One JSON object, keys in declared order, values as JSON strings.
    case json
    /// `KEY=value` lines for `docker run --env-file`, which has no quoting.
    case dockerEnvFile = "docker-env-file"
}
