#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// The temporary files that are staged and not yet renamed or removed, so that a
/// termination signal can remove them (``AtomicFileWriter/removeStagedTemporaryFiles()``).
///
/// Creating, renaming and removing a staged file happen while the registry's lock is held,
/// so a cleanup running on another thread sees each temporary file either before it exists
/// or registered, never created and unregistered. After ``removeAll(closing:)`` with
/// `closing: true`, no new temporary file is created.
///
/// Signal safety: the lock and Swift's runtime (allocation, reference counting) are not
/// async-signal-safe, so the cleanup must not run inside a raw `signal`/`sigaction`
/// handler. Run it on an ordinary thread that learns about the signal, e.g. a
/// `DispatchSourceSignal` handler (with the signal set to `SIG_IGN` first) or a thread
/// blocked in `sigwait`, then exit with `_exit(128 + signal)`. Before `execve` the CLI must
/// reset those signals to `SIG_DFL`, because an ignored disposition is inherited by the
/// new program. A `SIGKILL` leaves the files behind; their names
/// (`.<name>.secretsmith-<random>.tmp`) tell what they are.
package final class StagedFileRegistry: Sendable {
    private struct State: ~Copyable {
        var paths: Set<String> = []
        var closed = false
    }

    private let state = Mutex(State())

    /// The registry used by ``AtomicFileWriter``'s default initializer and by
    /// ``AtomicFileWriter/removeStagedTemporaryFiles()``.
    package static let shared = StagedFileRegistry()

    /// Creates an empty, open registry (tests use their own).
    package init() {}

    /// The temporary files currently staged, in no particular order.
    package var paths: [String] {
        state.withLock { Array($0.paths) }
    }

    /// Removes every staged temporary file (`unlink`, errors ignored).
    ///
    /// - Parameter closing: When true (the default, for a termination signal), no temporary
    ///   file is created afterwards: staging fails with `.shuttingDown`.
    /// - Returns: How many files were removed.
    @discardableResult
    package func removeAll(closing: Bool = true) -> Int {
        state.withLock { state in
            var removed = 0
            // Longest first: the files of a staged directory before the directory.
            for path in state.paths.sorted(by: { $0.utf8.count > $1.utf8.count })
            where unlink(path) == 0 || FileSystemCalls.removeFlatDirectory(path) {
                removed += 1
            }
            state.paths.removeAll()
            if closing { state.closed = true }
            return removed
        }
    }

    /// Runs `create` (which creates the file at `path` and returns a descriptor or -1 with
    /// `errno` set) under the lock and registers `path` when it succeeds.
    ///
    /// - Returns: The descriptor, or nil when the registry is closed.
    func create(_ path: String, _ create: () -> Int32) -> (descriptor: Int32, errno: Int32)? {
        state.withLock { state in
            guard !state.closed else { return nil }
            let descriptor = create()
            let code = errno
            if descriptor >= 0 { state.paths.insert(path) }
            return (descriptor, code)
        }
    }

    /// Renames a staged file over its destination under the lock, and forgets it.
    ///
    /// - Returns: 0, or the `errno` of a failed `rename` (the file stays registered).
    func rename(_ path: String, to destination: String) -> Int32 {
        state.withLock { state in
            guard state.paths.contains(path) else { return ENOENT }
            if systemRename(path, destination) != 0 { return errno }
            state.paths.remove(path)
            return 0
        }
    }

    /// Forgets a path and every path below it.
    private static func forget(_ path: String, in paths: inout Set<String>) {
        paths.remove(path)
        let prefix = path + "/"
        paths = paths.filter { !$0.hasPrefix(prefix) }
    }

    /// Creates a hard link (`link`) under the lock and registers it.
    ///
    /// - Returns: 0 or the `errno` of `link`; nil when the registry is closed.
    func createLink(from existing: String, to path: String) -> Int32? {
        state.withLock { state in
            guard !state.closed else { return nil }
            guard link(existing, path) == 0 else { return errno }
            state.paths.insert(path)
            return 0
        }
    }

    /// Creates a staged directory (`mkdir`) under the lock and registers it; a cleanup
    /// removes it with the files in it.
    ///
    /// - Returns: 0 or the `errno` of `mkdir`; nil when the registry is closed.
    func createDirectory(_ path: String, mode: mode_t) -> Int32? {
        state.withLock { state in
            guard !state.closed else { return nil }
            guard mkdir(path, mode) == 0 else { return errno }
            state.paths.insert(path)
            return 0
        }
    }

    /// One step of a commit.
    enum CommitStep {
        /// Rename a staged file over its destination, and forget it.
        case rename(from: String, to: String)
        /// Create a symbolic link to `target` at `temporary`, rename it over `destination`,
        /// then forget `forget` (a staged directory the link now points to), if given.
        case link(target: String, temporary: String, destination: String, forget: String?)
        /// Flush a directory (`fsync`), then remove a directory no link points to any more
        /// with the files in it, if given.
        case syncAndRemove(directory: String, removing: String?)
    }

    /// Carries out commit steps in order, all under one hold of the lock (so
    /// ``removeAll(closing:)`` from a signal's cleanup waits until the last rename is
    /// done). Stops at the first failure.
    ///
    /// - Returns: nil, or the index of the step that failed and its `errno` (what it
    ///   staged stays registered).
    func commitAll(_ steps: [CommitStep]) -> (index: Int, errno: Int32)? {
        state.withLock { state in
            for (index, step) in steps.enumerated() {
                switch step {
                case .rename(let from, let to):
                    guard state.paths.contains(from) else { return (index, ENOENT) }
                    if systemRename(from, to) != 0 { return (index, errno) }
                    state.paths.remove(from)
                case .link(let target, let temporary, let destination, let forget):
                    if let forget, !state.paths.contains(forget) { return (index, ENOENT) }
                    _ = unlink(temporary)
                    if symlink(target, temporary) != 0 { return (index, errno) }
                    if systemRename(temporary, destination) != 0 {
                        let code = errno
                        _ = unlink(temporary)
                        return (index, code)
                    }
                    if let forget { Self.forget(forget, in: &state.paths) }
                case .syncAndRemove(let directory, let removing):
                    let code = FileSystemCalls.syncDirectory(directory)
                    if code != 0 { return (index, code) }
                    if let removing { FileSystemCalls.removeFlatDirectory(removing) }
                }
            }
            return nil
        }
    }

    /// Removes a staged file (`unlink`, errors ignored) under the lock, and forgets it.
    func remove(_ path: String) {
        state.withLock { state in
            if state.paths.contains(path), unlink(path) != 0 {
                FileSystemCalls.removeFlatDirectory(path)
            }
            Self.forget(path, in: &state.paths)
        }
    }
}

/// The C library's `rename(2)`, reachable from inside a type that has its own `rename`.
private func systemRename(_ source: String, _ destination: String) -> Int32 {
    rename(source, destination)
}
