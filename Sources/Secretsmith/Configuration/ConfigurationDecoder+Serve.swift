import Foundation
import YAML

extension ConfigurationDecoder {
    /// `serve:`, with every error of the section recorded in ``sink`` (so one run reports
    /// them all, with the rest of the file's).
    ///
    /// - Returns: the section, or `nil` when an error was recorded.
    func serveSection(_ node: YAMLNode) -> ServeConfiguration? {
        let before = sink.errors.count
        do throws(ConfigurationError) {
            let serve = try self.serve(node, at: .root.key("serve"))
            return sink.errors.count == before ? serve : nil
        } catch {
            sink.errors.append(error)
            return nil
        }
    }

    private func serve(_ node: YAMLNode, at path: ConfigPath) throws(ConfigurationError) -> ServeConfiguration {
        let fields = try fields(
            node, at: path,
            allowed: [
                "listen", "allow_insecure_http", "tls", "shutdown_grace_period", "required_header", "authentication",
                "pubsub_push", "webhooks", "policy",
            ])
        var serve = ServeConfiguration()
        serve.mark = node.mark
        _ = try collecting { () throws(ConfigurationError) in
            if let node = fields["listen"] {
                let text = try nonEmptyString(node, at: path.key("listen"))
                guard let address = ServeConfiguration.ListenAddress(parsing: text) else {
                    throw failure(
                        "\(ConfigurationRules.quoted(text)) is not a listen address", at: node, path: path.key("listen"),
                        hint: "Write HOST:PORT such as 127.0.0.1:8200, 0.0.0.0:8200 or [::1]:8200 (port 0 to 65535).")
                }
                serve.listen = address
            }
        }
        _ = try collecting { () throws(ConfigurationError) in
            if let node = fields["allow_insecure_http"] {
                serve.allowInsecureHTTP = try bool(node, at: path.key("allow_insecure_http"))
            }
        }
        _ = try collecting { () throws(ConfigurationError) in
            if let node = fields["tls"] {
                let tlsPath = path.key("tls")
                let tls = try self.fields(node, at: tlsPath, allowed: ["certificate_file", "private_key_file"])
                serve.tls = ServeConfiguration.TLS(
                    certificateFile: try self.path(try required("certificate_file", in: tls), at: tlsPath.key("certificate_file")),
                    privateKeyFile: try self.path(try required("private_key_file", in: tls), at: tlsPath.key("private_key_file")))
            }
        }
        _ = try collecting { () throws(ConfigurationError) in
            if let node = fields["shutdown_grace_period"] {
                serve.shutdownGracePeriod = try duration(node, at: path.key("shutdown_grace_period"))
            }
        }
        _ = try collecting { () throws(ConfigurationError) in
            if let node = fields["required_header"] {
                serve.requiredHeader = try token(
                    node, at: path.key("required_header"), what: "header name",
                    expected: "an HTTP header name such as X-Secretsmith-Request (letters, digits and '-')",
                    valid: Self.isValidHeaderName)
            }
        }
        _ = try collecting { () throws(ConfigurationError) in
            if let node = fields["authentication"] {
                serve.authentication = try authentication(node, at: path.key("authentication"))
            }
        }
        _ = try collecting { () throws(ConfigurationError) in
            if let node = fields["pubsub_push"] {
                serve.pubsubPush = try pubsubPush(node, at: path.key("pubsub_push"))
            }
        }
        _ = try collecting { () throws(ConfigurationError) in
            if let node = fields["webhooks"] {
                for (index, element) in try sequence(node, at: path.key("webhooks"), of: "webhooks").enumerated() {
                    let entryPath = path.key("webhooks").index(index)
                    if let webhook = try collecting({ () throws(ConfigurationError) in try webhook(element, at: entryPath) }) {
                        serve.webhooks.append(webhook)
                    }
                }
            }
        }
        _ = try collecting { () throws(ConfigurationError) in
            if let node = fields["policy"] {
                for (index, element) in try sequence(node, at: path.key("policy"), of: "policy rules").enumerated() {
                    let entryPath = path.key("policy").index(index)
                    if let rule = try collecting({ () throws(ConfigurationError) in try policyRule(element, at: entryPath) }) {
                        serve.policy.append(rule)
                    }
                }
            }
        }
        return serve
    }

