import Foundation

/// A credentials file's top-level JSON object, read field by field with errors that name
/// the field and the file but never a value.
struct CredentialsJSONObject {
    /// The parsed object.
    let fields: [String: Any]
    /// The credential source, for errors (e.g. `service account key file /etc/sa.json`).
    let source: String

    /// - Throws: ``AuthenticationError`` (`.configuration`) when `bytes` is not a JSON object.
    init(_ bytes: [UInt8], source: String) throws {
        self.source = source
        guard let object = try? JSONSerialization.jsonObject(with: Data(bytes)), let fields = object as? [String: Any]
        else {
            throw AuthenticationError(
                source: source, message: "the credentials are not a JSON object (is this a Google credentials file?)",
                kind: .configuration)
        }
        self.fields = fields
    }

    init(fields: [String: Any], source: String) {
        self.fields = fields
        self.source = source
    }

    /// A string field that must be present and non-empty.
    ///
    /// - Throws: ``AuthenticationError`` (`.configuration`) naming the field.
    func required(_ name: String) throws -> String {
        guard let value = try optional(name), !value.isEmpty else {
            throw AuthenticationError(
                source: source, message: "the credentials have no \"\(name)\" field", kind: .configuration)
        }
        return value
    }

    /// A string field that may be absent (an empty string counts as absent).
    ///
    /// - Throws: ``AuthenticationError`` (`.configuration`) when it is not a string.
    func optional(_ name: String) throws -> String? {
        guard let raw = fields[name], !(raw is NSNull) else { return nil }
        guard let value = raw as? String else {
            throw AuthenticationError(
                source: source, message: "the \"\(name)\" field of the credentials is not a string", kind: .configuration)
        }
        return value.isEmpty ? nil : value
    }

    /// A list of strings that may be absent.
    ///
    /// - Throws: ``AuthenticationError`` (`.configuration`) when it is not a list of strings.
    func strings(_ name: String) throws -> [String] {
        guard let raw = fields[name], !(raw is NSNull) else { return [] }
        guard let values = raw as? [String] else {
            throw AuthenticationError(
                source: source, message: "the \"\(name)\" field of the credentials is not a list of strings",
                kind: .configuration)
        }
        return values
    }

    /// A nested object.
    ///
    /// - Throws: ``AuthenticationError`` (`.configuration`) when it is absent or not an object.
    func object(_ name: String, source nestedSource: String) throws -> CredentialsJSONObject {
        guard let nested = fields[name] as? [String: Any] else {
            throw AuthenticationError(
                source: source, message: "the credentials have no \"\(name)\" object", kind: .configuration)
        }
        return CredentialsJSONObject(fields: nested, source: nestedSource)
    }
}
