import Foundation
import YAML
import _CryptoExtras

/// The authentication sections of a seed file: `service_accounts`, `authorized_users`,
/// `metadata`, and the `access` lists of projects and secrets (documented on ``EmulatorSeed``).
extension SeedParser {
    func serviceAccounts(_ node: YAMLNode) throws(EmulatorSeedError) -> [EmulatorSeed.ServiceAccount] {
        var accounts: [EmulatorSeed.ServiceAccount] = []
        for (email, emailNode, value) in try mapping(node, what: "`service_accounts`") {
            guard Self.isEmail(email) else {
                throw error(emailNode, "`\(email)` is not a service account email, like ci@project.iam.gserviceaccount.com")
            }
            var account = EmulatorSeed.ServiceAccount(email: email)
            var keyNode: YAMLNode?
            for (key, _, field) in try mapping(
                value, keys: ["private_key_id", "public_key", "public_key_file", "token_creators"],
                what: "service account `\(email)`")
            {
                switch key {
                case "private_key_id":
                    account.privateKeyID = try scalar(field, what: "`private_key_id`")
                case "public_key", "public_key_file":
                    guard keyNode == nil else {
                        throw error(field, "a service account takes either `public_key` or `public_key_file`, not both")
                    }
                    keyNode = field
                    let text = try scalar(field, what: "`\(key)`")
                    account.publicKeyPEM = key == "public_key" ? text : try readKeyFile(text, node: field)
                default:
                    account.tokenCreators = try principals(field, what: "`token_creators`")
                }
            }
            if let pem = account.publicKeyPEM, let keyNode {
                guard (try? _RSA.Signing.PublicKey(pemRepresentation: pem)) != nil else {
                    throw error(keyNode, "the public key of `\(email)` is not an RSA public key of at least 2048 bits in PEM form")
                }
            }
            accounts.append(account)
        }
        return accounts
    }

    func authorizedUsers(_ node: YAMLNode) throws(EmulatorSeedError) -> [EmulatorSeed.AuthorizedUser] {
        var users: [EmulatorSeed.AuthorizedUser] = []
        var refreshTokens = Set<String>()
        for (email, emailNode, value) in try mapping(node, what: "`authorized_users`") {
            guard Self.isEmail(email) else { throw error(emailNode, "`\(email)` is not an email") }
            var fields: [String: String] = [:]
            for (key, _, field) in try mapping(
                value, keys: ["client_id", "client_secret", "refresh_token"], what: "authorized user `\(email)`")
            {
                fields[key] = try scalar(field, what: "`\(key)`")
            }
            for key in ["client_id", "client_secret", "refresh_token"] where (fields[key] ?? "").isEmpty {
                throw error(value, "authorized user `\(email)` needs `\(key)`")
            }
            guard refreshTokens.insert(fields["refresh_token"]!).inserted else {
                throw error(value, "authorized user `\(email)` has the refresh token of another user")
            }
            users.append(
                EmulatorSeed.AuthorizedUser(
                    email: email, clientID: fields["client_id"]!, clientSecret: fields["client_secret"]!,
                    refreshToken: fields["refresh_token"]!))
        }
        return users
    }

    func metadataServer(_ node: YAMLNode) throws(EmulatorSeedError) -> EmulatorSeed.MetadataServer {
        var metadata = EmulatorSeed.MetadataServer()
        for (key, _, field) in try mapping(node, keys: ["service_account", "project_id"], what: "`metadata`") {
            let text = try scalar(field, what: "`\(key)`")
            if key == "service_account" {
                guard Self.isEmail(text) else { throw error(field, "`\(text)` is not a service account email") }
                metadata.serviceAccount = text
            } else {
                guard ResourcePath.isProject(text) else { throw error(field, "`\(text)` is not a valid project id") }
                metadata.projectID = text
            }
        }
        return metadata
    }

