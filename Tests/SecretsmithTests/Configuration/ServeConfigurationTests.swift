import Testing

@testable import Secretsmith

/// The `serve:` section.
@Suite struct ServeConfigurationTests {
    static let full = """
        version: 1
        environments:
          dev:
            projects: {}
        serve:
          listen: 0.0.0.0:8443
          allow_insecure_http: false
          tls:
            certificate_file: tls/tls.crt
            private_key_file: /etc/secretsmith/tls/tls.key
          shutdown_grace_period: 20s
          required_header: X-Secretsmith-Request
          authentication:
            static_tokens_file: tokens
            jwt:
              - kind: kubernetes
                issuer: https://kubernetes.default.svc.cluster.local
                audiences: [secretsmith]
                jwks_url: https://kubernetes.default.svc/openid/v1/jwks
                clock_skew: 30s
              - kind: google
                issuer: https://accounts.google.com
                audiences: [a, b]
                jwks_file: /var/run/secrets/jwks.json
          pubsub_push:
            audience: https://secretsmith.example.com/v1/events/pubsub
            service_account_email: pubsub-push@acme-prod.iam.gserviceaccount.com
          webhooks:
            - url: https://hooks.example.com/secretsmith
              signing_key_file: /etc/secretsmith/webhook-key
          policy:
            - principals: ["token:ci", "kubernetes:payments/api", "google:app@acme-prod.iam.gserviceaccount.com", "sub:1234"]
              allow: ["prod/billing/*", "dev/*/*"]
              rate_limit: {requests_per_second: 50, burst: 100}
            - principals: ["token:*"]
              allow: ["dev/app/db-*"]
              rate_limit: {requests_per_second: 2.5}
        """

    @Test func theWholeSectionDecodes() throws {
        let serve = try #require(try ConfigurationTesting.parse(Self.full).serve)
        #expect(serve.listen == .init(host: "0.0.0.0", port: 8443))
        #expect(serve.listen?.isLoopback == false)
        #expect(serve.allowInsecureHTTP == false)
        #expect(serve.tls == .init(certificateFile: "/config/tls/tls.crt", privateKeyFile: "/etc/secretsmith/tls/tls.key"))
        #expect(serve.shutdownGracePeriod == .seconds(20))
        #expect(serve.requiredHeader == "X-Secretsmith-Request")
        #expect(serve.authentication.staticTokensFile == "/config/tokens")
        #expect(serve.authentication.jwt.count == 2)
        #expect(serve.authentication.jwt[0].kind == .kubernetes)
        #expect(serve.authentication.jwt[0].keys == .url("https://kubernetes.default.svc/openid/v1/jwks"))
        #expect(serve.authentication.jwt[0].clockSkew == .seconds(30))
        #expect(serve.authentication.jwt[1].audiences == ["a", "b"])
        #expect(serve.authentication.jwt[1].keys == .file("/var/run/secrets/jwks.json"))
        #expect(serve.authentication.jwt[1].clockSkew == .seconds(60))
        let push = try #require(serve.pubsubPush)
        #expect(push.issuer == "https://accounts.google.com")
        #expect(push.keys == .url("https://www.googleapis.com/oauth2/v3/certs"))
        #expect(push.serviceAccountEmail == "pubsub-push@acme-prod.iam.gserviceaccount.com")
        #expect(serve.webhooks == [.init(url: "https://hooks.example.com/secretsmith", signingKeyFile: "/etc/secretsmith/webhook-key")])
        #expect(serve.policy.count == 2)
        #expect(serve.policy[0].principals.count == 4)
        #expect(serve.policy[0].rateLimit == .init(requestsPerSecond: 50, burst: 100))
        #expect(serve.policy[1].rateLimit == .init(requestsPerSecond: 2.5, burst: 3))
    }

    @Test func aFileWithoutTheSectionHasNone() throws {
        #expect(try ConfigurationTesting.parse("version: 1\nenvironments: {}\n").serve == nil)
    }

