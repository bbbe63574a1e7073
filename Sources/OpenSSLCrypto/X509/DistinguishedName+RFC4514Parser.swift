internal import COpenSSL

extension DistinguishedName {
    /// The longest RFC 4514 string ``init(rfc4514:)`` accepts, in UTF-8 bytes.
    public static let maximumRFC4514Length = 8192

    /// Parses an RFC 4514 §3 string such as a registered `tls_client_auth_subject_dn`.
    ///
    /// Accepted: RDNs separated by `,` in RFC 4514 (reverse) order, multi-valued RDNs
    /// joined with `+`, type names per ``AttributeType`` or dotted OIDs, escapes of the
    /// special characters and `\XX` hex pairs (which must form UTF-8), and `#`-hex BER
    /// values (string types become text, so `CN=#0C03616263` equals `CN=abc`).
    /// Tolerated, as commonly written: spaces around `=`, `,` and `+`, and unescaped
    /// trailing spaces in a value (dropped; an escaped `\ ` is kept). Refused: `;` as a
    /// separator, quoted values and unescaped `"` `;` `<` `>` (RFC 2253 forms that RFC
    /// 4514 removed), unknown type names, an empty RDN, a trailing separator.
    /// The empty string is the empty name.
    ///
    /// - Throws: ``CertificateError`` with code `invalidDistinguishedName`,
    ///   `unknownAttributeType` or `tooLarge`.
    public init(rfc4514 string: String) throws {
        let bytes = Array(string.utf8)
        guard bytes.count <= Self.maximumRFC4514Length else {
            throw CertificateError.make(.tooLarge, "distinguished name string too long")
        }
        var parser = RFC4514Parser(bytes: bytes)
        self.init(try parser.parse())
    }
}

/// A recursive-descent parser for RFC 4514 §3, over UTF-8 bytes.
private struct RFC4514Parser {
    let bytes: [UInt8]
    var index = 0

    init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    private var atEnd: Bool { index >= bytes.count }

    private func peek(is character: Unicode.Scalar) -> Bool {
        index < bytes.count && bytes[index] == UInt8(ascii: character)
    }

    private mutating func skipSpaces() {
        while index < bytes.count, bytes[index] == UInt8(ascii: " ") { index += 1 }
    }

    private func failure(_ reason: String) -> CertificateError {
        CertificateError.make(.invalidDistinguishedName, reason, detail: "at byte offset \(index)")
    }

    /// distinguishedName = [ relativeDistinguishedName *( COMMA relativeDistinguishedName ) ]
    mutating func parse() throws -> [DistinguishedName.RelativeDistinguishedName] {
        skipSpaces()
        if atEnd { return [] }
        var rdns: [DistinguishedName.RelativeDistinguishedName] = []
        while true {
            rdns.append(try parseRDN())
            skipSpaces()
            if atEnd { break }
            guard peek(is: ",") else { throw failure("expected ',' between RDNs") }
            index += 1
            skipSpaces()
            guard !atEnd else { throw failure("trailing ','") }
        }
        // The string lists the most specific RDN first; the encoding, the opposite.
        return rdns.reversed()
    }

    /// relativeDistinguishedName = attributeTypeAndValue *( PLUS attributeTypeAndValue )
    private mutating func parseRDN() throws -> DistinguishedName.RelativeDistinguishedName {
        var attributes = [try parseAttribute()]
        while true {
            let mark = index
            skipSpaces()
            guard peek(is: "+") else {
                index = mark
                break
            }
            index += 1
            skipSpaces()
            attributes.append(try parseAttribute())
        }
        // Printed in reverse (as OpenSSL does), so read back in reverse.
        return .init(attributes.reversed())
    }

    /// attributeTypeAndValue = attributeType EQUALS attributeValue
    private mutating func parseAttribute() throws -> DistinguishedName.Attribute {
        let oid = try parseType()
        skipSpaces()
        guard peek(is: "=") else { throw failure("expected '=' after the attribute type") }
        index += 1
        skipSpaces()
        let value = peek(is: "#") ? try parseHexValue() : try parseStringValue()
        return DistinguishedName.Attribute(oid: oid, value: value)
    }

    /// attributeType = descr / numericoid (plus the `OID.` prefix some writers add).
    private mutating func parseType() throws -> String {
        guard !atEnd else { throw failure("expected an attribute type") }
        let first = bytes[index]
        if Self.isDigit(first) { return try parseNumericOID() }
        guard Self.isAlpha(first) else { throw failure("expected an attribute type") }
        let start = index
        while index < bytes.count,
            Self.isAlpha(bytes[index]) || Self.isDigit(bytes[index]) || bytes[index] == UInt8(ascii: "-")
        {
            index += 1
        }
        let name = String(decoding: bytes[start..<index], as: UTF8.self)
        if name.lowercased() == "oid", peek(is: ".") {
            index += 1
            return try parseNumericOID()
        }
        guard let oid = DistinguishedName.AttributeType.oid(forName: name) else {
            throw CertificateError.make(
                .unknownAttributeType,
                "unknown attribute type name; use a dotted OID",
                detail: "type \(name.prefix(64))"
            )
        }
        return oid
    }