    private func authentication(_ node: YAMLNode, at path: ConfigPath) throws(ConfigurationError) -> ServeConfiguration.Authentication {
        let fields = try fields(node, at: path, allowed: ["static_tokens_file", "jwt"])
        var authentication = ServeConfiguration.Authentication()
        _ = try collecting { () throws(ConfigurationError) in
            if let node = fields["static_tokens_file"] {
                authentication.staticTokensFile = try self.path(node, at: path.key("static_tokens_file"))
            }
        }
        if let node = fields["jwt"] {
            for (index, element) in try sequence(node, at: path.key("jwt"), of: "JWT issuers").enumerated() {
                let entryPath = path.key("jwt").index(index)
                if let issuer = try collecting({ () throws(ConfigurationError) in try jwtIssuer(element, at: entryPath) }) {
                    authentication.jwt.append(issuer)
                }
            }
        }
        return authentication
    }

    private func jwtIssuer(_ node: YAMLNode, at path: ConfigPath) throws(ConfigurationError) -> ServeConfiguration.JWTIssuer {
        let fields = try fields(
            node, at: path, allowed: ["kind", "issuer", "audiences", "jwks_url", "jwks_file", "clock_skew"])
        let kindNode = try required("kind", in: fields)
        let kindText = try nonEmptyString(kindNode, at: path.key("kind"))
        let kinds = ServeConfiguration.JWTIssuer.Kind.allCases.map(\.rawValue)
        guard let kind = ServeConfiguration.JWTIssuer.Kind(rawValue: kindText) else {
            throw failure(
                "unknown JWT issuer kind \"\(kindText)\"", at: kindNode, path: path.key("kind"),
                hint: Suggestions.hint(for: kindText, among: kinds) ?? "Valid kinds: \(kinds.joined(separator: ", ")).")
        }
        let issuer = try nonEmptyString(try required("issuer", in: fields), at: path.key("issuer"))
        let audiencesNode = try required("audiences", in: fields)
        var audiences: [String] = []
        if audiencesNode.scalar != nil, !audiencesNode.isNull {
            audiences = [try nonEmptyString(audiencesNode, at: path.key("audiences"))]
        } else {
            for (index, element) in try sequence(audiencesNode, at: path.key("audiences"), of: "audiences").enumerated() {
                audiences.append(try nonEmptyString(element, at: path.key("audiences").index(index)))
            }
        }
        guard !audiences.isEmpty else {
            throw failure(
                "a JWT issuer needs at least one audience", at: audiencesNode, path: path.key("audiences"),
                hint: "List the aud values the tokens carry, such as audiences: [secretsmith].")
        }
        let keys = try keySource(fields, at: path, required: true)!
        var clockSkew = Duration.seconds(60)
        if let node = fields["clock_skew"] {
            clockSkew = try duration(node, at: path.key("clock_skew"))
            guard clockSkew <= .seconds(600) else {
                throw failure("clock_skew is at most 10m", at: node, path: path.key("clock_skew"))
            }
        }
        return ServeConfiguration.JWTIssuer(
            kind: kind, issuer: issuer, audiences: audiences, keys: keys, clockSkew: clockSkew)
    }

