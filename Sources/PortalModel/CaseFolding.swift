extension String {
    /// `lowercased()`, faster: addresses and names are mostly lower case and ASCII already, and
    /// tens of thousands of them are lowered.
    public var lowercasedIfNeeded: String { caseMapped(flipping: UInt8(ascii: "A")...UInt8(ascii: "Z"), \.lowercaseMapping) }

    /// `uppercased()`, faster when there is nothing or only ASCII to raise.
    public var uppercasedIfNeeded: String { caseMapped(flipping: UInt8(ascii: "a")...UInt8(ascii: "z"), \.uppercaseMapping) }

    /// The text with every scalar replaced by its case mapping, as the standard library's
    /// `lowercased()` and `uppercased()` do, without building a string per scalar: ASCII `letters`
    /// flip their case bit, and only non-ASCII scalars look up `mapping`.
    private func caseMapped(flipping letters: ClosedRange<UInt8>, _ mapping: KeyPath<Unicode.Scalar.Properties, String>) -> String {
        var text = self
        return text.withUTF8 { bytes in
            var isASCII = true
            var changes = false
            for byte in bytes {
                if byte >= 0x80 {
                    isASCII = false
                    break
                }
                if letters.contains(byte) { changes = true }
            }
            if isASCII {
                guard changes else { return self }
                return String(unsafeUninitializedCapacity: bytes.count) { mapped in
                    for (index, byte) in bytes.enumerated() { mapped[index] = letters.contains(byte) ? byte ^ 0x20 : byte }
                    return bytes.count
                }
            }
            var mapped: [UInt8] = []
            mapped.reserveCapacity(bytes.count + 8)
            for scalar in unicodeScalars {
                if scalar.isASCII {
                    let byte = UInt8(truncatingIfNeeded: scalar.value)
                    mapped.append(letters.contains(byte) ? byte ^ 0x20 : byte)
                } else {
                    mapped.append(contentsOf: scalar.properties[keyPath: mapping].utf8)
                }
            }
            return String(decoding: mapped, as: UTF8.self)
        }
    }
}
