internal import COpenSSL
import Foundation

extension Certificate {
    /// The largest DER certificate accepted; real ones are 1–4 KiB.
    public static let maximumDERLength = 65_536

    /// Parses one DER-encoded certificate (RFC 5280 §4.1), an `x5c` entry once
    /// base64-decoded (RFC 7515 §4.1.6).
    ///
    /// Strict: the bytes must be exactly one certificate (no trailing bytes) in DER
    /// (OpenSSL's re-encoding must give the same bytes, so ``sha256Thumbprint`` is the
    /// thumbprint every other party computes), and every field Credence reads must
    /// decode: names, times, extensions (a repeated or undecodable extension is refused).
    ///
    /// - Throws: ``CertificateError`` with code `empty`, `tooLarge`, `malformedDER` or
    ///   `malformedField`.
    public init(derEncoded der: [UInt8]) throws {
        guard !der.isEmpty else { throw CertificateError.make(.empty, "no certificate bytes") }
        guard der.count <= Self.maximumDERLength else {
            throw CertificateError.make(.tooLarge, "certificate larger than \(Self.maximumDERLength) bytes")
        }
        let pointer: OpaquePointer = try der.withUnsafeBufferPointer { buffer in
            var cursor = buffer.baseAddress
            guard let base = buffer.baseAddress, let x509 = d2i_X509(nil, &cursor, buffer.count) else {
                throw CertificateError.openSSL(.malformedDER, "not a DER X.509 certificate")
            }
            guard let cursor, cursor - base == buffer.count else {
                X509_free(x509)
                throw CertificateError.make(.malformedDER, "bytes after the certificate")
            }
            return x509
        }
        self.init(storage: try Self.decode(X509Handle(taking: pointer), der: der))
    }

    /// Decodes every field of a parsed certificate into a ``Storage``.
    static func decode(_ handle: X509Handle, der: [UInt8]) throws -> Storage {
        let x509 = handle.pointer
        guard let reencoded = X509DER.encode({ i2d_X509(x509, $0) }), reencoded == der else {
            throw CertificateError.make(.malformedDER, "not DER: re-encoding differs")
        }
        let flags = X509_get_extension_flags(x509)
        guard flags & UInt32(EXFLAG_INVALID) == 0 else {
            OpenSSLErrorQueue.drain()
            throw CertificateError.make(.malformedField, "an extension does not decode or is repeated")
        }
        let sha256 = Digest.sha256(der)
        guard let subjectName = X509_get_subject_name(x509), let issuerName = X509_get_issuer_name(x509)
        else {
            throw CertificateError.openSSL(.malformedField, "no subject or issuer")
        }
        let subject = try DistinguishedName(x509Name: subjectName)
        let issuer = try DistinguishedName(x509Name: issuerName)
        guard let notBefore = X509_get0_notBefore(x509).flatMap(Self.date(from:)),
            let notAfter = X509_get0_notAfter(x509).flatMap(Self.date(from:))
        else {
            throw CertificateError.make(.malformedField, "validity time does not decode")
        }
        guard let serial = X509_get0_serialNumber(x509) else {
            throw CertificateError.openSSL(.malformedField, "no serial number")
        }
        let magnitude = X509DER.bytes(ofASN1String: serial)
        let serialNumber =
            (ASN1_STRING_type(serial) == V_ASN1_NEG_INTEGER ? "-" : "")
            + (magnitude.isEmpty ? "00" : X509DER.hex(magnitude))
        guard let publicKey = X509_get_X509_PUBKEY(x509),
            let spki = X509DER.encode({ i2d_X509_PUBKEY(publicKey, $0) })
        else {
            throw CertificateError.openSSL(.malformedField, "subjectPublicKeyInfo does not encode")
        }
        let keyUsage = flags & UInt32(EXFLAG_KUSAGE) != 0 ? X509_get_key_usage(x509) : nil
        return Storage(
            handle: handle,
            der: der,
            sha256: sha256,
            subject: subject,
            issuer: issuer,
            serialNumber: serialNumber,
            notValidBefore: notBefore,
            notValidAfter: notAfter,
            subjectAlternativeNames: try subjectAlternativeNames(x509),
            isSelfIssued: X509_NAME_cmp(subjectName, issuerName) == 0,
            isCA: flags & UInt32(EXFLAG_CA) != 0,
            subjectPublicKeyInfo: spki,
            keyUsage: keyUsage
        )
    }

