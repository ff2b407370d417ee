extension String {
    /// The text ended as a sentence: a full stop added unless it already ends in `.`, `?`
    /// or `!` (so a hint such as "is the endpoint right?" does not become "right?.").
    package var endingSentence: String {
        guard let last = last, last != ".", last != "?", last != "!" else { return self }
        return self + "."
    }
}
