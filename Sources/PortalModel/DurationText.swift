/// Lengths of time as people write them in flags and configuration: `90s`, `5m`, `1h`, or a
/// bare number of seconds.
public enum DurationText {
    /// The seconds `text` means, or nil when it is not a positive length of time.
    public static func seconds(_ text: String) -> Double? {
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600]
        let (number, unit) = text.last.flatMap { units[$0] }.map { (text.dropLast(), $0) } ?? (Substring(text), 1)
        guard let value = Double(number), value > 0, value.isFinite else { return nil }
        return value * unit
    }

    /// `seconds` as it would be written: `5m`, `1h`, `90s`.
    public static func text(_ seconds: Double) -> String {
        for (unit, length) in [("h", 3600.0), ("m", 60.0)] where seconds >= length && seconds.truncatingRemainder(dividingBy: length) == 0 {
            return "\(Int(seconds / length))\(unit)"
        }
        return seconds == seconds.rounded() ? "\(Int(seconds))s" : "\(seconds)s"
    }
}
