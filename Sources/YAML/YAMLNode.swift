/// One node of a parsed YAML document, with its position and tag.
///
/// Aliases are already resolved (an alias node is a copy of its anchored node, with the
/// anchored node's marks), and merge keys (`<<`) already applied. Copies share storage,
/// so an alias costs no memory however large its anchored subtree.
public struct YAMLNode: Sendable {
    /// What a node holds.
    public enum Content: Sendable {
        /// A scalar (text).
        case scalar(YAMLScalar)
        /// A sequence, in document order.
        case sequence([YAMLNode])
        /// A mapping, in document order. Keys are unique (duplicates are refused by the parser).
        case mapping([YAMLPair])
    }

    /// The node's content.
    public var content: Content
    /// Where the node starts (1-based line and column); for a node with an anchor or a
    /// tag, where the first of those starts (libyaml's start mark).
    public var mark: Mark
    /// The node's resolved tag (`tag:yaml.org,2002:str` for `!!str`, `!custom` as written),
    /// or `nil` when the document gives none.
    public var tag: String?
    /// Where a scalar's text starts when the document spells the value verbatim on one line
    /// (a plain scalar that does not fold lines), so that a position inside the value is
    /// this mark's column plus the offset in Unicode scalars; `nil` for other nodes, whose
    /// text differs from the value (quotes, escapes, folding).
    public var textMark: Mark?

    public init(content: Content, mark: Mark, tag: String? = nil, textMark: Mark? = nil) {
        self.content = content
        self.mark = mark
        self.tag = tag
        self.textMark = textMark
    }

    /// The scalar, if this node is one.
    public var scalar: YAMLScalar? {
        if case .scalar(let scalar) = content { return scalar }
        return nil
    }

    /// The scalar's text, if this node is a scalar.
    public var scalarValue: String? { scalar?.value }

    /// The elements, if this node is a sequence.
    public var sequence: [YAMLNode]? {
        if case .sequence(let nodes) = content { return nodes }
        return nil
    }

    /// The entries, if this node is a mapping.
    public var mappingPairs: [YAMLPair]? {
        if case .mapping(let pairs) = content { return pairs }
        return nil
    }

    /// Whether this node is an untagged null scalar (empty, `~`, `null`, `Null`, `NULL`).
    public var isNull: Bool {
        guard tag == nil || tag == "tag:yaml.org,2002:null", let scalar else { return false }
        return scalar.isNullSpelling
    }

    /// The value for the scalar key `key`, if this node is a mapping that has one.
    public subscript(key: String) -> YAMLNode? {
        mappingPairs?.first(where: { $0.key.scalarValue == key })?.value
    }

    /// "a scalar", "a sequence" or "a mapping" (for error messages); "null" for a null scalar.
    public var kindDescription: String {
        switch content {
        case .scalar: isNull ? "null" : "a scalar"
        case .sequence: "a sequence"
        case .mapping: "a mapping"
        }
    }
}
