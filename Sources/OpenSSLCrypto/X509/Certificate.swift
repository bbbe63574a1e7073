import Foundation
import Synchronization

/// An X.509 certificate (RFC 5280), parsed and checked by OpenSSL 3.
///
/// Credence reads client certificates for RFC 8705 mutual-TLS client
/// authentication and certificate-bound tokens, and `x5c` chains of software
/// statements. A value is immutable and cheap to copy (one shared, reference-counted
/// OpenSSL `X509`); every field is decoded once, at parsing, so reading one never
/// fails, and a certificate whose fields do not decode is refused up front.
///
/// Equality and hashing are by the DER encoding.
public struct Certificate: Sendable, Hashable, CustomStringConvertible {
    let storage: Storage

    init(storage: Storage) {
        self.storage = storage
    }

    /// The DER encoding (RFC 5280 §4.1), exactly the bytes that were parsed.
    public var derEncoded: [UInt8] { storage.der }

    /// SHA-256 of ``derEncoded``: the RFC 8705 §3.1 `x5t#S256` confirmation value
    /// before base64url encoding (also RFC 7515 §4.1.8 `x5t#S256`).
    public var sha256Thumbprint: [UInt8] { storage.sha256 }

    /// The subject name (RFC 5280 §4.1.2.6).
    public var subject: DistinguishedName { storage.subject }

    /// ``subject`` prepared for ``PreparedDistinguishedName/matches(_:)``: computed on
    /// first use and kept with the parsed certificate, which every copy of the value
    /// shares, so a certificate matched on every request is prepared once.
    public var preparedSubject: PreparedDistinguishedName {
        storage.preparedSubject.withLock { cached in
            if let cached { return cached }
            let prepared = PreparedDistinguishedName(storage.subject)
            cached = prepared
            return prepared
        }
    }

    /// The issuer name (RFC 5280 §4.1.2.4).
    public var issuer: DistinguishedName { storage.issuer }

    /// The serial number as upper-case hex, two digits per byte of its magnitude, as
    /// `openssl x509 -serial` prints it (`-` in front for a negative, invalid, serial).
    public var serialNumber: String { storage.serialNumber }

    /// Start of the validity period (RFC 5280 §4.1.2.5).
    public var notValidBefore: Date { storage.notValidBefore }

    /// End of the validity period (RFC 5280 §4.1.2.5). RFC 5280 makes it inclusive;
    /// OpenSSL's verification treats this very second as already expired.
    public var notValidAfter: Date { storage.notValidAfter }

    /// The subjectAltName entries in certificate order; empty without the extension.
    public var subjectAlternativeNames: [GeneralName] { storage.subjectAlternativeNames }

    /// Subject and issuer are the same name (RFC 5280 §6.1: "self-issued"); a
    /// self-signed certificate is self-issued, but self-issued does not prove it.
    public var isSelfIssued: Bool { storage.isSelfIssued }

    /// basicConstraints says `cA: TRUE` (RFC 5280 §4.2.1.9).
    public var isCA: Bool { storage.isCA }

    /// The DER SubjectPublicKeyInfo (RFC 5280 §4.1.2.7): turn it into a public key to
    /// verify signatures, or compare it with a registered JWK for RFC 8705 §2.2
    /// `self_signed_tls_client_auth`.
    public var subjectPublicKeyInfoDER: [UInt8] { storage.subjectPublicKeyInfo }

    /// Subject, issuer and serial, for logs.
    public var description: String {
        "Certificate(subject: \(subject.rfc4514String), issuer: \(issuer.rfc4514String), serial: \(serialNumber))"
    }

    /// Equal when the DER encodings are equal.
    public static func == (lhs: Certificate, rhs: Certificate) -> Bool {
        lhs.storage === rhs.storage || lhs.storage.der == rhs.storage.der
    }

    /// Hashes the DER encoding.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(storage.der)
    }
}

extension Certificate {
    /// Everything decoded from one certificate, shared by all copies of the value.
    final class Storage: Sendable {
        let handle: X509Handle
        let der: [UInt8]
        let sha256: [UInt8]
        let subject: DistinguishedName
        let issuer: DistinguishedName
        let serialNumber: String
        let notValidBefore: Date
        let notValidAfter: Date
        let subjectAlternativeNames: [GeneralName]
        let isSelfIssued: Bool
        let isCA: Bool
        let subjectPublicKeyInfo: [UInt8]
        /// The keyUsage bits (OpenSSL's `KU_*`), nil without the extension.
        let keyUsage: UInt32?
        /// ``Certificate/preparedSubject`` once computed.
        let preparedSubject = Mutex<PreparedDistinguishedName?>(nil)

        init(
            handle: X509Handle,
            der: [UInt8],
            sha256: [UInt8],
            subject: DistinguishedName,
            issuer: DistinguishedName,
            serialNumber: String,
            notValidBefore: Date,
            notValidAfter: Date,
            subjectAlternativeNames: [GeneralName],
            isSelfIssued: Bool,
            isCA: Bool,
            subjectPublicKeyInfo: [UInt8],
            keyUsage: UInt32?
        ) {
            self.handle = handle
            self.der = der
            self.sha256 = sha256
            self.subject = subject
            self.issuer = issuer
            self.serialNumber = serialNumber
            self.notValidBefore = notValidBefore
            self.notValidAfter = notValidAfter
            self.subjectAlternativeNames = subjectAlternativeNames
            self.isSelfIssued = isSelfIssued
            self.isCA = isCA
            self.subjectPublicKeyInfo = subjectPublicKeyInfo
            self.keyUsage = keyUsage
        }
    }
}
