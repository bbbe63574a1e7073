internal import COpenSSL

/// One entry of a certificate's subjectAltName extension (RFC 5280 §4.2.1.6).
///
/// RFC 8705 §2.1.2 lets a client register one SAN instead of a subject DN:
/// `tls_client_auth_san_dns`, `_san_uri`, `_san_ip` or `_san_email`; these are
/// the four kinds Credence matches, every other kind is ``other``.
public enum GeneralName: Sendable, Hashable {
    /// dNSName, as written in the certificate (compare case-insensitively, RFC 4343).
    case dnsName(String)
    /// uniformResourceIdentifier, as written in the certificate.
    case uniformResourceIdentifier(String)
    /// iPAddress as canonical text: IPv4 dotted quad, IPv6 per RFC 5952 (see ``canonicalIPAddress(_:)``).
    case ipAddress(String)
    /// rfc822Name (an e-mail address), as written in the certificate.
    case emailAddress(String)
    /// Any other kind (otherName, directoryName, registeredID…), or a value that is not
    /// valid for its kind (an IA5String holding non-ASCII or control characters, an
    /// address that is neither 4 nor 16 bytes): never matches anything.
    case other

    /// Canonical text for an IP address written by a person (a registered
    /// `tls_client_auth_san_ip`), so that it compares equal to ``ipAddress(_:)``:
    /// `2001:DB8:0:0::1` becomes `2001:db8::1`. Nil if `text` is not an address.
    public static func canonicalIPAddress(_ text: String) -> String? {
        guard !text.isEmpty, text.utf8.count <= 64,
            text.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F })
        else { return nil }
        guard let octets = a2i_IPADDRESS(text) else {
            OpenSSLErrorQueue.drain()
            return nil
        }
        defer { ASN1_OCTET_STRING_free(octets) }
        return formatIPAddress(X509DER.bytes(ofASN1String: octets))
    }

    /// Text for 4 or 16 address bytes: dotted quad, or RFC 5952 §4 (lower case, no
    /// leading zeros, the longest run of two or more zero groups — the first on a
    /// tie — as `::`), with IPv4-mapped addresses as `::ffff:a.b.c.d` (§5).
    static func formatIPAddress(_ bytes: [UInt8]) -> String? {
        if bytes.count == 4 {
            return bytes.map(String.init).joined(separator: ".")
        }
        guard bytes.count == 16 else { return nil }
        if bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xFF, bytes[11] == 0xFF {
            return "::ffff:" + bytes[12..<16].map(String.init).joined(separator: ".")
        }
        let groups = (0..<8).map { UInt16(bytes[2 * $0]) << 8 | UInt16(bytes[2 * $0 + 1]) }
        var bestStart = -1
        var bestLength = 0
        var index = 0
        while index < 8 {
            guard groups[index] == 0 else {
                index += 1
                continue
            }
            let start = index
            while index < 8, groups[index] == 0 { index += 1 }
            if index - start > bestLength {
                bestStart = start
                bestLength = index - start
            }
        }
        let text = { (range: Range<Int>) in
            groups[range].map { String($0, radix: 16) }.joined(separator: ":")
        }
        guard bestLength >= 2 else { return text(0..<8) }
        return text(0..<bestStart) + "::" + text((bestStart + bestLength)..<8)
    }
}
