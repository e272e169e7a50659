extension Sequence {
    /// The elements ordered by a text key, byte by byte of its UTF-8 (which is the order of its
    /// code points), faster than comparing strings: most keys, such as object ids, differ in their
    /// first eight bytes, which are compared as one number.
    @inlinable public func sorted(byText key: (Element) -> String) -> [Element] {
        let elements = Array(self)
        let keys = elements.map(key)
        let prefixes = keys.map(\.utf8Prefix)
        let order = elements.indices.sorted { left, right in
            if prefixes[left] != prefixes[right] { return prefixes[left] < prefixes[right] }
            return keys[left].utf8.lexicographicallyPrecedes(keys[right].utf8)
        }
        return order.map { elements[$0] }
    }
}

extension String {
    /// The first eight bytes of the UTF-8, big-endian, zero-padded: ordered as the bytes are.
    @usableFromInline var utf8Prefix: UInt64 {
        var prefix: UInt64 = 0
        var count = 0
        for byte in utf8.prefix(8) {
            prefix = prefix << 8 | UInt64(byte)
            count += 1
        }
        return count == 8 ? prefix : prefix << (8 * UInt64(8 - count))
    }
}
