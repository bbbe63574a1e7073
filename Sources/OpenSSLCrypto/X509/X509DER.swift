internal import COpenSSL

/// Small helpers around OpenSSL's `i2d_*` calling convention and DER byte handling.
enum X509DER {
    /// Runs an `i2d_*` function twice (length, then bytes) and returns the encoding.
    ///
    /// `encode` receives `nil` to report the length, then a pointer to the
    /// output pointer, as every `i2d_*` function expects.
    static func encode(
        _ encode: (UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>?) -> Int32
    ) -> [UInt8]? {
        let length = encode(nil)
        guard length > 0 else {
            OpenSSLErrorQueue.drain()
            return nil
        }
        var bytes = [UInt8](repeating: 0, count: Int(length))
        let written = bytes.withUnsafeMutableBufferPointer { buffer -> Int32 in
            var cursor = buffer.baseAddress
            return encode(&cursor)
        }
        guard written == length else {
            OpenSSLErrorQueue.drain()
            return nil
        }
        return bytes
    }

    /// Upper-case hex, two digits per byte.
    static func hex(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The bytes of an `ASN1_STRING` (any of its aliases), copied out.
    static func bytes(ofASN1String string: UnsafePointer<ASN1_STRING>) -> [UInt8] {
        let length = Int(ASN1_STRING_length(string))
        guard length > 0, let data = ASN1_STRING_get0_data(string) else { return [] }
        return Array(UnsafeBufferPointer(start: data, count: length))
    }

    /// The ASN.1 string types whose value is text (X.520 DirectoryString and friends).
    static func isTextType(_ type: Int32) -> Bool {
        switch type {
        case V_ASN1_UTF8STRING, V_ASN1_PRINTABLESTRING, V_ASN1_IA5STRING, V_ASN1_T61STRING,
            V_ASN1_BMPSTRING, V_ASN1_UNIVERSALSTRING, V_ASN1_VISIBLESTRING, V_ASN1_NUMERICSTRING:
            return true
        default:
            return false
        }
    }

    /// Converts a text-typed `ASN1_STRING` to a Swift string through UTF-8; nil if it does not convert.
    static func text(ofASN1String string: UnsafePointer<ASN1_STRING>) -> String? {
        var out: UnsafeMutablePointer<UInt8>? = nil
        let length = ASN1_STRING_to_UTF8(&out, string)
        guard length >= 0, let out else {
            OpenSSLErrorQueue.drain()
            return nil
        }
        defer { COpenSSL_OPENSSL_free(out) }
        return String(validating: UnsafeBufferPointer(start: out, count: Int(length)), as: UTF8.self)
    }

    /// Dotted-decimal text of an `ASN1_OBJECT` (never OpenSSL's short name).
    static func dottedOID(_ object: OpaquePointer) -> String? {
        var buffer = [CChar](repeating: 0, count: 128)
        let needed = OBJ_obj2txt(&buffer, Int32(buffer.count), object, 1)
        guard needed > 0, Int(needed) < buffer.count else {
            OpenSSLErrorQueue.drain()
            return nil
        }
        return String(decoding: buffer.prefix(Int(needed)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
