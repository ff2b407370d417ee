import NIOSSL

extension SecretManagerClient {
    /// For a failed TLS handshake with the endpoint (its certificate is not trusted, does
    /// not name the host, or the server does not speak TLS), a sentence naming the
    /// endpoint and how to trust it, and whether the certificate failed verification (which
    /// no retry cures: the same certificate comes back); `nil` for any other error.
    static func tlsFailure(_ error: any Error, endpoint: SecretManagerEndpoint)
        -> (message: String, certificateRejected: Bool)?
    {
        let detail: String
        switch error {
        case let error as NIOSSLError:
            if case .handshakeFailed(let boring) = error {
                detail = String(describing: boring)
            } else {
                detail = String(describing: error)
            }
        case let error as BoringSSLError:
            detail = String(describing: error)
        case let error as NIOSSLExtraError:
            detail = String(describing: error)
        default:
            return nil
        }
        let address = endpoint.hostAndPort
        if detail.contains("CERTIFICATE_VERIFY_FAILED") || detail.contains("certificate") {
            return (
                "the TLS certificate of \(address) is not trusted or does not name the host (\(detail)); "
                    + "trust its CA with `tls: { ca_file: PATH }` in the configuration or SSL_CERT_FILE",
                true
            )
        }
        return ("the TLS handshake with \(address) failed (\(detail)); is the endpoint's scheme (https) right?", false)
    }
}
