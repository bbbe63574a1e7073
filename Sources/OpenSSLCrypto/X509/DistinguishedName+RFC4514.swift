extension DistinguishedName {
    /// The name as an RFC 4514 §2 string: RDNs in reverse encoding order (`CN=…,O=…,C=…`),
    /// multi-valued RDNs joined with `+`, values escaped per §2.4.
    ///
    /// Type names follow ``AttributeType`` (the RFC 4514 table plus `emailAddress`,
    /// `organizationIdentifier`, `serialNumber`); other types are dotted OIDs whose
    /// values are `#` and the hex of their BER encoding (a text value is encoded as a
    /// UTF8String for that). The attributes of a multi-valued RDN are also printed in
    /// reverse encoding order, as OpenSSL's `XN_FLAG_RFC2253` does, so for ASCII names
    /// the result equals `openssl x509 -noout -subject -nameopt RFC2253`. Non-ASCII
    /// characters are written as UTF-8 (OpenSSL writes `\XX` escapes instead; both are
    /// valid RFC 4514 and both parse back to the same name).
    public var rfc4514String: String {
        relativeDistinguishedNames.reversed().map { rdn in
            rdn.attributes.reversed().map(Self.rfc4514String(of:)).joined(separator: "+")
        }.joined(separator: ",")
    }

    static func rfc4514String(of attribute: Attribute) -> String {
        let name = AttributeType.shortName(forOID: attribute.oid)
        switch (name, attribute.value) {
        case (let name?, .text(let text)):
            return name + "=" + escape(text)
        case (let name?, .ber(let ber)):
            return name + "=#" + X509DER.hex(ber)
        case (nil, .text(let text)):
            return attribute.oid + "=#" + X509DER.hex(utf8StringDER(text))
        case (nil, .ber(let ber)):
            return attribute.oid + "=#" + X509DER.hex(ber)
        }
    }

    /// RFC 4514 §2.4: backslash before `"` `+` `,` `;` `<` `>` `\`, before a leading
    /// space or `#`, before a trailing space; NUL and other control characters as `\XX`.
    static func escape(_ text: String) -> String {
        let bytes = Array(text.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + 8)
        for (index, byte) in bytes.enumerated() {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "+"), UInt8(ascii: ","), UInt8(ascii: ";"),
                UInt8(ascii: "<"), UInt8(ascii: ">"), UInt8(ascii: "\\"):
                out.append(UInt8(ascii: "\\"))
                out.append(byte)
            case UInt8(ascii: "#") where index == 0:
                out.append(UInt8(ascii: "\\"))
                out.append(byte)
            case UInt8(ascii: " ") where index == 0 || index == bytes.count - 1:
                out.append(UInt8(ascii: "\\"))
                out.append(byte)
            case 0x00...0x1F, 0x7F:
                out.append(UInt8(ascii: "\\"))
                out.append(contentsOf: X509DER.hex([byte]).utf8)
            default:
                out.append(byte)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// DER of a UTF8String holding `text` (tag 0x0C, definite length).
    static func utf8StringDER(_ text: String) -> [UInt8] {
        let content = Array(text.utf8)
        var out: [UInt8] = [0x0C]
        if content.count < 0x80 {
            out.append(UInt8(content.count))
        } else {
            var length = content.count
            var lengthBytes: [UInt8] = []
            while length > 0 {
                lengthBytes.insert(UInt8(length & 0xFF), at: 0)
                length >>= 8
            }
            out.append(0x80 | UInt8(lengthBytes.count))
            out.append(contentsOf: lengthBytes)
        }
        out.append(contentsOf: content)
        return out
    }
}
