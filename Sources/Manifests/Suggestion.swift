/// "Did you mean" suggestions by edit distance, as compilers and argument parsers make them.
enum Suggestion {
    /// The candidate closest to `text`, if it is close enough to be a likely typo.
    static func closest(to text: String, in candidates: some Sequence<String>) -> String? {
        let lowered = text.lowercased()
        var best: (candidate: String, distance: Int)?
        for candidate in candidates {
            if candidate.lowercased() == lowered { return candidate }
            let distance = editDistance(lowered, candidate.lowercased())
            if distance < (best?.distance ?? Int.max) { best = (candidate, distance) }
        }
        guard let best else { return nil }
        let allowed = max(1, min(text.count, best.candidate.count) / 3)
        return best.distance <= allowed ? best.candidate : nil
    }

    /// "did you mean 'x'?" or nil.
    static func hint(for text: String, in candidates: some Sequence<String>) -> String? {
        closest(to: text, in: candidates).map { "did you mean '\($0)'?" }
    }

    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a.unicodeScalars)
        let b = Array(b.unicodeScalars)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)
                current[j] = min(previous[j] + 1, current[j - 1] + 1, substitution)
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
