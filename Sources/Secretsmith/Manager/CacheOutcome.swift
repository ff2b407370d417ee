/// How the cache answered one request.
package enum CacheOutcome: String, Sendable, Hashable, CaseIterable {
    /// A fresh entry answered; no upstream call.
    case hit
    /// No usable entry; this request made the upstream call.
    case miss
    /// Another request for the same key was already calling upstream; this one waited for it
    /// (single-flight).
    case joined
    /// The upstream call failed and an expired entry within `max_stale` answered
    /// (stale-if-error).
    case stale
}
