import Foundation

/// A credentials file's top-level JSON object, read field by field with errors that name
/// the field and the file but never a value.
struct CredentialsJSONObject {
    /// The parsed object.
    let fields: [String: Any]
    /// The credential source, for errors (e.g. `service account key file /etc/sa.json`).
    let source: String
    /// The key path of this object inside the file, with a trailing dot (e.g.
    /// `credential_source.`), empty for the top level: errors name `credential_source.file`.
    let keyPath: String

    /// - Throws: ``AuthenticationError`` (`.configuration`) when `bytes` is not a JSON object.
    init(_ bytes: [UInt8], source: String) throws {
        self.source = source
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(bytes))
        } catch {
            let position = Self.position(of: error, in: bytes).map { ", at \($0)" } ?? ""
            throw AuthenticationError(
                source: source,
                message: "the credentials are not valid JSON (a syntax error\(position); is this a Google credentials file?)",
                kind: .configuration)
        }
        guard let fields = object as? [String: Any] else {
            throw AuthenticationError(
                source: source, message: "the credentials are not a JSON object (is this a Google credentials file?)",
                kind: .configuration)
        }
        self.fields = fields
        self.keyPath = ""
    }

    /// `line L, column C` of a JSON parser error: Foundation's parser names the offset
    /// (`around character N`, counted from 0), which is turned into a 1-based line and
    /// column of `bytes`. Only the numbers are taken, never text of the file.
    static func position(of error: any Error, in bytes: [UInt8]) -> String? {
        let text = "\(error) \((error as NSError).userInfo)"
        func number(after word: String) -> Int? {
            guard let range = text.range(of: word) else { return nil }
            let digits = text[range.upperBound...].drop { $0 == " " }.prefix { $0.isNumber }
            return Int(digits)
        }
        if let line = number(after: "line "), let column = number(after: "column ") {
            return "line \(line), column \(column)"
        }
        guard let offset = number(after: "character "), offset <= bytes.count else { return nil }
        let before = bytes[..<offset]
        let line = before.count { $0 == UInt8(ascii: "\n") } + 1
        let lineStart = before.lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 } ?? 0
        // Columns count characters: continuation bytes of UTF-8 do not start one.
        let column = bytes[lineStart..<offset].count { $0 & 0xC0 != 0x80 } + 1
        return "line \(line), column \(column)"
    }

    init(fields: [String: Any], source: String, keyPath: String = "") {
        self.fields = fields
        self.source = source
        self.keyPath = keyPath
    }

    /// A string field that must be present and non-empty.
    ///
    /// - Throws: ``AuthenticationError`` (`.configuration`) naming the field.
    func required(_ name: String) throws -> String {
        guard let value = try optional(name), !value.isEmpty else {
            throw AuthenticationError(
                source: source, message: "the credentials have no \"\(keyPath)\(name)\" field", kind: .configuration)
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
                source: source, message: "the \"\(keyPath)\(name)\" field of the credentials is not a string", kind: .configuration)
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
                source: source, message: "the \"\(keyPath)\(name)\" field of the credentials is not a list of strings",
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
                source: source, message: "the credentials have no \"\(keyPath)\(name)\" object", kind: .configuration)
        }
        return CredentialsJSONObject(fields: nested, source: nestedSource)
    }

    /// A nested object that may be absent, read with the same source and errors naming
    /// its key path (`credential_source.format.type`).
    ///
    /// - Throws: ``AuthenticationError`` (`.configuration`) when it is present but not an object.
    func optionalObject(_ name: String) throws -> CredentialsJSONObject? {
        guard let raw = fields[name], !(raw is NSNull) else { return nil }
        guard let nested = raw as? [String: Any] else {
            throw AuthenticationError(
                source: source, message: "the \"\(keyPath)\(name)\" field of the credentials is not an object",
                kind: .configuration)
        }
        return CredentialsJSONObject(fields: nested, source: source, keyPath: "\(keyPath)\(name).")
    }

    /// A whole number that may be absent.
    ///
    /// - Throws: ``AuthenticationError`` (`.configuration`) when it is not a whole number.
    func integer(_ name: String) throws -> Int? {
        guard let raw = fields[name], !(raw is NSNull) else { return nil }
        guard let number = raw as? NSNumber, !(raw is Bool), let value = Int(exactly: number.doubleValue) else {
            throw AuthenticationError(
                source: source, message: "the \"\(keyPath)\(name)\" field of the credentials is not a whole number",
                kind: .configuration)
        }
        return value
    }

    /// A map of strings to strings that may be absent (HTTP headers).
    ///
    /// - Throws: ``AuthenticationError`` (`.configuration`) when it is not such a map.
    func stringMap(_ name: String) throws -> [String: String] {
        guard let raw = fields[name], !(raw is NSNull) else { return [:] }
        guard let map = raw as? [String: Any], let strings = map as? [String: String] else {
            throw AuthenticationError(
                source: source,
                message: "the \"\(keyPath)\(name)\" field of the credentials is not an object of strings",
                kind: .configuration)
        }
        return strings
    }

    /// Whether the field is present (and not null).
    func has(_ name: String) -> Bool {
        guard let raw = fields[name] else { return false }
        return !(raw is NSNull)
    }

    /// The key path of a field of this object, for messages: `credential_source.file`.
    func path(_ name: String) -> String {
        keyPath + name
    }
}
