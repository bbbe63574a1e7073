/// JSON compares strings code point by code point (RFC 8259 §8.3), while Swift's `String`
/// equality and hashing use Unicode canonical equivalence (so `"é" == "e\u{301}"`). These
/// helpers give the JSON meaning: two names are the same only if their UTF-8 bytes are.
extension String {
    /// Whether both strings hold the same sequence of code points.
    @inline(__always)
    func hasSameCodePoints(as other: String) -> Bool {
        let a = utf8
        let b = other.utf8
        guard a.count == b.count else { return false }
        // Native and small strings expose their bytes; compare those directly.
        let fast = a.withContiguousStorageIfAvailable { x in
            b.withContiguousStorageIfAvailable { y in
                for i in 0..<x.count where x[i] != y[i] { return false }
                return true
            }
        }
        if let fast, let result = fast { return result }
        return a.elementsEqual(b)
    }

    /// Whether this string sorts before `other` by code points, the order RFC 7638 §3 asks
    /// for. UTF-8 byte order is code point order, so comparing bytes suffices.
    @inline(__always)
    func precedesByCodePoints(_ other: String) -> Bool {
        utf8.lexicographicallyPrecedes(other.utf8)
    }

    /// Feeds the exact bytes and their count to a hasher, consistent with
    /// ``hasSameCodePoints(as:)``.
    @inline(__always)
    func hashCodePoints(into hasher: inout Hasher) {
        var copy = self
        copy.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
        hasher.combine(utf8.count)
    }
}

/// A member name as a dictionary key, compared and hashed by code points.
struct CodePointKey: Hashable, Sendable {
    let name: String

    static func == (lhs: CodePointKey, rhs: CodePointKey) -> Bool {
        lhs.name.hasSameCodePoints(as: rhs.name)
    }

    func hash(into hasher: inout Hasher) { name.hashCodePoints(into: &hasher) }
}
