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
    /// The 1-based position of the action's `<<`.
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

/// A piece of a parsed template, in order.
enum TemplateSegment: Sendable, Hashable {
    /// Bytes of the template itself, copied to the output unchanged (byte offsets).
    case text(Range<Int>)
    /// The decoded string of a `<< "..." >>` literal action.
    case literal([UInt8])
    /// Bytes of the template copied unchanged (`textBefore`, possibly empty), then an
    /// action whose value is produced at render time: one segment per action, not two,
    /// as a template may have millions of actions.
    case action(TemplateAction, textBefore: Range<Int>)
}
