import Foundation

/// Whether a JSON text repeats a member name within one object.
///
/// RFC 8259 §4 leaves such objects' meaning open and RFC 7519 §4 lets a JWT consumer either
/// reject such claims or take the lexically last member; parsers differ in which one they
/// take (Foundation's `JSONDecoder` keeps the first, `JSONSerialization` the last), so
/// `serve`'s JWT authenticator and the OAuth token answers' reader refuse them outright
/// rather than act on one reading of a text another reader sees differently.
package enum JSONMemberNames {
    /// `true` when some object in `json` (at any depth) names a member twice; names are
    /// compared after their escapes are decoded (`"a"` and `"\u0061"` are the same name).
    /// Text that is not JSON returns `false`: the JSON decoder refuses it on its own.
    package static func containsDuplicate(_ json: Data) -> Bool {
        let bytes = [UInt8](json)
        var index = 0
        // One set of names per open object; `nil` for an open array.
        var scopes: [Set<String>?] = []
        // Whether the next string in the innermost object is a member name.
        var expectingName = false
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "{"):
                scopes.append([])
                expectingName = true
                index += 1
            case UInt8(ascii: "["):
                scopes.append(nil)
                expectingName = false
                index += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                if !scopes.isEmpty { scopes.removeLast() }
                expectingName = false
                index += 1
            case UInt8(ascii: ","):
                if case .some(.some) = scopes.last { expectingName = true }
                index += 1
            case UInt8(ascii: "\""):
                let start = index
                index += 1
                var escaped = false
                while index < bytes.count {
                    if bytes[index] == UInt8(ascii: "\\") {
                        escaped = true
                        index += 2
                        continue
                    }
                    if bytes[index] == UInt8(ascii: "\"") { break }
                    index += 1
                }
                guard index < bytes.count else { return false }
                index += 1
                if expectingName, case .some(.some(var names)) = scopes.last {
                    let literal = bytes[start..<index]
                    let name: String
                    if escaped {
                        guard let decoded = try? JSONDecoder().decode(String.self, from: Data(literal)) else { return false }
                        name = decoded
                    } else {
                        name = String(decoding: literal.dropFirst().dropLast(), as: UTF8.self)
                    }
                    if !names.insert(name).inserted { return true }
                    scopes[scopes.count - 1] = names
                    expectingName = false
                }
            default:
                index += 1
            }
        }
        return false
    }
}
