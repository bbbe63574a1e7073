/// Big-endian integers, the byte order of PostgreSQL's binary wire format.
enum BigEndian {
    /// The eight bytes of `value`, most significant first.
    static func bytes(of value: UInt64) -> [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: value >> (56 - 8 * UInt64($0))) }
    }

    /// The unsigned integer in `bytes` (at most eight), most significant first.
    static func integer(_ bytes: ArraySlice<UInt8>) -> UInt64 {
        bytes.reduce(0) { ($0 << 8) | UInt64($1) }
    }
}
