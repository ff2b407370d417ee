/// Words for the steps of a search that found nothing (Application Default Credentials,
/// project id discovery), so the error reads as sentences.
enum CredentialSearch {
    /// Each step as a sentence: its first letter capitalized, a full stop added, joined by
    /// spaces (`["X is unset", "there is no file at P"]` gives
    /// `"X is unset. There is no file at P."`).
    static func sentences(_ steps: [String]) -> String {
        steps.map { step in
            guard let first = step.first else { return step }
            let sentence = first.uppercased() + step.dropFirst()
            return sentence.endingSentence
        }.joined(separator: " ")
    }
}
