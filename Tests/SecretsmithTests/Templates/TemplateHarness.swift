import Foundation
import Secretsmith
import YAML

/// Helpers shared by the template tests: parse and render with in-memory secrets.
enum TemplateHarness {
    /// Thrown by the test `secret` closure for a reference it does not know.
    struct UnknownSecret: Error, Equatable {
        let reference: String
        let mark: Mark
    }

    static let path = "templates/app.tmpl"

    /// The UTF-8 bytes of `text`.
    static func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    /// Parses and renders `template` with the given secret payloads and environment.
    static func render(
        _ template: [UInt8],
        secrets: [String: [UInt8]] = [:],
        environment: [String: String] = [:]
    ) throws -> [UInt8] {
        let parsed = try Template.parse(template, path: path)
        return try parsed.render(
            secret: { reference, mark in
                guard let payload = secrets[reference] else { throw UnknownSecret(reference: reference, mark: mark) }
                return payload
            },
            environment: { environment[$0] })
    }

    /// Parses and renders `template` whose secrets are UTF-8 text.
    static func render(
        _ template: String,
        secrets: [String: String] = [:],
        environment: [String: String] = [:]
    ) throws -> [UInt8] {
        try render(bytes(template), secrets: secrets.mapValues(bytes), environment: environment)
    }

    /// Renders `template` with one secret `s` holding `payload`; `filters` follow it.
    static func filter(_ payload: [UInt8], _ filters: String) throws -> [UInt8] {
        try render(bytes("<< secret \"s\" \(filters) >>"), secrets: ["s": payload])
    }

    /// Renders `template` with one secret `s` holding `payload`; `filters` follow it.
    static func filter(_ payload: String, _ filters: String) throws -> [UInt8] {
        try filter(bytes(payload), filters)
    }

    /// The error parsing `template` throws, or nil.
    static func parseError(_ template: String) -> TemplateError? {
        do {
            _ = try Template.parse(bytes(template), path: path)
            return nil
        } catch {
            return error
        }
    }

    /// The template error rendering `template` throws, or nil.
    static func renderError(
        _ template: [UInt8], secrets: [String: [UInt8]] = [:], environment: [String: String] = [:]
    ) -> TemplateError? {
        do {
            _ = try render(template, secrets: secrets, environment: environment)
            return nil
        } catch let error as TemplateError {
            return error
        } catch {
            return nil
        }
    }

    /// The bytes of `Fixtures/templates/<name>`.
    static func fixture(_ name: String) throws -> [UInt8] {
        guard let resources = Bundle.module.resourceURL else { throw CocoaError(.fileNoSuchFile) }
        let url = resources.appendingPathComponent("Fixtures/templates/\(name)")
        return Array(try Data(contentsOf: url))
    }
}
