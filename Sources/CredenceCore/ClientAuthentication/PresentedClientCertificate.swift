public import Foundation
public import OpenSSLCrypto

/// The TLS client certificate a web server says the client presented in its handshake,
/// before anyone has checked who issued it. With `optional_no_ca` the web server verifies
/// nothing, so this value deliberately offers no subject and no SAN: the only uses of an
/// unverified certificate are its thumbprint (RFC 8705 §3 token binding), its public key
/// (RFC 8705 §2.2 `self_signed_tls_client_auth`, matched against registered keys), and
/// ``verified(by:at:)``, the one way to the names a `tls_client_auth` client is matched by.
public struct PresentedClientCertificate: Sendable {
    private let certificate: Certificate

    /// Wraps a certificate the web server took from its own TLS session.
    public init(certificate: Certificate) {
        self.certificate = certificate
    }

    /// SHA-256 of the DER certificate (RFC 8705 §3.1 `x5t#S256`, before base64url).
    public var sha256Thumbprint: [UInt8] { certificate.sha256Thumbprint }

    /// The certificate's DER SubjectPublicKeyInfo, as the certificate encodes it (no import).
    public var subjectPublicKeyInfoDER: [UInt8] { certificate.subjectPublicKeyInfoDER }

    /// The certificate's public key, validated on import (for `self_signed_tls_client_auth`).
    public func publicKey() throws(CryptoError) -> PublicKey { try certificate.publicKey() }

    /// Checks the chain to `trustStore` at `time` for TLS client use (signatures, validity,
    /// CA constraints, extendedKeyUsage clientAuth, revocation where configured) and only
    /// then gives access to the subject and SANs. Web servers pass the leaf alone, so the
    /// trust store must hold the issuing CAs too.
    public func verified(
        by trustStore: CertificateTrustStore,
        at time: Date
    ) -> Result<VerifiedClientCertificate, CertificateVerificationError> {
        trustStore.verify(leaf: certificate, at: time, purpose: .tlsClient).map { _ in
            VerifiedClientCertificate(certificate: certificate)
        }
    }
}

/// A client certificate whose chain to a trusted CA has been checked: its names may now
/// identify a `tls_client_auth` client (RFC 8705 §2.1).
public struct VerifiedClientCertificate: Sendable {
    private let certificate: Certificate

    fileprivate init(certificate: Certificate) {
        self.certificate = certificate
    }

    /// The subject DN.
    public var subject: DistinguishedName { certificate.subject }

    /// The subjectAltName entries.
    public var subjectAlternativeNames: [GeneralName] { certificate.subjectAlternativeNames }

    /// SHA-256 of the DER certificate.
    public var sha256Thumbprint: [UInt8] { certificate.sha256Thumbprint }

    /// The certificate as presented, to verify again against another trust store (a trusted
    /// issuer's transport CAs, for the registration's certificate binding).
    public var presented: PresentedClientCertificate { PresentedClientCertificate(certificate: certificate) }

    /// RFC 8705 §2.1.2: whether the subject equals a registered DN, parsed and compared
    /// with RFC 4518 matching in RFC 4514 order. An empty DN (registered or presented) never
    /// matches: zero RDNs equal zero RDNs, but identify no one.
    public func matches(subjectDN registered: DistinguishedName) -> Bool {
        matches(subjectDN: PreparedDistinguishedName(registered))
    }

    /// ``matches(subjectDN:)-(DistinguishedName)`` with the registered DN prepared once
    /// (``RegisteredSubjectDNCache``); the subject's prepared form is kept with the
    /// certificate.
    public func matches(subjectDN registered: PreparedDistinguishedName) -> Bool {
        guard !registered.isEmpty, !subject.isEmpty else { return false }
        return certificate.preparedSubject.matches(registered)
    }

    /// RFC 8705 §2.1.2: whether one of the certificate's SANs of the registered kind equals
    /// the registered value (dNSName case-insensitively, iPAddress in canonical form, URI
    /// and e-mail exactly, by bytes).
    public func matches(_ registered: CertificateSubjectName) -> Bool {
        subjectAlternativeNames.contains { name in
            switch (registered, name) {
            case (.dns(let expected), .dnsName(let actual)):
                return !expected.isEmpty && expected.utf8.count == actual.utf8.count
                    && expected.lowercasedASCII().utf8.elementsEqual(actual.lowercasedASCII().utf8)
            case (.uri(let expected), .uniformResourceIdentifier(let actual)):
                return !expected.isEmpty && expected.utf8.elementsEqual(actual.utf8)
            case (.email(let expected), .emailAddress(let actual)):
                return !expected.isEmpty && expected.utf8.elementsEqual(actual.utf8)
            case (.ip(let expected), .ipAddress(let actual)):
                guard let canonical = GeneralName.canonicalIPAddress(expected) else { return false }
                return canonical.utf8.elementsEqual(actual.utf8)
            default:
                return false
            }
        }
    }
}

extension String {
    /// ASCII letters lowered, every other byte kept (DNS names compare this way, RFC 4343).
    func lowercasedASCII() -> String {
        String(decoding: utf8.map { (0x41...0x5A).contains($0) ? $0 + 0x20 : $0 }, as: UTF8.self)
    }
}
