import ArgumentParser
import Foundation
import SecretsmithServer

/// `secretsmith hash-token NAME`: the static tokens file's line for a token read from
/// standard input, so the token itself never appears on a command line or in the file.
struct HashTokenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hash-token",
        abstract: "Print the static tokens file's line (NAME sha256:HEX) for a token read from standard input.",
        discussion: """
            Reads one line from standard input (a trailing newline is removed) and prints \
            `NAME sha256:<64 lowercase hex digits>`, the SHA-256 of the token's bytes. Append the line to \
            the file named by serve.authentication.static_tokens_file; callers present the token as \
            `Authorization: Bearer TOKEN` and are the principal `token:NAME`. \
            Exit 64 when the token is empty or spans several lines, or NAME is invalid.
            """)

    @Argument(help: "The token's name: letters, digits, '.', '_' or '-' (the principal is token:NAME).")
    var name: String

    func run() throws {
        guard StaticTokenFile.isValidName(name) else {
            throw UsageError(
                "hash-token: the token name must be 1 to 128 letters, digits, '.', '_' or '-'")
        }
        var bytes = [UInt8](FileHandle.standardInput.readDataToEndOfFile())
        if bytes.last == UInt8(ascii: "\n") { bytes.removeLast() }
        if bytes.last == UInt8(ascii: "\r") { bytes.removeLast() }
        guard !bytes.isEmpty else {
            throw UsageError("hash-token: standard input holds no token; pipe the token in, e.g. `printf %s \"$TOKEN\" | secretsmith hash-token \(name)`")
        }
        guard !bytes.contains(UInt8(ascii: "\n")) else {
            throw UsageError("hash-token: standard input holds more than one line; a token is one line")
        }
        guard let token = String(validating: bytes, as: UTF8.self) else {
            throw UsageError("hash-token: the token on standard input is not UTF-8 text")
        }
        try StandardOutput.write(StaticTokenFile.line(name: name, token: token) + "\n")
    }
}

extension HashTokenCommand: ReportedCommand {}
