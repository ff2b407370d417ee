/// The environment `secretsmith exec` gives its child: the inherited environment with the
/// values of the selected key/value outputs added.
///
/// Which outputs feed the environment: `dotenv`, `shell` and `docker-env-file`, whose
/// keys are environment variable names by definition and whose files exist to become a
/// process environment. Their values go into the environment only; exec does not write
/// those files. `json` and `template` outputs are written as files (all or nothing)
/// before the child starts: their keys are not variable names, and the application reads
/// them as files.
///
/// Precedence: a secret value replaces an inherited variable of the same name. The
/// platform that starts an entrypoint (a Kubernetes manifest, a Cloud Run service, a
/// compose file) often carries placeholders or stale values under the same names; the
/// entrypoint exists to supply the real ones, and a placeholder silently winning would
/// start the application with the wrong credentials.
///
/// Values are bytes: exactly the payload (after any `#pointer`), newlines, quotes, `$` and
/// non-UTF-8 bytes included. A NUL byte cannot be carried by `execve`'s C strings, so such
/// a value is refused by key name.
public enum ExecEnvironment {
    /// Whether outputs of `format` feed the child's environment (and are not written).
    public static func feedsEnvironment(_ format: OutputFormat) -> Bool {
        switch format {
        case .dotenv, .shell, .dockerEnvFile: true
        case .json, .template: false
        }
    }

    /// The same key set by two selected outputs to different references, found before
    /// any fetch.
    ///
    /// - Returns: one problem per conflicting entry (kind configuration, exit 65).
    public static func conflicts(in plan: RenderPlan) -> [RenderProblem] {
        var firstUse: [String: (output: String, reference: String)] = [:]
        var problems: [RenderProblem] = []
        for output in plan.outputs where feedsEnvironment(output.output.format) {
            for value in output.output.values {
                if let first = firstUse[value.key] {
                    guard first.reference != value.reference else { continue }
                    let site = output.references.first { $0.site.key == value.key }?.site
                    problems.append(
                        RenderProblem(
                            site: site, reference: value.reference,
                            error: ExecEnvironmentError(
                                key: value.key,
                                message: "outputs \"\(first.output)\" and \"\(output.output.name)\" both set environment variable \(value.key), to different references (\"\(first.reference)\" and \"\(value.reference)\"); select one of them with --only")))
                } else {
                    firstUse[value.key] = (output.output.name, value.reference)
                }
            }
        }
        return problems
    }

    /// The variables the selected outputs set, in output then key order (a key set twice
    /// to the same reference appears once).
    ///
    /// - Parameter values: the fetched payloads of the plan.
    /// - Returns: names and value bytes.
    /// - Throws: ``RenderFailure`` naming every key whose value contains a NUL byte or
    ///   whose JSON pointer selects nothing; no value appears in it.
    public static func variables(of plan: RenderPlan, values: [RenderPlan.FetchKey: SecretValue]) throws
        -> [(name: String, value: [UInt8])]
    {
        var variables: [(name: String, value: [UInt8])] = []
        var seen = Set<String>()
        var problems: [RenderProblem] = []
        for output in plan.outputs where feedsEnvironment(output.output.format) {
            for reference in output.references {
                guard let key = reference.site.key, seen.insert(key).inserted else { continue }
                guard let value = values[reference.fetchKey] else {
                    problems.append(
                        RenderProblem(
                            site: reference.site, reference: reference.text,
                            error: UnexpectedError(underlying: "no value was fetched")))
                    continue
                }
                do {
                    let bytes = try reference.reference.pointer.map { try $0.evaluate(in: value.bytes) } ?? value.bytes
                    if bytes.contains(0) {
                        throw OutputEncodingError(
                            format: output.output.format, key: key, reason: .nulByte, outputName: output.output.name)
                    }
                    variables.append((key, bytes))
                } catch {
                    problems.append(
                        RenderProblem(site: reference.site, reference: reference.text, error: UnexpectedError.wrap(error)))
                }
            }
        }
        if !problems.isEmpty { throw RenderFailure(problems: problems) }
        return variables
    }

    /// The child's environment: every inherited `NAME=value` entry whose name no secret
    /// sets, in order, then one entry per secret variable.
    ///
    /// - Parameters:
    ///   - inherited: the process's environment entries as bytes (`NAME=value`), exactly
    ///     as `environ` holds them.
    ///   - variables: from ``variables(of:values:)``.
    /// - Returns: the entries and the names of inherited variables the secrets replaced.
    public static func merge(inherited: [[UInt8]], variables: [(name: String, value: [UInt8])])
        -> (entries: [[UInt8]], replaced: [String])
    {
        let names = Set(variables.map { Array($0.name.utf8) })
        var entries: [[UInt8]] = []
        var replaced: [String] = []
        for entry in inherited {
            let name = Array(entry.prefix { $0 != UInt8(ascii: "=") })
            if names.contains(name) {
                replaced.append(String(decoding: name, as: UTF8.self))
            } else {
                entries.append(entry)
            }
        }
        for variable in variables {
            entries.append(Array(variable.name.utf8) + [UInt8(ascii: "=")] + variable.value)
        }
        return (entries, replaced)
    }
}
