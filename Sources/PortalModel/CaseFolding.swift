extension String {
    /// `lowercased()`, faster: addresses and names are mostly lower case and ASCII already, and
    /// tens of thousands of them are lowered.
    public var lowercasedIfNeeded: String { caseMapped(flipping: UInt8(ascii: "A"), lower: true) }

    /// `uppercased()`, faster when there is nothing or only ASCII to raise.
    public var uppercasedIfNeeded: String { caseMapped(flipping: UInt8(ascii: "a"), lower: false) }

    /// The text with every scalar replaced by its case mapping, as the standard library's
    /// `lowercased()` and `uppercased()` do, without building a string per scalar: the 26 ASCII
    /// letters from `first` flip their case bit, and only non-ASCII scalars look up a mapping.
    private func caseMapped(flipping first: UInt8, lower: Bool) -> String {
        var text = self
        return text.withUTF8 { bytes in
            switch ASCIILetters.scan(bytes, from: first) {
            case .none:
                return self
            case .some:
                return String(unsafeUninitializedCapacity: bytes.count) { mapped in
                    for (index, byte) in bytes.enumerated() { mapped[index] = byte &- first < 26 ? byte ^ 0x20 : byte }
                    return bytes.count
                }
            case .notASCII:
                var mapped: [UInt8] = []
                mapped.reserveCapacity(bytes.count + 8)
                for scalar in unicodeScalars {
                    if scalar.isASCII {
                        let byte = UInt8(truncatingIfNeeded: scalar.value)
                        mapped.append(byte &- first < 26 ? byte ^ 0x20 : byte)
                    } else {
                        mapped.append(contentsOf: (lower ? scalar.properties.lowercaseMapping : scalar.properties.uppercaseMapping).utf8)
                    }
                }
                return String(decoding: mapped, as: UTF8.self)
            }
        }
    }
}

/// Which ASCII letters a text holds, found eight bytes at a time.
enum ASCIILetters {
    case none
    /// Some of the 26 letters looked for, and nothing but ASCII.
    case some
    case notASCII

    /// Looks for the 26 letters from `first` (`A` or `a`) in `bytes`.
    static func scan(_ bytes: UnsafeBufferPointer<UInt8>, from first: UInt8) -> ASCIILetters {
        guard let base = bytes.baseAddress else { return .none }
        // Adding 0x80 - x to an ASCII byte sets its high bit exactly when the byte is x or above,
        // and never carries into the next byte.
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highBits = ones &* 0x80
        let fromFirst = ones &* UInt64(0x80 - first)
        let pastLast = ones &* UInt64(0x80 - (first + 26))
        var letters: UInt64 = 0
        var index = 0
        while index + 8 <= bytes.count {
            let word = UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self)
            if word & highBits != 0 { return .notASCII }
            letters |= (word &+ fromFirst) & ~(word &+ pastLast) & highBits
            index += 8
        }
        while index < bytes.count {
            let byte = bytes[index]
            if byte >= 0x80 { return .notASCII }
            if byte &- first < 26 { letters = 1 }
            index += 1
        }
        return letters == 0 ? .none : .some
    }
}
