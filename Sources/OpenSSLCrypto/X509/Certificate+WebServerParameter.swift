extension Certificate {
    /// The largest web-server certificate parameter accepted, before decoding.
    ///
    /// A 4096-bit RSA client certificate is about 2 KiB of PEM, 2.3 KiB URL-encoded;
    /// 16 KiB leaves room for large extensions and refuses anything absurd.
    public static let maximumWebServerParameterLength = 16 * 1024

    /// Parses the client certificate a web server passes to the responder in the
    /// FastCGI parameter `SSL_CLIENT_CERT` (docs: PROTOCOL.md, "How the web server
    /// hands over the client certificate"). Accepted forms:
    ///
    /// - nginx `$ssl_client_escaped_cert`: the PEM URL-encoded by `ngx_escape_uri`
    ///   with `NGX_ESCAPE_URI_COMPONENT` (`%0A` newlines, `%20`, `%2B`, `%2F`, `%3D`…).
    ///   Any value containing `%` is percent-decoded first; `+` stays `+` (this is not
    ///   form encoding).
    /// - Apache `SSLOptions +ExportCertData`: the PEM as is.
    /// - nginx's deprecated `$ssl_client_cert`: the PEM with a tab before every line
    ///   after the first.
    ///
    /// Strict: exactly one certificate, nothing but whitespace around it, at most
    /// ``maximumWebServerParameterLength`` bytes. An empty value means the client
    /// presented no certificate: it throws `empty`, which callers treat as "none".
    ///
    /// - Throws: ``CertificateError``: `empty`, `tooLarge`, `invalidPercentEncoding`,
    ///   `notPEM`, `malformedPEM`, `unexpectedPEMLabel`, `invalidBase64`,
    ///   `multipleCertificates`, `malformedDER`, `malformedField`.
    public init(webServerParameter value: String) throws {
        let raw = Array(value.utf8)
        guard raw.count <= Self.maximumWebServerParameterLength else {
            throw CertificateError.make(
                .tooLarge,
                "certificate parameter larger than \(Self.maximumWebServerParameterLength) bytes"
            )
        }
        guard !raw.allSatisfy(Self.isWhitespace) else {
            throw CertificateError.make(.empty, "no client certificate")
        }
        let pem = raw.contains(UInt8(ascii: "%")) ? try Self.percentDecode(raw) : raw
        try self.init(singlePEM: pem)
    }

    /// RFC 3986 §2.1 percent-decoding: every `%` must be followed by two hex digits.
    static func percentDecode(_ bytes: [UInt8]) throws -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            guard byte == UInt8(ascii: "%") else {
                out.append(byte)
                index += 1
                continue
            }
            guard index + 2 < bytes.count, let high = hexDigit(bytes[index + 1]),
                let low = hexDigit(bytes[index + 2])
            else {
                throw CertificateError.make(
                    .invalidPercentEncoding,
                    "'%' not followed by two hex digits",
                    detail: "at byte offset \(index)"
                )
            }
            out.append(high << 4 | low)
            index += 3
        }
        return out
    }

    private static func hexDigit(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
