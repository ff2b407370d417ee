import Testing
@testable import Secretsmith

@Suite("SecretReference")
struct SecretReferenceTests {
    @Test("all forms parse", arguments: [
        ("billing/db-password", nil, "billing", "db-password", nil, nil),
        ("prod/billing/db-password", "prod", "billing", "db-password", nil, nil),
        ("billing/db@7", nil, "billing", "db", "7", nil),
        ("prod/billing/tls@latest", "prod", "billing", "tls", "latest", nil),
        ("billing/config#/redis/url", nil, "billing", "config", nil, "/redis/url"),
        ("no/on.x/s_1@current-v2#/a~1b/c~0d/0", "no", "on.x", "s_1", "current-v2", "/a~1b/c~0d/0"),
        ("p/s#/email@host", nil, "p", "s", nil, "/email@host"),
    ] as [(String, String?, String, String, String?, String?)])
    func forms(text: String, environment: String?, project: String, secret: String, version: String?, pointer: String?) throws {
        let reference = try SecretReference.parse(text)
        #expect(reference.environment == environment)
        #expect(reference.project == project)
        #expect(reference.secret == secret)
        #expect(reference.version == version)
        #expect(reference.pointer?.description == pointer)
        #expect(reference.description == text)
        #expect(try SecretReference.parse(reference.description) == reference)
    }

    @Test("pointer tokens are unescaped")
    func pointerTokens() throws {
        let reference = try SecretReference.parse("p/s#/a~1b/c~0d/0")
        #expect(reference.pointer?.tokens == ["a/b", "c~d", "0"])
    }

    @Test("malformed references are refused with a precise error naming the text", arguments: [
        ("", "it is empty"),
        ("billing", "it has no '/'"),
        ("a/b/c/d", "it has 4 '/'-separated names, not 2 or 3"),
        ("/b", "the project name is empty"),
        ("a/", "the secret name is empty"),
        ("a//c", "the project name is empty"),
        ("a b/c", "the project name \"a b\" may contain only letters, digits, '_', '-' and '.'"),
        ("e!/p/s", "the environment name \"e!\" may contain only"),
        ("p/s@", "nothing follows '@'"),
        ("p/s@0", "version \"0\" is not a positive number, latest, or an alias"),
        ("p/s@07", "version \"07\""),
        ("p/s@-1", "version \"-1\""),
        ("p/s@1.5", "version \"1.5\""),
        ("p/s@v@2", "version \"v@2\""),
        ("p/s#", "nothing follows '#'"),
        ("p/s#db", "does not start with '/'"),
        ("p/s#/a~2", "has a '~' not followed by 0 or 1"),
        ("p/s#/a~", "has a '~' not followed by 0 or 1"),
    ])
    func errors(text: String, expected: String) {
        #expect {
            try SecretReference.parse(text)
        } throws: { error in
            guard let error = error as? ReferenceError else { return false }
            return error.reference == text && error.message.contains(expected)
                && error.description.hasPrefix("Invalid secret reference \"\(text)\": ")
                && error.kind == .configuration
        }
    }

    @Test("version syntax")
    func versions() {
        for good in ["1", "42", "latest", "prod", "v2", "blue-green_1"] {
            #expect(SecretReference.isValidVersion(good), "\(good)")
        }
        for bad in ["", "0", "01", "-1", "1a", "_x", "a.b", "a b", "new", "NEW", "New"] {
            #expect(!SecretReference.isValidVersion(bad), "\(bad)")
        }
        // Secret Manager's aliases have at most 63 characters.
        #expect(SecretReference.isValidVersion("a" + String(repeating: "b", count: 62)))
        #expect(!SecretReference.isValidVersion("a" + String(repeating: "b", count: 63)))
        #expect(SecretReference.isValidVersion("newer"))
        #expect(SecretReference.isValidSecretID(String(repeating: "a", count: 255)))
        #expect(!SecretReference.isValidSecretID(String(repeating: "a", count: 256)))
        #expect(!SecretReference.isValidSecretID("a.b"))
    }
}
