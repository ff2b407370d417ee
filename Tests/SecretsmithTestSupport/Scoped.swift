/// Runs `body` with `resource`, then `cleanup`, also when `body` throws (the error is
/// rethrown after the cleanup). The one place the `with…` helpers get their guarantee from.
package func withCleanup<Resource, Result>(
    _ resource: Resource, cleanup: (Resource) async -> Void, _ body: (Resource) async throws -> Result
) async throws -> Result {
    let result: Result
    do {
        result = try await body(resource)
    } catch {
        await cleanup(resource)
        throw error
    }
    await cleanup(resource)
    return result
}

/// ``withCleanup(_:cleanup:_:)-async`` for synchronous bodies (tests that run processes).
package func withCleanup<Resource, Result>(
    _ resource: Resource, cleanup: (Resource) -> Void, _ body: (Resource) throws -> Result
) rethrows -> Result {
    defer { cleanup(resource) }
    return try body(resource)
}
