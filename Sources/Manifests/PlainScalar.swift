/// What YAML makes of an unquoted scalar, under both YAML 1.1 (libyaml, PyYAML, most tools) and
/// YAML 1.2 rules, so that a manifest means the same thing to every reader.
///
/// Roomkeeper never guesses: where a string is expected, text that some reader would take for a
/// boolean, a number or null is an error that asks for quotes; where a boolean is expected, only
/// `true` and `false` are accepted.
enum PlainScalar {
    enum Resolution: Equatable {
        case null
        case bool(Bool)
        /// `yes`, `no`, `on`, `off`, `y`, `n`: a boolean in YAML 1.1, a string in YAML 1.2.
        case yaml11Bool(Bool)
        /// An integer; `value` is nil when it is not a plain decimal Int (hex, octal, leading
        /// zeros, underscores, sexagesimal, overflow), whose meaning differs between YAML versions.
        case integer(value: Int?)
        case float
        case string
    }

    static func resolve(_ text: String) -> Resolution {
        var text = text
        return text.withUTF8 { resolve(bytes: $0) }
    }

    static func resolve(bytes: UnsafeBufferPointer<UInt8>) -> Resolution {
        guard let first = bytes.first else { return .null }
        // Keywords (null, true, yes, off...) start with one of these letters and are at most five
        // letters long; text that starts otherwise is a string unless it starts like a number.
        switch first {
        case UInt8(ascii: "t"), UInt8(ascii: "T"), UInt8(ascii: "f"), UInt8(ascii: "F"), UInt8(ascii: "y"), UInt8(ascii: "Y"),
            UInt8(ascii: "n"), UInt8(ascii: "N"), UInt8(ascii: "o"), UInt8(ascii: "O"):
            return bytes.count <= 5 ? keyword(bytes) : .string
        case UInt8(ascii: "~"):
            return bytes.count == 1 ? .null : .string
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."):
            return number(bytes)
        default:
            return .string
        }
    }

    private static func keyword(_ bytes: UnsafeBufferPointer<UInt8>) -> Resolution {
        switch String(decoding: bytes, as: UTF8.self) {
        case "null", "Null", "NULL": .null
        case "true", "True", "TRUE": .bool(true)
        case "false", "False", "FALSE": .bool(false)
        case "y", "Y", "yes", "Yes", "YES", "on", "On", "ON": .yaml11Bool(true)
        case "n", "N", "no", "No", "NO", "off", "Off", "OFF": .yaml11Bool(false)
        default: .string
        }
    }

    private static func number(_ bytes: UnsafeBufferPointer<UInt8>) -> Resolution {
        var body = bytes[...]
        if let sign = body.first, sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") {
            body = body.dropFirst()
        }
        guard !body.isEmpty else { return .string }
        let lowered = String(decoding: body, as: UTF8.self).lowercased()
        if lowered == ".inf" || lowered == ".nan" { return .float }
        if lowered.hasPrefix("0x") || lowered.hasPrefix("0o") || lowered.hasPrefix("0b") {
            let digits = lowered.dropFirst(2)
            let allowed: Set<Character> =
                lowered.hasPrefix("0x") ? Set("0123456789abcdef_") : lowered.hasPrefix("0o") ? Set("01234567_") : Set("01_")
            return !digits.isEmpty && digits.allSatisfy(allowed.contains) ? .integer(value: nil) : .string
        }
        var digitCount = 0
        var sawDot = false
        var sawExponent = false
        var sawColon = false
        var sawUnderscore = false
        var previous: UInt8 = 0
        for byte in body {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digitCount += 1
            case UInt8(ascii: "_"): sawUnderscore = true
            case UInt8(ascii: "."):
                if sawDot || sawExponent || sawColon { return .string }
                sawDot = true
            case UInt8(ascii: "e"), UInt8(ascii: "E"):
                if sawExponent || digitCount == 0 || sawColon { return .string }
                sawExponent = true
            case UInt8(ascii: "+"), UInt8(ascii: "-"):
                if previous != UInt8(ascii: "e") && previous != UInt8(ascii: "E") { return .string }
            case UInt8(ascii: ":"):
                if sawDot || sawExponent { return .string }
                sawColon = true
            default:
                return .string
            }
            previous = byte
        }
        guard digitCount > 0, previous != UInt8(ascii: "e"), previous != UInt8(ascii: "E") else { return .string }
        if sawDot || sawExponent { return .float }
        if sawColon {
            // Sexagesimal (YAML 1.1): 1:30 is 90.
            return body.first != UInt8(ascii: "0") ? .integer(value: nil) : .string
        }
        let hasLeadingZero = body.count > 1 && body.first == UInt8(ascii: "0")
        if sawUnderscore || hasLeadingZero { return .integer(value: nil) }
        return .integer(value: Int(String(decoding: bytes, as: UTF8.self)))
    }
}
