import Testing
import YAML
@testable import Secretsmith

/// One cause, printed once; every place it affects, one line each.
@Suite struct ProblemGroupingTests {
    static func site(_ line: Int, key: String) -> ReferenceSite {
        ReferenceSite(file: "secretsmith.yaml", mark: Mark(line: line, column: 11), output: "env", key: key)
    }

    @Test func aSharedCauseIsPrintedOnceAndEachReferenceOnItsOwnLine() {
        let cause = AuthenticationError(
            source: "service_account_json", message: String(repeating: "no credentials could be found; ", count: 15))
        let problems = (1...25).map { n in
            RenderProblem(site: Self.site(n, key: "K\(n)"), reference: "app/s\(n)", error: cause)
        }
        let text = RenderFailure(problems: problems).description
        #expect(text.components(separatedBy: "no credentials could be found").count - 1 == 15, "once: \(text)")
        #expect(text.contains("error: \(cause.description) (25 places)"))
        for n in 1...25 {
            #expect(text.contains("secretsmith.yaml:\(n):11: error: output env, key K\(n), reference \"app/s\(n)\": the error above"))
        }
    }

    @Test func secretManagerErrorsThatDifferOnlyByResourceOrWaitAreOneCause() {
        func open(_ secret: String, wait: String) -> SecretManagerError {
            SecretManagerError(
                code: .circuitOpen, resource: "projects/acme-app-dev/secrets/\(secret)/versions/latest",
                message: "not called: the circuit breaker for project acme-app-dev in environment dev is open after 5 consecutive failures; it lets a trial call through in \(wait)")
        }
        let problems = [
            RenderProblem(site: Self.site(1, key: "A"), reference: "app/a", error: open("a", wait: "29.9s")),
            RenderProblem(site: Self.site(2, key: "B"), reference: "app/b", error: open("b", wait: "29.8s")),
            RenderProblem(
                site: Self.site(3, key: "C"), reference: "app/c",
                error: SecretManagerError(code: .notFound, resource: "projects/acme-app-dev/secrets/c/versions/latest", httpStatus: 404, message: "Secret not found")),
        ]
        let checked = problems.map { CheckProblem($0) }
        #expect(CheckProblem.causes(checked) == [[0, 1], [2]])
        let lines = CheckProblem.lines(checked)
        #expect(lines.count == 4, "\(lines)")
        #expect(lines[0].hasPrefix("error: CIRCUIT_OPEN: not called: the circuit breaker for project acme-app-dev"))
        #expect(lines[1] == "secretsmith.yaml:1:11: error: output env, key A, reference \"app/a\": projects/acme-app-dev/secrets/a/versions/latest: the error above")
        #expect(lines[3].hasPrefix("secretsmith.yaml:3:11: error: output env, key C, reference \"app/c\": projects/acme-app-dev/secrets/c/versions/latest: NOT_FOUND"))
    }

    @Test func newlinesAndNULInReferencesAndMessagesAreEscaped() {
        let problem = CheckProblem(
            severity: .error, kind: .configuration, file: "t.tmpl", line: 1, column: 1, output: "t",
            reference: "app/s#/a\nb\u{0}", message: "bad \"app/s#/a\nb\u{0}\"\u{7F}")
        #expect(problem.text == #"t.tmpl:1:1: error: output t, reference "app/s#/a\nb\0": bad "app/s#/a\nb\0"\u{7F}"#)
        #expect(!problem.text.contains("\n"))
    }

    @Test func aDisabledLatestSaysToPinAnEnabledVersion() {
        let latest = VersionStateError(
            resource: "projects/p/secrets/s/versions/latest", version: 3, state: .disabled).description
        #expect(latest.contains("resolves to version 3, which is DISABLED"))
        #expect(latest.contains("Pin an ENABLED version with @VERSION in the reference or version: in the configuration"))
        #expect(latest.contains("enable version 3"))
        let pinned = VersionStateError(resource: "projects/p/secrets/s/versions/2", version: 2, state: .destroyed).description
        #expect(pinned.hasSuffix("only ENABLED versions can be read. Pin an ENABLED version with @VERSION in the reference or version: in the configuration."))
    }

    @Test func aReferenceRepeatedInATemplateIsListedOnceWithItsCount() {
        let cause = AuthenticationError(source: "metadata", message: "no answer")
        let problems = (1...1_000).map { n in
            RenderProblem(
                site: ReferenceSite(file: "t.tmpl", mark: Mark(line: n, column: 3), output: "t", key: nil),
                reference: n % 2 == 0 ? "app/a" : "app/b", error: cause)
        }
        let lines = CheckProblem.lines(problems.map { CheckProblem($0) })
        #expect(lines == [
            "error: \(cause.description) (1000 places)",
            "t.tmpl:1:3: error: output t, reference \"app/b\" (and 499 more places): the error above",
            "t.tmpl:2:3: error: output t, reference \"app/a\" (and 499 more places): the error above",
        ])
    }
}