    private func pubsubPush(_ node: YAMLNode, at path: ConfigPath) throws(ConfigurationError) -> ServeConfiguration.PubSubPush {
        let fields = try fields(
            node, at: path, allowed: ["audience", "service_account_email", "issuer", "jwks_url", "jwks_file"])
        let audience = try nonEmptyString(try required("audience", in: fields), at: path.key("audience"))
        let emailNode = try required("service_account_email", in: fields)
        let email = try token(
            emailNode, at: path.key("service_account_email"), what: "service account email",
            expected: "an email such as pubsub-push@project.iam.gserviceaccount.com",
            valid: { text in
                let parts = text.split(separator: "@", omittingEmptySubsequences: false)
                return parts.count == 2 && !parts[0].isEmpty && !parts[1].isEmpty
                    && !text.contains(where: { $0 == " " || $0 == "/" || $0.isNewline })
            })
        var push = ServeConfiguration.PubSubPush(audience: audience, serviceAccountEmail: email)
        if let node = fields["issuer"] {
            push.issuer = try nonEmptyString(node, at: path.key("issuer"))
        }
        if let keys = try keySource(fields, at: path, required: false) {
            push.keys = keys
        }
        return push
    }

    /// `jwks_url` or `jwks_file`, not both; `nil` when neither is set and neither is required.
    private func keySource(_ fields: Fields, at path: ConfigPath, required: Bool) throws(ConfigurationError) -> ServeConfiguration.KeySource? {
        switch (fields["jwks_url"], fields["jwks_file"]) {
        case (let url?, nil):
            return .url(try httpURL(url, at: path.key("jwks_url"), credentialsHint: "Remove it: a JWKS is public, read without credentials."))
        case (nil, let file?):
            return .file(try self.path(file, at: path.key("jwks_file")))
        case (_?, let file?):
            throw failure(
                "jwks_url and jwks_file cannot both be set", at: file, path: path.key("jwks_file"),
                hint: "Keep jwks_url to fetch the keys, or jwks_file to read them from a file.")
        case (nil, nil):
            guard required else { return nil }
            throw failure(
                "a JWT issuer needs jwks_url or jwks_file", at: fields.node, path: path,
                hint: "Add jwks_url: with the issuer's JWKS address, or jwks_file: with a copy of it.")
        }
    }

    private func webhook(_ node: YAMLNode, at path: ConfigPath) throws(ConfigurationError) -> ServeConfiguration.Webhook {
        let fields = try fields(node, at: path, allowed: ["url", "signing_key_file"])
        return ServeConfiguration.Webhook(
            url: try httpURL(
                try required("url", in: fields), at: path.key("url"),
                credentialsHint: "Remove it: the receiver authenticates a notification by its signature (signing_key_file)."),
            signingKeyFile: try self.path(try required("signing_key_file", in: fields), at: path.key("signing_key_file")))
    }

    private func policyRule(_ node: YAMLNode, at path: ConfigPath) throws(ConfigurationError) -> ServeConfiguration.PolicyRule {
        let fields = try fields(node, at: path, allowed: ["principals", "allow", "rate_limit"])
        let principalsNode = try required("principals", in: fields)
        var principals: [String] = []
        for (index, element) in try sequence(principalsNode, at: path.key("principals"), of: "principal names").enumerated() {
            let text = try nonEmptyString(element, at: path.key("principals").index(index))
            let kind = text.split(separator: ":", maxSplits: 1).first.map(String.init) ?? ""
            guard text.contains(":"), ServeConfiguration.principalKinds.contains(kind), text.count > kind.count + 1 else {
                throw failure(
                    "\(ConfigurationRules.quoted(text)) is not a principal name", at: element, path: path.key("principals").index(index),
                    hint: "Write token:NAME, kubernetes:NAMESPACE/SERVICEACCOUNT, google:EMAIL or sub:SUBJECT.")
            }
            principals.append(text)
        }
        guard !principals.isEmpty else {
            throw failure("a policy rule needs at least one principal", at: principalsNode, path: path.key("principals"))
        }
        let allowNode = try required("allow", in: fields)
        var allow: [String] = []
        for (index, element) in try sequence(allowNode, at: path.key("allow"), of: "ENV/PROJECT/SECRET patterns").enumerated() {
            let text = try nonEmptyString(element, at: path.key("allow").index(index))
            let parts = text.split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count == 3,
                parts.allSatisfy({ part in
                    !part.isEmpty && part.allSatisfy { $0 == "*" || ($0.isASCII && SecretReference.isValidComponent(String($0))) }
                })
            else {
                throw failure(
                    "\(ConfigurationRules.quoted(text)) is not an ENV/PROJECT/SECRET pattern", at: element, path: path.key("allow").index(index),
                    hint: "Write three names separated by '/', where * matches any name or part of one: prod/billing/*, dev/*/*.")
            }
            allow.append(text)
        }
        var rule = ServeConfiguration.PolicyRule(principals: principals, allow: allow, mark: node.mark)
        if let node = fields["rate_limit"] {
            let limitPath = path.key("rate_limit")
            let limit = try self.fields(node, at: limitPath, allowed: ["requests_per_second", "burst"])
            let rateNode = try required("requests_per_second", in: limit)
            let rate = try double(rateNode, at: limitPath.key("requests_per_second"), in: 0...1_000_000)
            guard rate > 0 else {
                throw failure(
                    "requests_per_second must be more than 0", at: rateNode, path: limitPath.key("requests_per_second"),
                    hint: "Leave rate_limit out for no limit.")
            }
            var burst = max(1, Int(rate.rounded(.up)))
            if let node = limit["burst"] {
                burst = try int(node, at: limitPath.key("burst"), in: 1...10_000_000)
            }
            rule.rateLimit = ServeConfiguration.RateLimit(requestsPerSecond: rate, burst: burst)
        }
        return rule
    }

