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

    /// A list of principal emails (`access`, `token_creators`).
    func principals(_ node: YAMLNode, what: String) throws(EmulatorSeedError) -> [String] {
        var result: [String] = []
        for item in try sequence(node, what: what) {
            let text = try scalar(item, what: "a principal")
            guard Self.isEmail(text) else {
                throw error(item, "`\(text)` is not a principal's email")
            }
            result.append(text)
        }
        return result
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
