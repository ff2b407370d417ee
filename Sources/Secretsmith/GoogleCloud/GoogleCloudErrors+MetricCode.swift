extension SecretManagerError: MetricCodedError {
    /// The Secret Manager code (`NOT_FOUND`, `UNAVAILABLE`, `CIRCUIT_OPEN`, ...).
    package var metricCode: String { code.rawValue }
}

extension AuthenticationError: MetricCodedError {
    /// `AUTHENTICATION`, whatever the credentials' failure.
    package var metricCode: String { "AUTHENTICATION" }
}