    /// A list of principals (`access`, `token_creators`): emails, or federated identities
    /// (`principal://iam.googleapis.com/POOL/subject/S`, `principalSet://iam.googleapis.com/POOL/*`).
    func principals(_ node: YAMLNode, what: String) throws(EmulatorSeedError) -> [String] {
        var result: [String] = []
        for item in try sequence(node, what: what) {
            let text = try scalar(item, what: "a principal")
            guard Self.isEmail(text) || Self.isFederatedPrincipal(text) else {
                throw error(
                    item,
                    "`\(text)` is not a principal: an email, principal://iam.googleapis.com/POOL/subject/SUBJECT "
                        + "or principalSet://iam.googleapis.com/POOL/*")
            }
            result.append(text)
        }
        return result
    }

    /// `principal://iam.googleapis.com/…/subject/…` or `principalSet://iam.googleapis.com/…`.
    static func isFederatedPrincipal(_ text: String) -> Bool {
        (text.hasPrefix("principal://iam.googleapis.com/") && text.contains("/subject/"))
            || (text.hasPrefix("principalSet://iam.googleapis.com/") && text.count > "principalSet://iam.googleapis.com/".count)
    }

    func workloadIdentityProviders(_ node: YAMLNode) throws(EmulatorSeedError) -> [EmulatorSeed.WorkloadIdentityProvider] {
        var providers: [EmulatorSeed.WorkloadIdentityProvider] = []
        for (audience, audienceNode, value) in try mapping(node, what: "`workload_identity_providers`") {
            guard EmulatorSeed.WorkloadIdentityProvider.pool(ofAudience: audience) != nil else {
                throw error(
                    audienceNode,
                    "`\(audience)` is not a provider name like //iam.googleapis.com/projects/NUMBER/locations/global/"
                        + "workloadIdentityPools/POOL/providers/PROVIDER")
            }
            var provider = EmulatorSeed.WorkloadIdentityProvider(audience: audience, subjectTokens: [])
            for (key, _, field) in try mapping(
                value, keys: ["subject_token_type", "subject_tokens"], what: "provider `\(audience)`")
            {
                if key == "subject_token_type" {
                    provider.subjectTokenType = try scalar(field, what: "`subject_token_type`")
                    continue
                }
                for item in try sequence(field, what: "`subject_tokens`") {
                    var fields: [String: String] = [:]
                    for (name, _, entry) in try mapping(item, keys: ["token", "pattern", "subject"], what: "a subject token") {
                        fields[name] = try scalar(entry, what: "`\(name)`")
                    }
                    guard let subject = fields["subject"], !subject.isEmpty else {
                        throw error(item, "a subject token needs `subject`: the identity it authenticates")
                    }
                    switch (fields["token"], fields["pattern"]) {
                    case (let token?, nil) where !token.isEmpty:
                        provider.subjectTokens.append(.init(token: token, subject: subject))
                    case (nil, let pattern?) where pattern.contains("*") || pattern.contains("?"):
                        provider.subjectTokens.append(.init(token: pattern, isPattern: true, subject: subject))
                    case (nil, _?):
                        throw error(item, "`pattern` needs a `*` or `?`; use `token` for one exact token")
                    default:
                        throw error(item, "a subject token needs either `token` or `pattern`, not both or neither")
                    }
                }
            }
            guard !provider.subjectTokens.isEmpty else {
                throw error(value, "provider `\(audience)` needs `subject_tokens`")
            }
            providers.append(provider)
        }
        return providers
    }

    /// Reads a PEM file named relative to the seed file's directory.
    private func readKeyFile(_ path: String, node: YAMLNode) throws(EmulatorSeedError) -> String {
        let directory = (file as NSString).deletingLastPathComponent
        let resolved = path.hasPrefix("/") || directory.isEmpty ? path : (directory as NSString).appendingPathComponent(path)
        guard let data = FileManager.default.contents(atPath: resolved), let text = String(data: data, encoding: .utf8) else {
            throw error(node, "the public key file `\(resolved)` cannot be read")
        }
        return text
    }

    /// One `@` with text on both sides, no spaces or slashes.
    static func isEmail(_ text: String) -> Bool {
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        return parts.count == 2 && !parts[0].isEmpty && !parts[1].isEmpty
            && !text.contains(where: { $0 == " " || $0 == "/" || $0.isNewline })
    }
}