    private func required(_ key: String, in fields: Fields) throws(ConfigurationError) -> YAMLNode {
        guard let node = fields[key] else {
            throw failure("\"\(key)\" is required here", at: fields.node, path: fields.path.key(key))
        }
        return node
    }

    /// The elements of a sequence (a null value is an empty one).
    private func sequence(_ node: YAMLNode, at path: ConfigPath, of what: String) throws(ConfigurationError) -> [YAMLNode] {
        if node.isNull { return [] }
        guard let elements = node.sequence else {
            throw failure("expected a sequence of \(what), found \(node.kindDescription)", at: node, path: path)
        }
        return elements
    }

    /// An `http://` or `https://` URL with a host, a port (if any) in 1–65535 and no user
    /// information (a password in the URL would be repeated wherever the URL is named).
    /// Messages quote the URL without user information.
    ///
    /// - Parameter credentialsHint: what to say instead of credentials in the URL.
    private func httpURL(_ node: YAMLNode, at path: ConfigPath, credentialsHint: String) throws(ConfigurationError) -> String {
        let text = try nonEmptyString(node, at: path)
        let quoted = ConfigurationRules.quoted(SecretManagerEndpoint.redacted(text))
        guard let rest = ConfigurationRules.afterHTTPScheme(text) else {
            throw failure("\(quoted) is not an http(s) URL", at: node, path: path, hint: "Write a URL such as https://host/path.")
        }
        let host = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        guard !host.isEmpty, !text.contains(where: { $0 == " " || $0.isNewline }) else {
            throw failure("\(quoted) has no host", at: node, path: path)
        }
        guard let components = URLComponents(string: text), let parsedHost = components.host, !parsedHost.isEmpty else {
            throw failure("\(quoted) is not a URL", at: node, path: path, hint: "Write a URL such as https://host/path.")
        }
        if components.user != nil || components.password != nil {
            throw failure(
                "\(quoted) carries user information", at: node, path: path,
                hint: credentialsHint)
        }
        if let port = components.port, !(1...65535).contains(port) {
            throw failure("\(quoted) has the port \(port), outside 1–65535", at: node, path: path)
        }
        return text
    }

    /// An HTTP header name: RFC 9110 token characters, here letters, digits and `-`.
    static func isValidHeaderName(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.count <= 128
            && text.utf8.allSatisfy {
                ($0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z")) || ($0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z"))
                    || ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9")) || $0 == UInt8(ascii: "-")
            }
    }
}
