/// Did-you-mean suggestions for misspelt action keywords and filter names.
enum TemplateSuggestion {
    /// The candidate a user most likely meant by `word`, or nil when none is close.
    ///
    /// In order: a known alias (`urlencode` → `urlquery`), a case-insensitive match, then
    /// the nearest candidate by optimal string alignment distance (an adjacent swap costs
    /// one edit) when it is at most 1 edit for words of up to 4 characters and at most 2
    /// for longer ones. Ties go to the earlier candidate.
    ///
    /// - Parameters:
    ///   - word: What the template says.
    ///   - candidates: The valid names, in preference order.
    ///   - aliases: Lowercased foreign names mapped to a candidate.
    static func closest(to word: String, among candidates: [String], aliases: [String: String] = [:]) -> String? {
        let lowered = word.lowercased()
        if let alias = aliases[lowered] { return alias }
        if let match = candidates.first(where: { $0.lowercased() == lowered }) { return match }
        let limit = lowered.unicodeScalars.count <= 4 ? 1 : 2
        var best: (name: String, distance: Int)?
        for candidate in candidates {
            let distance = Self.distance(Array(lowered.unicodeScalars), Array(candidate.unicodeScalars))
            if distance <= limit, distance < (best?.distance ?? Int.max) {
                best = (candidate, distance)
            }
        }
        return best?.name
    }

    /// The optimal string alignment distance: insertions, deletions, substitutions and
    /// swaps of two adjacent elements, each costing one.
    ///
    /// - Returns: The number of edits turning `a` into `b`.
    static func distance<Element: Equatable>(_ a: [Element], _ b: [Element]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        let width = b.count + 1
        var previousPrevious = [Int](repeating: 0, count: width)
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: width)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                var value = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    value = min(value, previousPrevious[j - 2] + 1)
                }
                current[j] = value
            }
            (previousPrevious, previous, current) = (previous, current, previousPrevious)
        }
        return previous[b.count]
    }
}