    @Test func unknownKeysAreRefusedWithPositionAndHint() {
        let error = ConfigurationTesting.error("""
            version: 1
            serve:
              listen: 127.0.0.1:8200
              polcy: []
              authentication:
                jwt:
                  - kind: kubernetes
                    issuer: x
                    audiences: [a]
                    jwks_url: https://k/jwks
                    audience: a
            """)
        let all = error?.all.map(\.description) ?? []
        #expect(all.count == 2, "\(all)")
        #expect(all.first?.contains("secretsmith.yaml:4:3") == true, "\(all)")
        #expect(all.first?.contains("serve.polcy") == true, "\(all)")
        #expect(all.first?.contains("Did you mean \"policy\"?") == true, "\(all)")
        #expect(all.last?.contains("serve.authentication.jwt[0].audience") == true, "\(all)")
    }

    @Test(arguments: [
        ("listen: localhost", "serve.listen"),
        ("listen: 127.0.0.1:70000", "serve.listen"),
        ("shutdown_grace_period: soon", "serve.shutdown_grace_period"),
        ("required_header: \"X Bad\"", "serve.required_header"),
        ("tls: { certificate_file: a.crt }", "serve.tls.private_key_file"),
        ("policy: [{ principals: [ci], allow: [dev/*/*] }]", "serve.policy[0].principals[0]"),
        ("policy: [{ principals: [\"token:ci\"], allow: [dev/*] }]", "serve.policy[0].allow[0]"),
        ("policy: [{ principals: [\"token:ci\"], allow: [dev/*/*], rate_limit: { requests_per_second: 0 } }]",
         "serve.policy[0].rate_limit.requests_per_second"),
        ("authentication: { jwt: [{ kind: oidc, issuer: x, audiences: [a], jwks_url: https://x/j }] }",
         "serve.authentication.jwt[0].kind"),
        ("authentication: { jwt: [{ kind: google, issuer: x, audiences: [a] }] }", "serve.authentication.jwt[0]"),
        ("authentication: { jwt: [{ kind: google, issuer: x, audiences: [a], jwks_url: https://x/j, jwks_file: f }] }",
         "serve.authentication.jwt[0].jwks_file"),
        ("pubsub_push: { audience: a }", "serve.pubsub_push.service_account_email"),
        ("webhooks: [{ url: ftp://x, signing_key_file: k }]", "serve.webhooks[0].url"),
        ("webhooks: [{ url: \"https://h:0/x\", signing_key_file: k }]", "serve.webhooks[0].url"),
        ("webhooks: [{ url: \"https://h:99999/x\", signing_key_file: k }]", "serve.webhooks[0].url"),
        ("webhooks: [{ url: \"https://:8080/x\", signing_key_file: k }]", "serve.webhooks[0].url"),
        ("authentication: { jwt: [{ kind: google, issuer: x, audiences: [a], jwks_url: \"https://u@h/j\" }] }",
         "serve.authentication.jwt[0].jwks_url"),
    ])
    func wrongValuesNameTheirKey(_ line: String, _ key: String) {
        let error = ConfigurationTesting.error("version: 1\nserve:\n  \(line)\n")
        let text = error.map { "\($0)" } ?? ""
        #expect(text.contains("secretsmith.yaml:"), "\(text)")
        #expect(text.contains("(at \(key))"), "\(text)")
    }

    @Test func aURLWithAPasswordIsRefusedWithoutRepeatingIt() {
        let error = ConfigurationTesting.error(
            "version: 1\nserve:\n  webhooks: [{ url: \"https://hook:hunter2-pass@example.com/x\", signing_key_file: k }]\n")
        let text = error.map { "\($0)" } ?? ""
        #expect(text.contains("carries user information"), "\(text)")
        #expect(text.contains("(at serve.webhooks[0].url)"), "\(text)")
        #expect(!text.contains("hunter2-pass"), "\(text)")
    }

    @Test func listenAddressesParse() {
        #expect(ServeConfiguration.ListenAddress(parsing: "[::1]:8200") == .init(host: "::1", port: 8200))
        #expect(ServeConfiguration.ListenAddress(parsing: "[::1]:8200")?.isLoopback == true)
        #expect(ServeConfiguration.ListenAddress(parsing: "127.0.0.1:0")?.isLoopback == true)
        #expect(ServeConfiguration.ListenAddress(parsing: "localhost:1")?.isLoopback == true)
        #expect(ServeConfiguration.ListenAddress(parsing: "10.0.0.1:1")?.isLoopback == false)
        #expect(ServeConfiguration.ListenAddress(parsing: "::1:8200") == nil)
        #expect(ServeConfiguration.ListenAddress(parsing: ":8200") == nil)
        #expect(ServeConfiguration.ListenAddress(parsing: "host:") == nil)
    }
}
