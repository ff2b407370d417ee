import Secretsmith

/// A file that `serve`'s authentication, events or webhooks read is missing or invalid: the
/// static tokens file, a JWKS file, a webhook signing key.
///
/// The ``description`` is a full sentence that names the file (and the line, when one is at
/// fault) and never the file's secret content: no token, hash, key or signing key appears in it.
package struct AuthenticationSetupError: SecretsmithError, Hashable {
    /// The file at fault, as configured.
    package var path: String
    /// The 1-based line at fault, when one is.
    package var line: Int?
    /// The sentence saying what is wrong and how to fix it.
    package var reason: String

    package init(path: String, line: Int? = nil, reason: String) {
        self.path = path
        self.line = line
        self.reason = reason
    }

    /// A configuration problem (exit 65 at startup).
    package var kind: FailureKind { .configuration }

    package var shortDescription: String { "INVALID_CONFIGURATION" }

    /// `PATH:LINE: REASON`, or `PATH: REASON` when no line is at fault.
    package var description: String {
        if let line { return "\(path):\(line): \(reason)" }
        return "\(path): \(reason)"
    }
}
