import YAML

/// The `serve:` section of the configuration: how `secretsmith serve` listens, whom it
/// lets in and what each caller may read. Plain values, checked when the file is read;
/// the server builds its listener, authenticators, policy and rate limits from them.
///
/// Every path is absolute (resolved against the configuration file's directory). See the
/// README's "Running the service".
package struct ServeConfiguration: Sendable, Hashable {
    /// `listen`: the address to listen on, `HOST:PORT` (`[::1]:8200` for IPv6); `nil` when
    /// not set (the CLI then takes `--listen`, else 127.0.0.1:8200).
    package var listen: ListenAddress?
    /// `allow_insecure_http` (default false): serve plain HTTP on an address that is not
    /// loopback (behind a mesh or a proxy that terminates TLS).
    package var allowInsecureHTTP: Bool = false
    /// `tls`: serve HTTPS with this certificate and key; `nil` serves plain HTTP.
    package var tls: TLS?
    /// `shutdown_grace_period` (default 20s): how long requests in flight may take to finish
    /// after SIGTERM or SIGINT.
    package var shutdownGracePeriod: Duration = .seconds(20)
    /// `required_header`: a header every request must carry with a non-empty value (an
    /// SSRF guard for localhost deployments); `nil` requires none.
    package var requiredHeader: String?
    /// `authentication`.
    package var authentication = Authentication()
    /// `pubsub_push`: the Pub/Sub push endpoint `POST /v1/events/pubsub`; `nil` disables it.
    package var pubsubPush: PubSubPush?
    /// `webhooks`, in file order.
    package var webhooks: [Webhook] = []
    /// `policy`, in file order.
    package var policy: [PolicyRule] = []
    /// Where the `serve:` key is.
    package var mark: Mark?

    package init() {}

    /// The default listen address, `127.0.0.1:8200`.
    package static let defaultListen = ListenAddress(host: "127.0.0.1", port: 8200)

    /// A `HOST:PORT` to listen on.
    package struct ListenAddress: Sendable, Hashable, CustomStringConvertible {
        /// A host name or IP address, without brackets for IPv6.
        package var host: String
        /// 0 to 65535; 0 picks a free port.
        package var port: Int

        package init(host: String, port: Int) {
            self.host = host
            self.port = port
        }

        /// Parses `HOST:PORT`, `[IPV6]:PORT`.
        ///
        /// - Returns: `nil` when the text is not of that form or the port is not 0 to 65535.
        package init?(parsing text: String) {
            let host: Substring
            let portText: Substring
            if text.hasPrefix("[") {
                guard let close = text.firstIndex(of: "]") else { return nil }
                host = text[text.index(after: text.startIndex)..<close]
                let rest = text[text.index(after: close)...]
                guard rest.hasPrefix(":") else { return nil }
                portText = rest.dropFirst()
            } else {
                guard let colon = text.lastIndex(of: ":") else { return nil }
                host = text[..<colon]
                portText = text[text.index(after: colon)...]
                if host.contains(":") { return nil }
            }
            guard !host.isEmpty, !host.contains(where: { $0 == " " || $0 == "/" || $0.isNewline }),
                !portText.isEmpty, portText.allSatisfy({ $0.isASCII && $0.isNumber }), portText.count <= 5,
                let port = Int(portText), (0...65535).contains(port)
            else { return nil }
            self.init(host: String(host), port: port)
        }

        /// Whether the host is a loopback address or `localhost` (plain HTTP is allowed there).
        package var isLoopback: Bool {
            host == "localhost" || host == "::1" || host.hasPrefix("127.")
                && host.split(separator: ".").count == 4
        }

        package var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
    }

    /// `tls`.
    package struct TLS: Sendable, Hashable {
        /// `certificate_file`: the PEM certificate chain, leaf first.
        package var certificateFile: String
        /// `private_key_file`: the PEM private key of the leaf certificate.
        package var privateKeyFile: String

        package init(certificateFile: String, privateKeyFile: String) {
            self.certificateFile = certificateFile
            self.privateKeyFile = privateKeyFile
        }
    }

    /// `authentication`.
    package struct Authentication: Sendable, Hashable {
        /// `static_tokens_file`: lines `NAME sha256:HEX`; `nil` when not set.
        package var staticTokensFile: String?
        /// `jwt`: the JWT issuers, in file order.
        package var jwt: [JWTIssuer] = []

        package init(staticTokensFile: String? = nil, jwt: [JWTIssuer] = []) {
            self.staticTokensFile = staticTokensFile
            self.jwt = jwt
        }
    }

    /// One entry of `authentication.jwt`.
    package struct JWTIssuer: Sendable, Hashable {
        /// `kind`.
        package enum Kind: String, Sendable, Hashable, CaseIterable {
            /// Kubernetes projected service-account tokens.
            case kubernetes
            /// Google-signed ID tokens.
            case google
        }

        /// `kind` (required).
        package var kind: Kind
        /// `issuer` (required): the `iss` claim accepted.
        package var issuer: String
        /// `audiences` (required, at least one): an `aud` claim must name one of them.
        package var audiences: [String]
        /// Where the issuer's keys are: exactly one of `jwks_url` and `jwks_file`.
        package var keys: KeySource
        /// `clock_skew` (default 60s): leeway for `exp`, `nbf` and `iat`.
        package var clockSkew: Duration

        package init(kind: Kind, issuer: String, audiences: [String], keys: KeySource, clockSkew: Duration = .seconds(60)) {
            self.kind = kind
            self.issuer = issuer
            self.audiences = audiences
            self.keys = keys
            self.clockSkew = clockSkew
        }
    }

    /// Where a JWT issuer's signing keys (a JWKS document) come from.
    package enum KeySource: Sendable, Hashable {
        /// `jwks_url`: fetched over HTTPS (or HTTP) and cached.
        case url(String)
        /// `jwks_file`: read from a file (air-gapped clusters).
        case file(String)
    }

    /// `pubsub_push`.
    package struct PubSubPush: Sendable, Hashable {
        /// `audience` (required): the `aud` claim of the push request's OIDC token.
        package var audience: String
        /// `service_account_email` (required): the `email` claim of the token (the push
        /// subscription's service account).
        package var serviceAccountEmail: String
        /// `issuer` (default `https://accounts.google.com`).
        package var issuer: String
        /// `jwks_url` (default Google's `https://www.googleapis.com/oauth2/v3/certs`) or `jwks_file`.
        package var keys: KeySource

        /// Google's OIDC issuer.
        package static let defaultIssuer = "https://accounts.google.com"
        /// Google's OAuth 2.0 signing keys.
        package static let defaultJWKSURL = "https://www.googleapis.com/oauth2/v3/certs"

        package init(
            audience: String, serviceAccountEmail: String, issuer: String = PubSubPush.defaultIssuer,
            keys: KeySource = .url(PubSubPush.defaultJWKSURL)
        ) {
            self.audience = audience
            self.serviceAccountEmail = serviceAccountEmail
            self.issuer = issuer
            self.keys = keys
        }
    }

    /// One entry of `webhooks`.
    package struct Webhook: Sendable, Hashable {
        /// `url` (required): where invalidation notices are POSTed (`http://` or `https://`).
        package var url: String
        /// `signing_key_file` (required): the HMAC-SHA256 key, the file's bytes.
        package var signingKeyFile: String

        package init(url: String, signingKeyFile: String) {
            self.url = url
            self.signingKeyFile = signingKeyFile
        }
    }

    /// One entry of `policy`: the principals it applies to, what they may read, and their
    /// rate limit.
    package struct PolicyRule: Sendable, Hashable {
        /// `principals` (required): principal names (`token:NAME`, `kubernetes:NS/SA`,
        /// `google:EMAIL`, `sub:SUBJECT`), where `*` matches any run of characters.
        package var principals: [String]
        /// `allow` (required): `ENV/PROJECT/SECRET` globs over reference coordinates (the
        /// project alias and secret name), where `*` matches any run of characters except `/`.
        package var allow: [String]
        /// `rate_limit`: `nil` sets no limit.
        package var rateLimit: RateLimit?
        /// Where the rule is (for messages).
        package var mark: Mark?

        package init(principals: [String], allow: [String], rateLimit: RateLimit? = nil, mark: Mark? = nil) {
            self.principals = principals
            self.allow = allow
            self.rateLimit = rateLimit
            self.mark = mark
        }
    }

    /// `rate_limit`: a token bucket.
    package struct RateLimit: Sendable, Hashable {
        /// `requests_per_second` (required, > 0): the refill rate.
        package var requestsPerSecond: Double
        /// `burst` (default: `requests_per_second` rounded up, at least 1): the bucket's size.
        package var burst: Int

        package init(requestsPerSecond: Double, burst: Int) {
            self.requestsPerSecond = requestsPerSecond
            self.burst = burst
        }
    }

    /// The principal kinds a policy's `principals` may name (`KIND:...`).
    package static let principalKinds = ["token", "kubernetes", "google", "sub"]
}
