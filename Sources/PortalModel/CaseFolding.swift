extension String {
    /// `lowercased()`, without a copy when there is nothing to lower: addresses and names are
    /// mostly written in lower case already, and tens of thousands of them are lowered.
    public var lowercasedIfNeeded: String {
        utf8.contains { (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) || $0 >= 0x80 } ? lowercased() : self
    }

    /// `uppercased()`, without a copy when there is nothing to raise.
    public var uppercasedIfNeeded: String {
        utf8.contains { (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) || $0 >= 0x80 } ? uppercased() : self
    }
}
