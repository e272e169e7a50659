/// Countries as rooms' locations write them. Exchange and Places return country *names*
/// ("United Kingdom") where the portal's filters also take the two-letter ISO code, so
/// Roomkeeper compares countries by their code whichever way they are written.
public enum Country {
    /// The key two spellings of one country share: its ISO 3166-1 code (`GB` for `gb`,
    /// `United Kingdom` and `United Kingdom of Great Britain and Northern Ireland`); any
    /// other text, trimmed and in lower case.
    public static func key(_ text: String) -> String {
        let trimmed = text.trimmingSpaces().lowercased()
        return codesByName[trimmed] ?? trimmed
    }

    private static let codesByName: [String: String] = {
        var codes: [String: String] = ["uk": "GB"]
        for entry in CountryTable.entries {
            codes[entry.code.lowercased()] = entry.code
            for name in entry.names { codes[name.lowercased()] = entry.code }
        }
        return codes
    }()
}

extension String {
    fileprivate func trimmingSpaces() -> Substring {
        let start = firstIndex { $0 != " " } ?? endIndex
        let end = lastIndex { $0 != " " }.map { index(after: $0) } ?? start
        return self[start..<end]
    }
}
