import YAML

/// One parsed `<< keyword "argument" | filter ... >>` action of a template.
struct TemplateAction: Sendable, Hashable {
    /// Where an action's value comes from.
    enum Source: Sendable, Hashable {
        /// `secret "REF"`: the payload of a secret reference, as the caller resolves it.
        case secret(reference: String)
        /// `env "NAME"`: the value of an environment variable, as UTF-8 bytes.
        case environment(name: String)
    }

    /// The value's source.
    var source: Source
    /// The filters, applied left to right.
    var filters: [TemplateFilter]
    /// The 1-based position of the `<<` of the action's first use (a template keeps one
    /// ``TemplateAction`` per distinct source and filters; the other uses' positions are
    /// worked out when something needs them).
    var mark: Mark

    /// How errors name the value, for example "the value of `billing/db-password`".
    /// It never contains the value itself.
    var subject: String {
        switch source {
        case .secret(let reference): "the value of secret `\(reference)`"
        case .environment(let name): "the value of environment variable `\(name)`"
        }
    }
}

/// A piece of a parsed template, in order: bytes of the template copied unchanged
/// (`textStart..<itemStart`, possibly empty), then what follows them at `itemStart`: an
/// action (by its index among the template's distinct actions), a literal, or nothing
/// (the text at the end of the template).
///
/// Twelve bytes per segment, as a template may have millions of actions: offsets are
/// 32-bit (``Template/parse(_:path:)`` refuses a template of 4 GiB or more).
struct TemplateSegment: Sendable, Hashable {
    /// The offset of the first byte of the text.
    var textStart: UInt32
    /// The offset just past the text: the `<<` of the action or literal that follows.
    var itemStart: UInt32
    /// `>= 0`: the index of the action's ``TemplateAction`` among the distinct actions;
    /// `-1 - i`: the `i`-th literal; ``Self/noItem``: nothing follows the text.
    var item: Int32

    static let noItem = Int32.min

    init(text: Range<Int>, item: Int32) {
        textStart = UInt32(truncatingIfNeeded: text.lowerBound)
        itemStart = UInt32(truncatingIfNeeded: text.upperBound)
        self.item = item
    }

    /// The bytes before the item.
    var text: Range<Int> { Int(textStart)..<Int(itemStart) }

    /// The index of the distinct action that follows the text, if an action does.
    var action: Int? { item >= 0 ? Int(item) : nil }

    /// The index of the literal that follows the text, if a literal does.
    var literal: Int? { item < 0 && item != Self.noItem ? Int(-1 - item) : nil }
}
