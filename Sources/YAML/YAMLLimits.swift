/// Bounds that keep hostile or mistaken input from costing time or memory.
///
/// Each limit is checked while parsing, before the offending structure is built, so an
/// input that breaks one is refused in time proportional to its size.
public struct YAMLLimits: Sendable, Hashable {
    /// The largest input accepted, in bytes (default 1 MiB = 1,048,576).
    public var maxBytes: Int
    /// The deepest nesting of sequences and mappings accepted; the root collection is
    /// depth 1 (default 64).
    public var maxDepth: Int
    /// The most nodes the document may hold once every alias is expanded: each alias
    /// counts as the full size of its anchored subtree (default 100,000). This refuses
    /// "billion laughs" alias bombs without building them.
    public var maxAliasExpandedNodes: Int

    public init(maxBytes: Int = 1 << 20, maxDepth: Int = 64, maxAliasExpandedNodes: Int = 100_000) {
        self.maxBytes = maxBytes
        self.maxDepth = maxDepth
        self.maxAliasExpandedNodes = maxAliasExpandedNodes
    }

    /// 1 MiB, depth 64, 100,000 nodes.
    public static let `default` = YAMLLimits()
}