    /// An ASN1_TIME (UTCTime or GeneralizedTime) as a Date, through `ASN1_TIME_diff` from the epoch.
    private static func date(from time: UnsafePointer<ASN1_TIME>) -> Date? {
        guard let epoch = ASN1_TIME_set(nil, 0) else {
            OpenSSLErrorQueue.drain()
            return nil
        }
        defer { ASN1_TIME_free(epoch) }
        var days: Int32 = 0
        var seconds: Int32 = 0
        guard ASN1_TIME_diff(&days, &seconds, epoch, time) == 1 else {
            OpenSSLErrorQueue.drain()
            return nil
        }
        return Date(timeIntervalSince1970: Double(days) * 86_400 + Double(seconds))
    }

    /// The subjectAltName extension's entries; empty when absent.
    private static func subjectAlternativeNames(_ x509: OpaquePointer) throws -> [GeneralName] {
        var critical: Int32 = 0
        guard let raw = X509_get_ext_d2i(x509, NID_subject_alt_name, &critical, nil) else {
            OpenSSLErrorQueue.drain()
            if critical == -1 { return [] }
            throw CertificateError.make(.malformedField, "subjectAltName does not decode or is repeated")
        }
        let names = OpaquePointer(raw)
        defer { COpenSSL_GENERAL_NAMES_free(names) }
        var result: [GeneralName] = []
        for index in 0..<COpenSSL_sk_GENERAL_NAME_num(names) {
            guard let name = COpenSSL_sk_GENERAL_NAME_value(names, index) else {
                result.append(.other)
                continue
            }
            switch name.pointee.type {
            case GEN_DNS:
                result.append(ia5Text(name.pointee.d.dNSName).map(GeneralName.dnsName) ?? .other)
            case GEN_URI:
                result.append(
                    ia5Text(name.pointee.d.uniformResourceIdentifier).map(GeneralName.uniformResourceIdentifier)
                        ?? .other
                )
            case GEN_EMAIL:
                result.append(ia5Text(name.pointee.d.rfc822Name).map(GeneralName.emailAddress) ?? .other)
            case GEN_IPADD:
                let text = name.pointee.d.iPAddress.flatMap {
                    GeneralName.formatIPAddress(X509DER.bytes(ofASN1String: $0))
                }
                result.append(text.map(GeneralName.ipAddress) ?? .other)
            default:
                result.append(.other)
            }
        }
        return result
    }

    /// An IA5String SAN value as text; nil (so `.other`) when empty or not printable ASCII.
    private static func ia5Text(_ string: UnsafeMutablePointer<ASN1_STRING>?) -> String? {
        guard let string else { return nil }
        let bytes = X509DER.bytes(ofASN1String: string)
        guard !bytes.isEmpty, bytes.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }
}

extension DistinguishedName {
    /// Reads an OpenSSL `X509_NAME`, grouping entries that share a set index into one RDN.
    init(x509Name name: OpaquePointer) throws {
        var rdns: [RelativeDistinguishedName] = []
        var currentSet: Int32 = -1
        for index in 0..<X509_NAME_entry_count(name) {
            guard let entry = X509_NAME_get_entry(name, index),
                let object = X509_NAME_ENTRY_get_object(entry),
                let oid = X509DER.dottedOID(object),
                let data = X509_NAME_ENTRY_get_data(entry)
            else {
                throw CertificateError.openSSL(.malformedField, "name attribute does not decode")
            }
            let attribute = Attribute(oid: oid, value: try Self.value(of: data))
            let set = X509_NAME_ENTRY_set(entry)
            if set == currentSet, !rdns.isEmpty {
                rdns[rdns.count - 1].attributes.append(attribute)
            } else {
                rdns.append(RelativeDistinguishedName([attribute]))
                currentSet = set
            }
        }
        self.init(rdns)
    }

    /// Text for string types; the DER of the value for anything else.
    private static func value(of data: UnsafeMutablePointer<ASN1_STRING>) throws -> Attribute.Value {
        let type = ASN1_STRING_type(data)
        if X509DER.isTextType(type) {
            guard let text = X509DER.text(ofASN1String: data) else {
                throw CertificateError.make(.malformedField, "name attribute is not valid text for its string type")
            }
            return .text(text)
        }
        guard let any = ASN1_TYPE_new() else {
            throw CertificateError.openSSL(.internalError, "ASN1_TYPE_new failed")
        }
        defer { ASN1_TYPE_free(any) }
        guard ASN1_TYPE_set1(any, type, data) == 1, let der = X509DER.encode({ i2d_ASN1_TYPE(any, $0) })
        else {
            throw CertificateError.openSSL(.malformedField, "name attribute value does not encode")
        }
        return .ber(der)
    }
}
