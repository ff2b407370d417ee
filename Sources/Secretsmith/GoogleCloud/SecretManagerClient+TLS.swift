import NIOSSL

extension SecretManagerClient {
    /// For a failed TLS handshake with the endpoint (its certificate is not trusted, does
    /// not name the host, or the server does not speak TLS), a sentence naming the
    /// endpoint and how to trust it, and whether the certificate failed verification (which
    /// no retry cures: the same certificate comes back); `nil` for any other error.
    static func tlsFailure(_ error: any Error, endpoint: SecretManagerEndpoint)
        -> (message: String, certificateRejected: Bool)?
    {
        let description: String
        switch error {
        case let error as NIOSSLError:
            if case .handshakeFailed(let boring) = error {
                description = String(describing: boring)
            } else {
                description = String(describing: error)
            }
        case let error as BoringSSLError:
            description = String(describing: error)
        case let error as NIOSSLExtraError:
            description = String(describing: error)
        default:
            return nil
        }
        let address = endpoint.hostAndPort
        let detail = Self.tlsReasons(in: description)
        if detail.contains("CERTIFICATE_VERIFY_FAILED") || detail.contains("certificate") {
            return (
                "the TLS certificate of \(address) is not trusted or does not name the host (\(detail)); "
                    + "trust its CA with `tls: { ca_file: PATH }` in the configuration or SSL_CERT_FILE",
                true
            )
        }
        return ("the TLS handshake with \(address) failed (\(detail)); is the endpoint's scheme (https) right?", false)
    }

    /// The reason codes of a BoringSSL error description (`CERTIFICATE_VERIFY_FAILED`),
    /// joined with `, `, without the error numbers and the source file paths of the build
    /// that the description also holds; the description itself when it has none.
    static func tlsReasons(in detail: String) -> String {
        var reasons: [String] = []
        var rest = detail[...]
        while let marker = rest.range(of: "OPENSSL_internal:") {
            let code = rest[marker.upperBound...].prefix { $0.isUppercase || $0.isNumber || $0 == "_" }
            if !code.isEmpty, !reasons.contains(String(code)) { reasons.append(String(code)) }
            rest = rest[marker.upperBound...]
        }
        return reasons.isEmpty ? detail : reasons.joined(separator: ", ")
    }
}
