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
