extension String {
    /// The text with control characters shown as `\u{1B}`-style escapes, so that input from a
    /// manifest or the portal cannot move the cursor or recolour a terminal.
    public var terminalSafe: String {
        guard unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else { return self }
        var safe = ""
        for scalar in unicodeScalars {
            if scalar.properties.generalCategory == .control {
                safe += "\\u{\(String(scalar.value, radix: 16, uppercase: true))}"
            } else {
                safe.unicodeScalars.append(scalar)
            }
        }
        return safe
    }
}

extension String {
    /// Text safe anywhere in HTML or XML content and attribute values: markup characters as
    /// entities, control characters (which XML forbids) as visible escapes.
    public var htmlEscaped: String {
        var escaped = ""
        for scalar in terminalSafe.unicodeScalars {
            switch scalar {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&#39;"
            default:
                // Noncharacters and lone surrogates cannot appear in XML; String has no surrogates.
                if scalar.properties.isNoncharacterCodePoint {
                    escaped += "\\u{\(String(scalar.value, radix: 16, uppercase: true))}"
                } else {
                    escaped.unicodeScalars.append(scalar)
                }
            }
        }
        return escaped
    }
}
