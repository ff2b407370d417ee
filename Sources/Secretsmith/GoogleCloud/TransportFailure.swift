import AsyncHTTPClient
import NIOCore
import NIOPosix
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Words for a failed connection or request, for error messages: the system's text of an
/// `errno` instead of NIO's `read(descriptor:pointer:size:): … (errno: 104)`.
enum TransportFailure {
    /// A short phrase for `error`, without a trailing period:
    /// - an `IOError`: the system's description of its `errno` with its symbol, in lower
    ///   case (`connection reset by peer (ECONNRESET)`);
    /// - a `NIOConnectionError`: the distinct phrases of its attempts, joined with `; `;
    /// - a closed connection: `the connection was closed before the answer was complete`;
    /// - anything else: its own description.
    static func describe(_ error: any Error) -> String {
        switch error {
        case let error as IOError:
            return describe(errno: error.errnoCode)
        case let error as NIOConnectionError:
            var phrases: [String] = []
            for attempt in error.connectionErrors {
                let phrase = describe(attempt.error)
                if !phrases.contains(phrase) { phrases.append(phrase) }
            }
            if let dns = error.dnsAAAAError ?? error.dnsAError, phrases.isEmpty {
                return "the host name did not resolve (\(describe(dns)))"
            }
            return phrases.isEmpty ? "no connection could be made" : phrases.joined(separator: "; ")
        case let error as HTTPClientError where error == .remoteConnectionClosed:
            return "the connection was closed before the answer was complete"
        case let error as ChannelError where error == .ioOnClosedChannel || error == .eof:
            return "the connection was closed before the answer was complete"
        default:
            return String(describing: error)
        }
    }

    /// `connection reset by peer (ECONNRESET)`: `strerror`'s text with its first letter in
    /// lower case, and the symbol where it is one of the common network ones.
    static func describe(errno code: Int32) -> String {
        var text = String(cString: strerror(code))
        if let first = text.first, first.isUppercase, !(text.dropFirst().first?.isUppercase ?? false) {
            text = first.lowercased() + text.dropFirst()
        }
        let symbols: [Int32: String] = [
            ECONNRESET: "ECONNRESET", ECONNREFUSED: "ECONNREFUSED", ECONNABORTED: "ECONNABORTED", EPIPE: "EPIPE",
            ETIMEDOUT: "ETIMEDOUT", EHOSTUNREACH: "EHOSTUNREACH", ENETUNREACH: "ENETUNREACH",
            EADDRNOTAVAIL: "EADDRNOTAVAIL",
        ]
        if let symbol = symbols[code] { text += " (\(symbol))" }
        return text
    }
}
