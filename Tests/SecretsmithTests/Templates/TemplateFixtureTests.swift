import Secretsmith
import Testing
import YAML

/// Realistic templates from Fixtures/templates, rendered and compared byte for byte
/// with their `.expected` files.
@Suite("Template fixtures")
struct TemplateFixtureTests {
    static let secrets: [String: String] = [
        "prod/edge/upstream-token": "tok-SENTINEL-123\n",
        "prod/edge/query-key": "a b&c=d/é~",
        "prod/edge/tls@3": "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUSENTINELcertificate\nc2VjcmV0c21pdGgtdGVzdC1jZXJ0\n-----END CERTIFICATE-----\n",
        "prod/edge/tls-key": "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCSENTINEL\n\nc2VjcmV0c21pdGgtdGVzdC1rZXk=\n-----END PRIVATE KEY-----\n",
        "prod/billing/db-password": "pa'ss$word \"SENTINEL\" $(touch X)",
        "prod/client/api-key": "k3y\"SENTINEL\\x\tz\n",
    ]
    static let environment = ["SERVER_NAME": "edge.example.com", "HOSTNAME": "web-1"]

    @Test("renders each fixture exactly",
          arguments: ["nginx.conf", "nginx-tls.yaml", "entrypoint.sh", "client.cpp"])
    func fixture(name: String) throws {
        let template = try TemplateHarness.fixture("\(name).tmpl")
        let expected = try TemplateHarness.fixture("\(name).expected")
        let rendered = try TemplateHarness.render(
            template, secrets: Self.secrets.mapValues { Array($0.utf8) }, environment: Self.environment)
        #expect(rendered == expected, "\(String(decoding: rendered, as: UTF8.self))")
    }

    @Test("lists the fixtures' references with their positions")
    func fixtureReferences() throws {
        let nginx = try Template.parse(try TemplateHarness.fixture("nginx.conf.tmpl"), path: "nginx.conf.tmpl")
        #expect(nginx.secretReferences.map(\.reference) == ["prod/edge/upstream-token", "prod/edge/query-key"])
        #expect(nginx.secretReferences.map(\.mark) == [Mark(line: 15, column: 52), Mark(line: 16, column: 60)])
        #expect(nginx.environmentReferences.map(\.mark) == [Mark(line: 10, column: 21)])
        let script = try Template.parse(try TemplateHarness.fixture("entrypoint.sh.tmpl"), path: "entrypoint.sh.tmpl")
        #expect(script.secretReferences.map(\.reference) == ["prod/billing/db-password"])
        #expect(script.environmentReferences.map(\.mark) == [Mark(line: 12, column: 13)])
    }
}
