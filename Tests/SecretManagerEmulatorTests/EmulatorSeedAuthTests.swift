import Foundation
import SecretManagerEmulator
import SecretsmithTestSupport
import Testing

/// The seed file's authentication sections: accounts, users, metadata, access lists.
@Suite struct EmulatorSeedAuthTests {
    static let account = AuthHarness.ci

    private func parse(_ text: String, file: String = "seed.yaml") throws(EmulatorSeedError) -> EmulatorSeed {
        try EmulatorSeed.parse(Array(text.utf8), file: file)
    }

    static func indented(_ pem: String, by spaces: Int) -> String {
        pem.split(separator: "\n").map { String(repeating: " ", count: spaces) + $0 }.joined(separator: "\n")
    }

    @Test func parsesEverySection() throws {
        let seed = try parse("""
            service_accounts:
              \(Self.account.email):
                private_key_id: "\(Self.account.privateKeyID)"
                public_key: |
            \(Self.indented(Self.account.publicKeyPEM, by: 6))
                token_creators: [ hop@acme.iam.gserviceaccount.com ]
              deployer@acme.iam.gserviceaccount.com: {}
            authorized_users:
              dev@example.com: { client_id: c1, client_secret: s1, refresh_token: "1//r-SENTINEL" }
            metadata: { service_account: runner@acme.iam.gserviceaccount.com, project_id: acme }
            projects:
              acme:
                access: [ \(Self.account.email) ]
                secrets:
                  db: { access: [ dev@example.com ], versions: [ "x" ] }
            """)
        #expect(seed.serviceAccounts.count == 2)
        #expect(seed.serviceAccounts[0].email == Self.account.email)
        #expect(seed.serviceAccounts[0].privateKeyID == Self.account.privateKeyID)
        #expect(seed.serviceAccounts[0].publicKeyPEM?.contains("BEGIN PUBLIC KEY") == true)
        #expect(seed.serviceAccounts[0].tokenCreators == ["hop@acme.iam.gserviceaccount.com"])
        #expect(seed.serviceAccounts[1].publicKeyPEM == nil)
        #expect(seed.authorizedUsers == [.init(email: "dev@example.com", clientID: "c1", clientSecret: "s1", refreshToken: "1//r-SENTINEL")])
        #expect(seed.metadata == .init(serviceAccount: "runner@acme.iam.gserviceaccount.com", projectID: "acme"))
        #expect(seed.projects[0].access == [Self.account.email])
        #expect(seed.projects[0].secrets[0].access == ["dev@example.com"])
    }

    @Test func publicKeyFileIsReadRelativeToTheSeed() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("seed-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try Data(Self.account.publicKeyPEM.utf8).write(to: directory.appendingPathComponent("ci.pub.pem"))
        let seedPath = directory.appendingPathComponent("seed.yaml").path
        try Data("service_accounts:\n  \(Self.account.email): { public_key_file: ci.pub.pem }\n".utf8)
            .write(to: URL(fileURLWithPath: seedPath))
        let seed = try EmulatorSeed.load(path: seedPath)
        #expect(seed.serviceAccounts.first?.publicKeyPEM == Self.account.publicKeyPEM)
    }

    @Test(arguments: [
        ("service_accounts:\n  not-an-email: {}\n", 2, 3, "not a service account email"),
        ("service_accounts:\n  a@b.c: { public_key: \"-----BEGIN PUBLIC KEY-----\" }\n", 2, 24, "not an RSA public key"),
        ("service_accounts:\n  a@b.c: { public_key_file: /nonexistent.pem }\n", 2, 29, "cannot be read"),
        ("service_accounts:\n  a@b.c: { privat_key_id: x }\n", 2, 12, "unknown key `privat_key_id`"),
        ("authorized_users:\n  u@x.com: { client_id: c, client_secret: s }\n", 2, 12, "needs `refresh_token`"),
        ("metadata: { project_id: \"Not A Project\" }\n", 1, 25, "not a valid project id"),
        ("projects:\n  p1:\n    access: [ nobody ]\n", 3, 15, "is not a principal: an email"),
        ("projects:\n  p1:\n    secrets:\n      s: { acess: [] }\n", 4, 12, "unknown key `acess`"),
    ])
    func invalidAuthSectionsAreReportedWithPositions(document: String, line: Int, column: Int, words: String) throws {
        let error = try #require(throws: EmulatorSeedError.self) { _ = try parse(document) }
        #expect(error.mark?.line == line, "\(error)")
        #expect(error.mark?.column == column, "\(error)")
        #expect(error.description.contains(words), "\(error)")
    }
}
