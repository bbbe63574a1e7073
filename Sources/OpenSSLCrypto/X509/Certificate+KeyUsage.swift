internal import COpenSSL
import Foundation

extension Certificate {
    /// Whether the key may make signatures: the keyUsage extension, where present, has
    /// digitalSignature (RFC 5280 §4.2.1.3); without the extension every use is allowed.
    public var allowsDigitalSignature: Bool {
        storage.keyUsage.map { $0 & UInt32(KU_DIGITAL_SIGNATURE) != 0 } ?? true
    }

    /// Where `date` falls in the validity period (RFC 5280 §4.1.2.5, both ends inclusive).
    public func validity(at date: Date) -> CertificateValidity {
        if date < notValidBefore { return .notYetValid }
        if date > notValidAfter { return .expired }
        return .valid
    }
}

/// Where an instant falls in a certificate's validity period: a key taken from a certificate
/// is used only while the certificate is valid.
public enum CertificateValidity: Sendable, Hashable {
    /// Within notBefore … notAfter.
    case valid
    /// Before notBefore.
    case notYetValid
    /// After notAfter.
    case expired
}
