import Secretsmith

/// `reference`: the input's first line is a reference (and, on its own, a JSON pointer); the
/// rest is the JSON payload the pointer is evaluated in.
///
/// Properties:
/// - A reference that parses prints (`description`) as text that parses to the same
///   reference.
/// - A pointer that parses prints as exactly its text (`~0` and `~1` are the only escapes,
///   and a `/` inside a token cannot be written otherwise).
/// - Any list of tokens (the first line split at tabs) escapes and unescapes to itself.
/// - Evaluation ends with a value or a `JSONPointerError` naming the pointer; the whole
///   document (the empty pointer) of a valid payload is its compact text, which evaluates
///   to itself.
enum ReferenceFuzzing {
    static func run(_ bytes: [UInt8]) throws(PropertyViolation) {
        let newline = bytes.firstIndex(of: UInt8(ascii: "\n")) ?? bytes.endIndex
        let line = String(decoding: bytes[..<newline], as: UTF8.self)
        let payload = newline < bytes.endIndex ? Array(bytes[(newline + 1)...]) : []

        var pointers: [JSONPointer] = []
        if let reference = try? SecretReference.parse(line) {
            let again: SecretReference
            do throws(ReferenceError) {
                again = try SecretReference.parse(reference.description)
            } catch {
                throw PropertyViolation("the reference printed as \(reference.description) does not parse: \(error.description)")
            }
            guard again == reference else {
                throw PropertyViolation("the reference \(line) printed as \(reference.description) parses differently")
            }
            if let pointer = reference.pointer { pointers.append(pointer) }
        }
        if let pointer = try? JSONPointer(parsing: line) {
            guard pointer.description == line else {
                throw PropertyViolation("the pointer \(line) prints as \(pointer.description)")
            }
            pointers.append(pointer)
        }
        let tokens = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
        let built = JSONPointer(tokens: tokens)
        let parsed: JSONPointer
        do throws(ReferenceError) {
            parsed = try JSONPointer(parsing: built.description)
        } catch {
            throw PropertyViolation("the tokens \(tokens.map(\.debugDescription)) escape to a pointer that does not parse")
        }
        guard parsed.tokens == tokens else {
            throw PropertyViolation(
                "the tokens \(tokens.map(\.debugDescription)) escape to \(built.description.debugDescription), "
                    + "which unescapes to \(parsed.tokens.map(\.debugDescription))")
        }

        for pointer in pointers {
            var failure: JSONPointerError?
            do throws(JSONPointerError) {
                _ = try pointer.select(in: payload)
            } catch {
                failure = error
            }
            if let failure, failure.pointer != pointer.description {
                throw PropertyViolation("the error names the pointer \(failure.pointer), not \(pointer.description)")
            }
        }
        let whole = JSONPointer(tokens: [])
        if let document = try? whole.select(in: payload), !document.isString {
            guard let again = try? whole.select(in: document.bytes), again == document else {
                throw PropertyViolation("the compact text of a valid payload is not a fixed point")
            }
        }
    }
}
