/// Builds a `YAMLNode` tree from a stream of parse events: resolves aliases, applies merge
/// keys, refuses duplicate keys, and enforces the depth and expanded-size limits as it goes.
struct TreeBuilder {
    private struct Frame {
        var isMapping: Bool
        var mark: Mark
        var tag: String?
        var anchor: String?
        /// Sequence elements, or mapping keys and values alternating.
        var items: [YAMLNode] = []
        /// Nodes in this subtree with aliases expanded, this node included.
        var size = 1
    }

    private struct Anchored {
        var node: YAMLNode
        var size: Int
    }

    let file: String
    let limits: YAMLLimits
    private var stack: [Frame] = []
    private var anchors: [String: Anchored] = [:]
    private var totalNodes = 0
    /// The document's root node, once it is complete.
    private(set) var root: YAMLNode?

    init(file: String, limits: YAMLLimits) {
        self.file = file
        self.limits = limits
    }

    mutating func scalar(_ scalar: YAMLScalar, mark: Mark, textMark: Mark? = nil, tag: String?, anchor: String?) throws(YAMLError) {
        try count(1, at: mark)
        add(YAMLNode(content: .scalar(scalar), mark: mark, tag: tag, textMark: textMark), size: 1, anchor: anchor)
    }

    mutating func alias(_ name: String, mark: Mark) throws(YAMLError) {
        guard let anchored = anchors[name] else {
            throw YAMLError(
                file: file, mark: mark,
                message: "the alias *\(name) refers to no anchor &\(name) defined before it (an alias cannot refer to a node that contains it)"
            )
        }
        try count(anchored.size, at: mark)
        add(anchored.node, size: anchored.size, anchor: nil)
    }

    mutating func startCollection(isMapping: Bool, mark: Mark, tag: String?, anchor: String?) throws(YAMLError) {
        guard stack.count < limits.maxDepth else {
            throw YAMLError(
                file: file, mark: mark,
                message: "the document nests sequences and mappings deeper than the limit of \(limits.maxDepth) levels"
            )
        }
        try count(1, at: mark)
        stack.append(Frame(isMapping: isMapping, mark: mark, tag: tag, anchor: anchor))
    }

    mutating func endCollection() throws(YAMLError) {
        guard let frame = stack.popLast() else { return }
        let content: YAMLNode.Content
        if frame.isMapping {
            content = .mapping(try pairs(of: frame.items))
        } else {
            content = .sequence(frame.items)
        }
        add(YAMLNode(content: content, mark: frame.mark, tag: frame.tag), size: frame.size, anchor: frame.anchor)
    }

    private mutating func count(_ nodes: Int, at mark: Mark) throws(YAMLError) {
        totalNodes += nodes
        if totalNodes > limits.maxAliasExpandedNodes {
            throw YAMLError(
                file: file, mark: mark,
                message: "the document holds more than \(limits.maxAliasExpandedNodes) nodes once its aliases are expanded; refusing it (an alias expansion bomb?)"
            )
        }
    }

    private mutating func add(_ node: YAMLNode, size: Int, anchor: String?) {
        if let anchor { anchors[anchor] = Anchored(node: node, size: size) }
        if stack.isEmpty {
            root = node
        } else {
            stack[stack.count - 1].items.append(node)
            stack[stack.count - 1].size += size
        }
    }

    /// Pairs up a mapping's keys and values, refusing duplicate keys and applying a merge
    /// key: the merged mappings' entries are inserted where `<<` stood, explicit keys win,
    /// and among several merged mappings the earlier one wins (YAML merge key type 1.1).
    private func pairs(of items: [YAMLNode]) throws(YAMLError) -> [YAMLPair] {
        var pairs: [YAMLPair] = []
        pairs.reserveCapacity(items.count / 2)
        var explicitKeys: [String: Mark] = [:]
        var merge: (sources: [YAMLNode], index: Int, mark: Mark)?
        var index = 0
        while index + 1 < items.count {
            let key = items[index]
            let value = items[index + 1]
            index += 2
            if Self.isMergeKey(key) {
                if let merge {
                    throw YAMLError(
                        file: file, mark: key.mark,
                        message: "duplicate merge key \"<<\" (the first is at \(merge.mark)); use one << with a sequence of mappings"
                    )
                }
                merge = (try mergeSources(value), pairs.count, key.mark)
                continue
            }
            if let name = key.scalarValue {
                if let first = explicitKeys[name] {
                    throw YAMLError(
                        file: file, mark: key.mark,
                        message: "duplicate key \"\(name)\" in a mapping (first defined at \(first))"
                    )
                }
                explicitKeys[name] = key.mark
            }
            pairs.append(YAMLPair(key: key, value: value))
        }
        guard let merge else { return pairs }
        var merged: [YAMLPair] = []
        var mergedKeys: Set<String> = []
        for source in merge.sources {
            for pair in source.mappingPairs ?? [] {
                if let name = pair.key.scalarValue {
                    if explicitKeys[name] != nil || mergedKeys.contains(name) { continue }
                    mergedKeys.insert(name)
                }
                merged.append(pair)
            }
        }
        pairs.insert(contentsOf: merged, at: merge.index)
        return pairs
    }

    private func mergeSources(_ value: YAMLNode) throws(YAMLError) -> [YAMLNode] {
        switch value.content {
        case .mapping:
            return [value]
        case .sequence(let elements):
            for element in elements where element.mappingPairs == nil {
                throw YAMLError(
                    file: file, mark: element.mark,
                    message: "a merge key (<<) takes a mapping or a sequence of mappings, but this element is \(element.kindDescription)"
                )
            }
            return elements
        case .scalar:
            throw YAMLError(
                file: file, mark: value.mark,
                message: "a merge key (<<) takes a mapping or a sequence of mappings (such as *base or [*a, *b]), but found \(value.kindDescription)"
            )
        }
    }

    private static func isMergeKey(_ key: YAMLNode) -> Bool {
        guard let scalar = key.scalar, scalar.value == "<<" else { return false }
        if key.tag == "tag:yaml.org,2002:merge" { return true }
        return key.tag == nil && scalar.style == .plain
    }
}
