/// base64url without padding, exactly as RFC 7515 §2 and Appendix C define it for JOSE.
///
/// Decoding is strict: only `A–Z a–z 0–9 - _`, no `=`, no whitespace, no length that leaves a
/// lone character (length ≡ 1 mod 4), and the unused low bits of the last character must be zero
/// (RFC 4648 §3.5), so every byte string has exactly one accepted encoding.
public enum Base64URL {
    private static let alphabet: [UInt8] = Array(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8
    )

    /// 0...63 for alphabet characters, 0xFF for everything else.
    private static let reverse: [UInt8] = reverseTable(alphabet)

    static func reverseTable(_ alphabet: [UInt8]) -> [UInt8] {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (value, character) in alphabet.enumerated() { table[Int(character)] = UInt8(value) }
        return table
    }

    /// The unpadded base64url text of `bytes`.
    public static func encode(_ bytes: some Collection<UInt8>) -> String {
        String(decoding: encodeToBytes(bytes), as: UTF8.self)
    }

    /// The unpadded base64url of `bytes`, as ASCII bytes (to assemble a compact JWS without
    /// intermediate strings).
    public static func encodeToBytes(_ bytes: some Collection<UInt8>) -> [UInt8] {
        bytes.withContiguousStorageIfAvailable { encodeBytes($0) }
            ?? Array(bytes).withUnsafeBufferPointer { encodeBytes($0) }
    }

    static func encodeBytes(_ input: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        let fullGroups = input.count / 3
        let remainder = input.count % 3
        let outputCount = fullGroups * 4 + (remainder == 0 ? 0 : remainder + 1)
        return [UInt8](unsafeUninitializedCapacity: outputCount) { output, initialized in
            alphabet.withUnsafeBufferPointer { table in
                var o = 0
                var i = 0
                for _ in 0..<fullGroups {
                    let b0 = Int(input[i])
                    let b1 = Int(input[i + 1])
                    let b2 = Int(input[i + 2])
                    output[o] = table[b0 >> 2]
                    output[o + 1] = table[((b0 & 0x03) << 4) | (b1 >> 4)]
                    output[o + 2] = table[((b1 & 0x0F) << 2) | (b2 >> 6)]
                    output[o + 3] = table[b2 & 0x3F]
                    i += 3
                    o += 4
                }
                if remainder == 1 {
                    let b0 = Int(input[i])
                    output[o] = table[b0 >> 2]
                    output[o + 1] = table[(b0 & 0x03) << 4]
                } else if remainder == 2 {
                    let b0 = Int(input[i])
                    let b1 = Int(input[i + 1])
                    output[o] = table[b0 >> 2]
                    output[o + 1] = table[((b0 & 0x03) << 4) | (b1 >> 4)]
                    output[o + 2] = table[(b1 & 0x0F) << 2]
                }
            }
            initialized = outputCount
        }
    }

    /// Decodes unpadded base64url text strictly; anything else throws
    /// ``JOSEError/Code/invalidBase64URL``.
    public static func decode(_ text: some StringProtocol) throws(JOSEError) -> [UInt8] {
        let result =
            text.utf8.withContiguousStorageIfAvailable { decodeBytes($0) }
            ?? Array(text.utf8).withUnsafeBufferPointer { decodeBytes($0) }
        guard let result else { throw invalid }
        return result
    }

    /// Decodes base64url given as ASCII bytes (a segment of a compact JWS).
    public static func decode(bytes: some Collection<UInt8>) throws(JOSEError) -> [UInt8] {
        let result =
            bytes.withContiguousStorageIfAvailable { decodeBytes($0) }
            ?? Array(bytes).withUnsafeBufferPointer { decodeBytes($0) }
        guard let result else { throw invalid }
        return result
    }

    private static var invalid: JOSEError {
        JOSEError.make(.invalidBase64URL, "not unpadded base64url (RFC 7515 §2)")
    }

    /// `nil` for any deviation from the canonical unpadded encoding.
    static func decodeBytes(_ input: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        decodeBytes(input, table: reverse)
    }

    /// The unpadded decoder over any 64-character alphabet's reverse table.
    static func decodeBytes(_ input: UnsafeBufferPointer<UInt8>, table reverse: [UInt8]) -> [UInt8]? {
        let remainder = input.count % 4
        guard remainder != 1 else { return nil }
        let outputCount = (input.count / 4) * 3 + (remainder == 0 ? 0 : remainder - 1)
        var ok = true
        let output = [UInt8](unsafeUninitializedCapacity: outputCount) { output, initialized in
            reverse.withUnsafeBufferPointer { table in
                var o = 0
                var i = 0
                var bad: UInt8 = 0
                let fullGroups = input.count / 4
                for _ in 0..<fullGroups {
                    let c0 = table[Int(input[i])]
                    let c1 = table[Int(input[i + 1])]
                    let c2 = table[Int(input[i + 2])]
                    let c3 = table[Int(input[i + 3])]
                    bad |= (c0 | c1 | c2 | c3) & 0xC0
                    output[o] = (c0 << 2) | (c1 >> 4)
                    output[o + 1] = (c1 << 4) | (c2 >> 2)
                    output[o + 2] = (c2 << 6) | c3
                    i += 4
                    o += 3
                }
                if remainder == 2 {
                    let c0 = table[Int(input[i])]
                    let c1 = table[Int(input[i + 1])]
                    bad |= (c0 | c1) & 0xC0
                    if c1 & 0x0F != 0 { bad = 0xFF }  // non-canonical trailing bits
                    output[o] = (c0 << 2) | (c1 >> 4)
                } else if remainder == 3 {
                    let c0 = table[Int(input[i])]
                    let c1 = table[Int(input[i + 1])]
                    let c2 = table[Int(input[i + 2])]
                    bad |= (c0 | c1 | c2) & 0xC0
                    if c2 & 0x03 != 0 { bad = 0xFF }
                    output[o] = (c0 << 2) | (c1 >> 4)
                    output[o + 1] = (c1 << 4) | (c2 >> 2)
                }
                ok = bad == 0
            }
            initialized = outputCount
        }
        return ok ? output : nil
    }
}
