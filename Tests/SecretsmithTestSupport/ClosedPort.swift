import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A loopback TCP port where nothing listens, reserved for as long as the value lives.
///
/// The socket is bound to `127.0.0.1:0` and never listens, so a connection to ``port`` is
/// refused (`ECONNREFUSED`) at once, and no other server started by a test running in
/// parallel can be given the same port (binding an address that is bound fails with
/// `EADDRINUSE`). A port freed by closing its socket is not enough: the kernel hands it
/// to the next listener, whose answer (or reset) a "nothing is listening" test then reads.
package final class ClosedPort: Sendable {
    /// The port number, in host byte order.
    package let port: Int
    private let descriptor: Int32

    /// Binds the socket; throws `POSIXError` when no socket or no loopback port is available.
    package init() throws {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw POSIXError(.EMFILE) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(descriptor, pointer, length) == 0 && getsockname(descriptor, pointer, &length) == 0
            }
        }
        guard bound else {
            close(descriptor)
            throw POSIXError(.EADDRNOTAVAIL)
        }
        self.descriptor = descriptor
        self.port = Int(UInt16(bigEndian: address.sin_port))
    }

    /// `127.0.0.1:PORT`.
    package var host: String { "127.0.0.1:\(port)" }

    deinit { close(descriptor) }
}
