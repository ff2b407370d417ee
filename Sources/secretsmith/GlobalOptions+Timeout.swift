import Secretsmith

extension GlobalOptions {
    /// `--timeout` as a duration, `nil` when the flag is absent.
    ///
    /// The syntax and the bounds are those of `deadline:` in the configuration: at least
    /// 1 ms (so `0s` is refused) and at most 1,000,000,000 s.
    ///
    /// - Throws: ``UsageError`` (exit 64) naming `--timeout` and the value.
    func parsedTimeout() throws -> Duration? {
        guard let text = timeout else { return nil }
        let value: Duration
        do {
            value = try DurationSyntax.parse(text)
        } catch {
            throw UsageError("--timeout \(text): \(error.message)")
        }
        guard value >= .milliseconds(1) else {
            throw UsageError("--timeout \(text): the duration must be at least 1ms")
        }
        return value
    }
}
