internal import COpenSSL

/// How the key-encryption key was written where it was read from, reported by
/// `credence check-config` so an operator knows which form was taken.
public enum KeyEncryptionKeyEncoding: String, Sendable, Hashable {
    /// The base64 of 32 bytes (`openssl rand -base64 32`), with optional surrounding whitespace.
    case base64
    /// Exactly 32 raw bytes (`openssl rand 32`) that are not all printable text.
    case raw
}

/// Why key material could not be taken as a key-encryption key; the description is safe to
/// show (it never quotes the material).
public enum KeyEncryptionKeyMaterialError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Printable text that is not the base64 of 32 bytes. Text is never taken as raw key bytes:
    /// 32 characters of text are a password or a hex string, not 32 random bytes.
    case textIsNotBase64Key
    /// Binary material that is not exactly 32 bytes long.
    case wrongLength(Int)

    public var description: String {
        switch self {
        case .textIsNotBase64Key:
            "the text is not the base64 of 32 bytes, and text is never taken as raw key bytes (write openssl rand -base64 32)"
        case .wrongLength(let count):
            "\(count) bytes of binary data; a raw key is exactly 32 bytes (or write openssl rand -base64 32)"
        }
    }
}

extension KeyEncryptionKey {
    /// Decodes key material as operators write it (a key file, an environment variable): the
    /// base64 of 32 bytes with optional surrounding whitespace, or exactly 32 raw bytes that are
    /// not all printable text. The decoded key goes straight into secret memory, and `material`
    /// is overwritten with zeros before this returns, whatever the outcome.
    public static func decode(
        material: inout [UInt8]
    ) throws(KeyEncryptionKeyMaterialError) -> (key: KeyEncryptionKey, encoding: KeyEncryptionKeyEncoding) {
        defer {
            material.withUnsafeMutableBytes { bytes in
                if let base = bytes.baseAddress { OPENSSL_cleanse(base, bytes.count) }
            }
        }
        if let secret = decodeBase64Key(material), let key = try? KeyEncryptionKey(secret: secret) {
            return (key, .base64)
        }
        guard !material.allSatisfy(isPrintableText) else { throw .textIsNotBase64Key }
        guard material.count == AESGCM.keyByteCount else { throw .wrongLength(material.count) }
        let secret = material.withUnsafeBufferPointer { SecretBytes(copying: $0) }
        guard let key = try? KeyEncryptionKey(secret: secret) else { throw .wrongLength(material.count) }
        return (key, .raw)
    }

    private static func isPrintableText(_ byte: UInt8) -> Bool {
        (0x20...0x7E).contains(byte) || byte == 0x09 || byte == 0x0A || byte == 0x0D
    }

    private static func isBase64Character(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "+"), UInt8(ascii: "/"):
            true
        default:
            false
        }
    }

    /// The 32 bytes of padded standard base64 (44 characters ending in one `=`) between optional
    /// whitespace, decoded into secret memory; `nil` for anything else.
    private static func decodeBase64Key(_ material: [UInt8]) -> SecretBytes? {
        let isSpace: (UInt8) -> Bool = { $0 == 0x20 || (0x09...0x0D).contains($0) }
        guard let first = material.firstIndex(where: { !isSpace($0) }),
            let last = material.lastIndex(where: { !isSpace($0) })
        else { return nil }
        let text = material[first...last]
        // 32 bytes = 10 groups of 3 + 2 bytes: 43 characters and one "=".
        guard text.count == 44, text.last == UInt8(ascii: "="), text.dropLast().allSatisfy(isBase64Character)
        else { return nil }
        let decoded = SecretBytes(count: 33)
        let length = text.withContiguousStorageIfAvailable { input in
            decoded.withMutableBytes { output in
                EVP_DecodeBlock(output.baseAddress, input.baseAddress, Int32(input.count))
            }
        }
        // EVP_DecodeBlock counts the padding as a zero byte.
        guard length == 33 else { return nil }
        return decoded.withBytes { SecretBytes(copying: UnsafeBufferPointer(rebasing: $0[0..<32])) }
    }
}
