import Foundation
import Secretsmith

/// Temporary directories, child processes and the tricky values shared by the output tests.
enum OutputTestSupport {
    /// A value that must never appear in an error description.
    static let sentinel = "SENTINEL-7f3a-do-not-print"

    /// Values that stress every quoting rule, named for test messages. None contains NUL.
    static let trickyValues: [(name: String, value: [UInt8])] = {
        var values: [(String, String)] = [
            ("DOLLAR", "$"),
            ("BRACED", "${X}"),
            ("BRACED_DEFAULT", "${X:-fallback}"),
            ("BRACED_OPEN", "${"),
            ("BRACED_COLON", "${a:b}"),
            ("EMPTY_NAME_TOKEN", "${:-$}"),
            ("PLAIN_VAR", "$X"),
            ("DOUBLE_DOLLAR", "$$"),
            ("HASH", "#"),
            ("SPACE_HASH", " #x"),
            ("VALUE_SPACE_HASH", "value #comment"),
            ("SINGLE_QUOTE", "'"),
            ("DOUBLE_QUOTE", "\""),
            ("BACKSLASH", "\\"),
            ("TRAILING_BACKSLASH", "abc\\"),
            ("WINDOWS_PATH", "C:\\dir\\"),
            ("DOUBLE_BACKSLASH", "a\\\\b"),
            ("ONLY_BACKSLASHES", "\\\\\\"),
            ("BACKSLASH_QUOTE", "a\\'b"),
            ("BACKSLASH_DQUOTE", "a\\\"b"),
            ("BACKSLASH_N", "a\\nb"),
            ("NEWLINES", "line1\nline2\nline3"),
            ("TRAILING_NEWLINE", "value\n"),
            ("ONLY_NEWLINE", "\n"),
            ("CRLF", "a\r\nb\r\n"),
            ("LONE_CR", "a\rb"),
            ("TRAILING_CR", "x\r"),
            ("BOM", "\u{FEFF}bom"),
            ("NON_ASCII", "é 日本 🔑"),
            ("EMPTY", ""),
            ("SPACES", "  padded  "),
            ("TAB", "\ta\tb\t"),
            ("COMMAND_SUBSTITUTION", "$(touch PWNED_DOLLAR)"),
            ("BACKTICKS", "`touch PWNED_BACKTICK`"),
            ("EQUALS", "a=b==c="),
            ("QUOTE_WRAPPED", "'quoted'"),
            ("DQUOTE_WRAPPED", "\"dq\""),
            ("APOSTROPHE_END", "it's'"),
            ("CONTROL", "\u{1}\u{7}\u{1B}[0m\u{7F}"),
            ("UNICODE_SPACES", "\u{A0}nbsp\u{2028}\u{85}\u{3000}"),
            ("DOLLAR_CRLF", "$a\r\n"),
            ("DOLLAR_TRAILING_BACKSLASH", "$HOME\\"),
            ("NEWLINE_TRAILING_BACKSLASH", "a\nb\\"),
            ("MIXED", "p@ss'w\"o$rd\\ ${HOME} #c\r\n`x`"),
            ("PEM", "-----BEGIN KEY-----\nMIIB+/=\n-----END KEY-----\n"),
            ("EXPORT_WORD", "export X=1"),
        ]
        values.append(("LONG", String(repeating: "0123456789abcdef", count: 2048)))
        return values.map { ($0.0, Array($0.1.utf8)) }
    }()

    /// Files the command-substitution values would create if anything executed them.
    static let pwnedFiles = ["PWNED_DOLLAR", "PWNED_BACKTICK"]

    /// The python interpreter: `$SECRETSMITH_TEST_PYTHON`, else `python3` on the PATH.
    static var python: String {
        ProcessInfo.processInfo.environment["SECRETSMITH_TEST_PYTHON"] ?? "python3"
    }

    /// The path of an executable found on the PATH, or nil.
    static func which(_ name: String) -> String? {
        if name.contains("/") { return FileManager.default.isExecutableFile(atPath: name) ? name : nil }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// Creates a fresh directory under the system temporary directory.
    static func makeTemporaryDirectory() throws -> String {
        let path = NSTemporaryDirectory() + "secretsmith-outputs-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        return path
    }

    /// Removes a directory tree, ignoring errors.
    static func removeTree(_ path: String) {
        try? FileManager.default.removeItem(atPath: path)
    }

    /// Writes bytes to a file (plain, for test fixtures).
    static func writeFile(_ path: String, _ bytes: [UInt8]) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    /// Reads a file's bytes.
    static func readFile(_ path: String) throws -> [UInt8] {
        Array(try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    /// The names in a directory, sorted, hidden ones included.
    static func listDirectory(_ path: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: path).sorted()
    }

    struct ProcessResult {
        var status: Int32
        var stdout: [UInt8]
        var stderr: String
    }

    /// Runs a program (looked up on the PATH) to completion.
    ///
    /// - Parameters:
    ///   - program: A name or path.
    ///   - arguments: Its arguments.
    ///   - environment: The whole environment of the child; nil inherits this process's.
    ///   - directory: The child's working directory.
    static func run(_ program: String, _ arguments: [String], environment: [String: String]? = nil, directory: String? = nil) throws -> ProcessResult {
        let scratch = try makeTemporaryDirectory()
        defer { removeTree(scratch) }
        let outPath = scratch + "/stdout", errPath = scratch + "/stderr"
        _ = FileManager.default.createFile(atPath: outPath, contents: nil)
        _ = FileManager.default.createFile(atPath: errPath, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [program] + arguments
        if let environment { process.environment = environment }
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        let out = try FileHandle(forWritingTo: URL(fileURLWithPath: outPath))
        let err = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        try out.close()
        try err.close()
        return ProcessResult(
            status: process.terminationStatus,
            stdout: try readFile(outPath),
            stderr: String(decoding: try readFile(errPath), as: UTF8.self)
        )
    }

    /// Lowercase hexadecimal of bytes, for readable comparisons.
    static func hex(_ bytes: [UInt8]) -> String {
        bytes.map { String(format: "%02x", $0) }.joined()
    }

    /// Decodes `hex(...)` text.
    static func unhex(_ text: Substring) -> [UInt8] {
        var bytes: [UInt8] = []
        var index = text.startIndex
        while index < text.endIndex {
            let next = text.index(index, offsetBy: 2)
            bytes.append(UInt8(text[index..<next], radix: 16)!)
            index = next
        }
        return bytes
    }

    /// Parses lines `KEY hexvalue` (hexvalue may be empty) printed by the consumer scripts.
    static func parseHexLines(_ output: [UInt8]) -> [(key: String, value: [UInt8])] {
        String(decoding: output, as: UTF8.self).split(separator: "\n").map { line in
            let parts = line.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: false)
            return (String(parts[0]), parts.count > 1 ? unhex(parts[1]) : [])
        }
    }

    /// Whether `path` is `<dir>/.<name>.secretsmith-<16 hex digits>.tmp`.
    static func isTemporaryName(_ path: String, for name: String) -> Bool {
        let last = path.split(separator: "/").last.map(String.init) ?? ""
        let prefix = ".\(name).secretsmith-", suffix = ".tmp"
        guard last.hasPrefix(prefix), last.hasSuffix(suffix) else { return false }
        let random = last.dropFirst(prefix.count).dropLast(suffix.count)
        return random.count == 16 && random.allSatisfy(\.isHexDigit)
    }
}
