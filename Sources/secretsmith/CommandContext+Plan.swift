import Secretsmith

extension CommandContext {
    /// Plans the selected outputs; with `frozen`, replaces every reference's version with
    /// the one `secretsmith.lock` pins, before any Secret Manager call.
    ///
    /// - Throws: ``RenderFailure`` for planning problems or references the lock does not
    ///   pin; ``LockFileError`` when `frozen` and the lock file is missing or malformed
    ///   (all exit 65 unless a usage problem makes it 64).
    func renderPlan(only: [String], frozen: Bool) throws -> RenderPlan {
        let plan = try RenderPlan.make(configuration: configuration, environment: activeEnvironment, only: only)
        guard frozen else { return plan }
        let path = LockFile.path(for: configuration)
        guard let lock = try LockFile.load(path: path) else {
            throw LockFileError(
                path: path, message: "--frozen reads the versions pinned in this lock file, and there is none",
                hint: "Run `secretsmith lock --env ENV` and commit \(LockFile.fileName), or run without --frozen.")
        }
        return try lock.freeze(plan, lockPath: path)
    }
}
