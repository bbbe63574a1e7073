/// Standard base64 with padding (RFC 4648 §4), as JOSE uses it for `x5c` certificates
/// (RFC 7515 §4.1.6, RFC 7517 §4.7) — the one place JOSE does not use base64url.
///
/// Strict: the length is a multiple of four, `=` appears only as one or two final characters,
/// no whitespace or line breaks, and the unused bits before the padding are zero.
public enum Base64 {
    private static let reverse: [UInt8] = Base64URL.reverseTable(
        Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    )

    /// Decodes padded standard base64 strictly; anything else throws
    /// ``JOSEError/Code/invalidBase64``.
    public static func decode(_ text: some StringProtocol) throws(JOSEError) -> [UInt8] {
        var bytes = Array(text.utf8)
        guard bytes.count % 4 == 0 else { throw invalid }
        for _ in 0..<2 where bytes.last == UInt8(ascii: "=") { bytes.removeLast() }
        let result = bytes.withUnsafeBufferPointer { Base64URL.decodeBytes($0, table: reverse) }
        guard let result else { throw invalid }
        return result
    }

    private static var invalid: JOSEError {
        JOSEError.make(.invalidBase64, "not padded standard base64 (RFC 4648 §4)")
    }
}
