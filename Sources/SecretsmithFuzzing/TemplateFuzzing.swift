import Secretsmith
import YAML

/// `template`: bytes through `Template.parse`, then rendering against a fixed value map.
///
/// Properties:
/// - `parse` fails exactly when `Template.problems(in:path:)` finds problems, with the first
///   of them; `parseCollectingProblems` finds the same problems.
/// - Every parse and render error names the template's path and carries a position inside
///   the input; no error contains a secret value of the map.
/// - The input with every `<` removed (no action, no literal) parses, and renders byte for
///   byte as itself.
enum TemplateFuzzing {
    static let path = "/fuzz/app.env.tmpl"
    /// The payloads `secret` actions read, by reference text (a `#pointer` is applied to
    /// the payload of the reference without it). Each holds a marker that must never
    /// appear in an error.
    static let secrets: [String: [UInt8]] = [
        "app/db-password": Array("pw-Qx71-marker".utf8),
        "dev/app/db-password": Array("pw-Qx71-marker".utf8),
        "app/config": Array(#"{"redis":{"url":"redis://Qx72-marker"},"list":[1,"Qx73-marker",null],"b64":"UXg3NC1tYXJrZXI="}"#.utf8),
        "app/multiline": Array("line-Qx75-marker\nsecond\r\nthird\n".utf8),
        "app/binary": [0x00, 0xFF, 0xFE] + Array("Qx76-marker".utf8) + [0x00],
        "app/base64": Array("UXg3Ny1tYXJrZXI=".utf8),
        "app/tls@3": Array("-----BEGIN Qx78-marker-----\nAAAA\n-----END-----\n".utf8),
    ]
    static let markers = ["Qx71-marker", "Qx72-marker", "Qx73-marker", "Qx74-marker", "Qx75-marker", "Qx76-marker",
                          "Qx77-marker", "Qx78-marker"]
    static let environment = ["HOME": "/home/fuzz", "HOSTNAME": "fuzz-host", "EMPTY": ""]

    struct UnknownSecret: Error {}

    static func run(_ bytes: [UInt8]) throws(PropertyViolation) {
        let problems = Template.problems(in: bytes, path: path)
        let lenient = Template.parseCollectingProblems(bytes, path: path)
        guard lenient.problems == problems else {
            throw PropertyViolation("parseCollectingProblems found \(lenient.problems.count) problems, problems(in:) \(problems.count)")
        }
        for problem in problems { try check(problem, in: bytes) }
        let template: Template
        do throws(TemplateError) {
            template = try Template.parse(bytes, path: path)
        } catch {
            guard let first = problems.first, first == error else {
                throw PropertyViolation("parse threw \"\(error.description)\", but problems(in:) found \(problems.count) problems")
            }
            try textOnly(bytes)
            return
        }
        guard problems.isEmpty else {
            throw PropertyViolation("parse succeeded, but problems(in:) found \"\(problems[0].description)\"")
        }
        for (_, mark) in template.secretReferences { try FuzzChecks.checkMark(mark, in: bytes, what: "a secret action") }
        for (_, mark) in template.environmentReferences { try FuzzChecks.checkMark(mark, in: bytes, what: "an env action") }
        do {
            _ = try template.render(secret: secret, environment: { environment[$0] })
        } catch let error as TemplateError {
            try check(error, in: bytes)
        } catch {
            // UnknownSecret, or a pointer error from the map: the caller's errors pass through.
        }
        try textOnly(bytes)
    }

    /// The payload of a reference in the map, with its pointer applied.
    static func secret(_ reference: String, _ mark: Mark) throws -> [UInt8] {
        if let payload = secrets[reference] { return payload }
        let parsed = try SecretReference.parse(reference)
        var base = parsed
        base.pointer = nil
        guard let payload = secrets[base.description] else { throw UnknownSecret() }
        return try parsed.pointer.map { try $0.evaluate(in: payload) } ?? payload
    }

    static func check(_ error: TemplateError, in bytes: [UInt8]) throws(PropertyViolation) {
        guard error.path == path else { throw PropertyViolation("the error \"\(error.description)\" names another path") }
        try FuzzChecks.checkMark(error.mark, in: bytes, what: "the error \"\(error.description)\"")
        try FuzzChecks.checkNoSecret(error.description, secrets: markers, what: "the error")
    }

    /// Without any `<`, a template is all text: it parses and renders as itself.
    static func textOnly(_ bytes: [UInt8]) throws(PropertyViolation) {
        let text = bytes.filter { $0 != UInt8(ascii: "<") }
        let rendered: [UInt8]
        do {
            rendered = try Template.parse(text, path: path).render(
                secret: { _, _ in throw UnknownSecret() }, environment: { _ in nil })
        } catch {
            throw PropertyViolation("a template without `<` failed: \(error)")
        }
        guard rendered == text else {
            throw PropertyViolation("a template without actions rendered \(rendered.count) bytes, not its own \(text.count)")
        }
    }
}
