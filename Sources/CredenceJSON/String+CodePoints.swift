/// JSON compares strings code point by code point (RFC 8259 §8.3), while Swift's `String`
/// equality and hashing use Unicode canonical equivalence (so `"é" == "e\u{301}"` and
/// `"\u{212A}" == "K"`, KELVIN SIGN and the letter). These helpers give the JSON meaning: two
/// strings are the same only if their UTF-8 bytes are. Identifiers that cross a trust boundary
/// (`iss`, `aud`, `sub`, `jti`, `kid`, client ids, scopes) must be compared this way: RFC 7519
/// §4.1 and RFC 7515 §4.1.4 ask for exact comparison, and PostgreSQL compares bytes.
extension String {
    /// Whether both strings hold the same sequence of code points (the same UTF-8 bytes): the
    /// comparison for identifiers, never `==`.
    @inline(__always)
    public func hasSameCodePoints(as other: String) -> Bool {
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

/// A string that is equal and hashes by its code points (its UTF-8 bytes), not by Swift's
/// canonical equivalence: the key for a `Set` or `Dictionary` of identifiers (scopes, client
/// ids, `kid`s, JSON member names), where `Set<String>` would merge `"\u{212A}"` with `"K"`.
public struct CodePointString: Hashable, Sendable, CustomStringConvertible {
    /// The string as given.
    public let string: String

    /// Wraps `string`.
    public init(_ string: String) { self.string = string }

    /// Equal when the code points are.
    public static func == (lhs: CodePointString, rhs: CodePointString) -> Bool {
        lhs.string.hasSameCodePoints(as: rhs.string)
    }

    /// Hashes the UTF-8 bytes, consistently with ``==``.
    public func hash(into hasher: inout Hasher) { string.hashCodePoints(into: &hasher) }

    /// The string itself.
    public var description: String { string }
}