    /// numericoid = number 1*( DOT number ); number = DIGIT / ( LDIGIT 1*DIGIT )
    private mutating func parseNumericOID() throws -> String {
        let start = index
        var arcs = 0
        while true {
            guard index < bytes.count, Self.isDigit(bytes[index]) else {
                throw failure("malformed numeric OID")
            }
            let arcStart = index
            while index < bytes.count, Self.isDigit(bytes[index]) { index += 1 }
            if bytes[arcStart] == UInt8(ascii: "0"), index - arcStart > 1 {
                throw failure("leading zero in an OID arc")
            }
            arcs += 1
            guard peek(is: ".") else { break }
            index += 1
        }
        guard arcs >= 2, index - start <= 128 else { throw failure("malformed numeric OID") }
        return String(decoding: bytes[start..<index], as: UTF8.self)
    }

    /// hexstring = SHARP 1*hexpair: the BER of the value (RFC 4514 §2.4, §3).
    private mutating func parseHexValue() throws -> DistinguishedName.Attribute.Value {
        index += 1  // '#'
        var ber: [UInt8] = []
        while index + 1 < bytes.count, let high = Self.hexValue(bytes[index]),
            let low = Self.hexValue(bytes[index + 1])
        {
            ber.append(high << 4 | low)
            index += 2
        }
        if index < bytes.count, Self.hexValue(bytes[index]) != nil {
            throw failure("odd number of hex digits")
        }
        guard !ber.isEmpty else { throw failure("empty '#' value") }
        let mark = index
        skipSpaces()
        guard atEnd || peek(is: ",") || peek(is: "+") else {
            throw failure("unexpected character after a '#' value")
        }
        index = mark
        guard let value = X509AttributeValueDecoder.decode(ber: ber) else {
            throw failure("'#' value is not one BER-encoded ASN.1 value")
        }
        return value
    }

    /// string = [ ( leadchar / pair ) [ *( stringchar / pair ) ( trailchar / pair ) ] ]
    private mutating func parseStringValue() throws -> DistinguishedName.Attribute.Value {
        var out: [UInt8] = []
        var trailingSpacesStart: Int? = nil
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: ","), UInt8(ascii: "+"):
                return try finishString(out, trimmingFrom: trailingSpacesStart)
            case UInt8(ascii: "\\"):
                index += 1
                guard index < bytes.count else { throw failure("dangling '\\'") }
                let next = bytes[index]
                if index + 1 < bytes.count, let high = Self.hexValue(next),
                    let low = Self.hexValue(bytes[index + 1])
                {
                    out.append(high << 4 | low)
                    index += 2
                } else if Self.isEscapable(next) {
                    out.append(next)
                    index += 1
                } else {
                    throw failure("'\\' must precede a special character or two hex digits")
                }
                trailingSpacesStart = nil
            case UInt8(ascii: "\""), UInt8(ascii: ";"), UInt8(ascii: "<"), UInt8(ascii: ">"), 0x00:
                throw failure("character must be escaped")
            case UInt8(ascii: " "):
                if trailingSpacesStart == nil { trailingSpacesStart = out.count }
                out.append(byte)
                index += 1
            default:
                trailingSpacesStart = nil
                out.append(byte)
                index += 1
            }
        }
        return try finishString(out, trimmingFrom: trailingSpacesStart)
    }

    private func finishString(
        _ bytes: [UInt8],
        trimmingFrom trim: Int?
    ) throws
        -> DistinguishedName.Attribute.Value
    {
        let kept = trim.map { Array(bytes[..<$0]) } ?? bytes
        guard let text = String(validating: kept, as: UTF8.self) else {
            throw failure("value is not UTF-8")
        }
        return .text(text)
    }

    private static func isAlpha(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
            || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
    }

    private static func isDigit(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }

    /// special = escaped / SPACE / SHARP / EQUALS, plus ESC itself.
    private static func isEscapable(_ byte: UInt8) -> Bool {
        Array("\"+,;<> #=\\".utf8).contains(byte)
    }

    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}

/// Decodes the BER of one attribute value (a `#`-hex value) through OpenSSL.
enum X509AttributeValueDecoder {
    /// Text for the ASN.1 string types, the bytes unchanged for anything else; nil if
    /// the bytes are not exactly one BER value.
    static func decode(ber: [UInt8]) -> DistinguishedName.Attribute.Value? {
        ber.withUnsafeBufferPointer { buffer -> DistinguishedName.Attribute.Value? in
            guard let base = buffer.baseAddress else { return nil }
            var cursor: UnsafePointer<UInt8>? = base
            guard let type = d2i_ASN1_TYPE(nil, &cursor, buffer.count) else {
                OpenSSLErrorQueue.drain()
                return nil
            }
            defer { ASN1_TYPE_free(type) }
            guard let cursor, cursor - base == buffer.count else { return nil }
            let tag = ASN1_TYPE_get(type)
            guard X509DER.isTextType(tag) else { return .ber(ber) }
            guard let string = type.pointee.value.asn1_string,
                let text = X509DER.text(ofASN1String: string)
            else { return nil }
            return .text(text)
        }
    }
}
