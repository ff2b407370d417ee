import Foundation
import SecretsmithTestSupport
import Testing

/// Templates full of `<<` that is not ours render exactly.
@Suite struct TemplateEndToEndTests {
    @Test func heredocsStreamsMergeKeysAndIndentedPEMRenderExactly() throws {
        let workspace = try Workspace()
        let sentinel = CommandRunner.sentinel
        let pem = "-----BEGIN PRIVATE KEY-----\nMIIB\(sentinel)\nAAAA\n-----END PRIVATE KEY-----\n"
        var seed = SeedBuilder()
        seed.add(project: "acme-app-dev", secret: "tls-key", value: pem)
        seed.add(project: "acme-app-dev", secret: "password", value: "pw-\(sentinel)\n")
        try workspace.write("seed.yaml", seed.yaml)
        try workspace.write(
            "secretsmith.yaml",
            """
            \(ConfigurationText.devApp)
                      tls-key: {}
                      password: {}
            outputs:
              - name: everything
                format: template
                template: everything.tmpl
                path: out/everything.txt

            """)
        let template = """
            #!/bin/bash
            cat <<EOF
            heredoc $HOME
            EOF
            cat << EOF
            EOF
            cat <<-'EOF'
            \tEOF
            cat << "EOF"
            EOF
            std::cout << "x" << std::endl;
            base: &base
              a: 1
            derived:
              <<: *base
            key: |
            << secret "app/tls-key" | indent 4 >>
            password=<< secret "app/password" >>
            literal=<< "<<" >>
            """
        try workspace.write("everything.tmpl", template)
        let emulator = try EmulatorProcess(seed: workspace.path("seed.yaml"), in: workspace)
        let result = try CommandRunner.run(
            ["render", "--env", "dev"], in: workspace.url, environment: ["SECRET_MANAGER_EMULATOR_HOST": emulator.host])
        #expect(result.status == 0, "\(result.stderr)")
        let indented = pem.split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.isEmpty ? "" : "    \($0)" }.joined(separator: "\n")
        let expected = template
            .replacingOccurrences(of: "<< secret \"app/tls-key\" | indent 4 >>", with: indented)
            .replacingOccurrences(of: "<< secret \"app/password\" >>", with: "pw-\(sentinel)\n")
            .replacingOccurrences(of: "<< \"<<\" >>", with: "<<")
        #expect(String(decoding: try workspace.read("out/everything.txt"), as: UTF8.self) == expected)
    }

    @Test func aTemplateTypoIsAConfigurationErrorWithPositionAndHint() throws {
        let workspace = try Workspace()
        try workspace.write("seed.yaml", "projects: {}\n")
        try workspace.write(
            "secretsmith.yaml",
            """
            version: 1
            environments:
              dev:
                projects:
                  app: { project_id: acme-app-dev, secrets: { a: {} } }
            outputs:
              - { name: t, format: template, template: t.tmpl, path: out/t }

            """)
        try workspace.write("t.tmpl", "ok\n  << secrte \"app/a\" >>\n")
        let result = try CommandRunner.run(["render", "--env", "dev"], in: workspace.url)
        #expect(result.status == 65, "\(result.stderr)")
        #expect(result.stderr.contains("t.tmpl:2:3"), "\(result.stderr)")
        #expect(result.stderr.contains("secret"), "did-you-mean hint: \(result.stderr)")
        #expect(!workspace.exists("out/t"))
    }
}
