extension String {
    /// The text with control characters shown as `\u{1B}`-style escapes, so that input from a
    /// manifest or the portal cannot move the cursor or recolour a terminal.
    public var terminalSafe: String {
        guard unicodeScalars.contains(where: \.isControl) else { return self }
        var safe = ""
        for scalar in unicodeScalars {
            if scalar.isControl {
                safe += scalar.visibleEscape
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
        // Most text is printable ASCII with nothing to escape: returned as it is.
        if utf8.allSatisfy({ (0x20...0x7E).contains($0) && $0 != 0x26 && $0 != 0x3C && $0 != 0x3E && $0 != 0x22 && $0 != 0x27 }) {
            return self
        }
        var escaped = ""
        escaped.reserveCapacity(utf8.count + 32)
        let scalars = unicodeScalars
        // Runs of characters that need nothing are copied whole.
        var run = scalars.startIndex
        var index = run
        while index != scalars.endIndex {
            let scalar = scalars[index]
            let replacement: String? =
                switch scalar {
                case "&": "&amp;"
                case "<": "&lt;"
                case ">": "&gt;"
                case "\"": "&quot;"
                case "'": "&#39;"
                // Control characters and noncharacters cannot appear in XML; String has no surrogates.
                default: scalar.isControl || scalar.isNoncharacter ? scalar.visibleEscape : nil
                }
            if let replacement {
                escaped.unicodeScalars.append(contentsOf: scalars[run..<index])
                escaped += replacement
                run = scalars.index(after: index)
            }
            index = scalars.index(after: index)
        }
        escaped.unicodeScalars.append(contentsOf: scalars[run..<index])
        return escaped
    }
}

extension Unicode.Scalar {
    /// A control character (general category Cc: U+0000-U+001F and U+007F-U+009F).
    var isControl: Bool { value < 0x20 || (0x7F...0x9F).contains(value) }

    /// A noncharacter: U+FDD0-U+FDEF, and the last two code points of every plane.
    var isNoncharacter: Bool { (0xFDD0...0xFDEF).contains(value) || value & 0xFFFE == 0xFFFE }

    /// `\u{HEX}`: how a character that must not be shown as itself is written.
    var visibleEscape: String { "\\u{\(String(value, radix: 16, uppercase: true))}" }
}
