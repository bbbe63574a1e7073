extension Certificate {
    /// The largest PEM bundle accepted (a full public CA bundle is about 220 KiB).
    public static let maximumPEMBundleLength = 16 * 1024 * 1024

    /// Parses exactly one PEM certificate (RFC 7468 §5, label `CERTIFICATE`).
    ///
    /// Only whitespace may surround the block.
    ///
    /// - Throws: ``CertificateError``: `empty`, `notPEM`, `malformedPEM`,
    ///   `unexpectedPEMLabel`, `invalidBase64`, `multipleCertificates`, or the codes
    ///   of ``init(derEncoded:)``.
    public init(pemEncoded pem: String) throws {
        let bytes = Array(pem.utf8)
        guard bytes.count <= Self.maximumPEMBundleLength else {
            throw CertificateError.make(.tooLarge, "PEM text too large")
        }
        try self.init(singlePEM: bytes)
    }

    /// Parses a bundle of PEM certificates (a CA bundle, an `x5c`-like chain file), in order.
    ///
    /// Text between blocks is ignored (bundles carry comments); a block with another
    /// label (a private key, say) is refused, as is a bundle with no certificate.
    ///
    /// - Throws: ``CertificateError``: `noCertificates`, `tooLarge`, the PEM codes, or
    ///   the codes of ``init(derEncoded:)`` for the first certificate that fails.
    public static func parsePEMBundle(_ pem: String) throws -> [Certificate] {
        let bytes = Array(pem.utf8)
        guard bytes.count <= maximumPEMBundleLength else {
            throw CertificateError.make(.tooLarge, "PEM bundle too large")
        }
        let blocks = try X509PEM.decode(bytes, label: "CERTIFICATE", mode: .bundle)
        guard !blocks.isEmpty else {
            throw CertificateError.make(.noCertificates, "PEM bundle holds no certificate")
        }
        return try blocks.map(Certificate.init(derEncoded:))
    }

    /// One strict PEM certificate from bytes (shared by the PEM and web-server forms).
    init(singlePEM bytes: [UInt8]) throws {
        let blocks = try X509PEM.decode(bytes, label: "CERTIFICATE", mode: .strict)
        switch blocks.count {
        case 0:
            if bytes.allSatisfy(Self.isWhitespace) {
                throw CertificateError.make(.empty, "no certificate")
            }
            throw CertificateError.make(.notPEM, "no PEM certificate block")
        case 1:
            try self.init(derEncoded: blocks[0])
        default:
            throw CertificateError.make(.multipleCertificates, "more than one certificate where one is expected")
        }
    }

    static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
    }
}
