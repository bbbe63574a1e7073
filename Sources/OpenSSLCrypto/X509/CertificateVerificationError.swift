internal import COpenSSL

/// Why a certificate chain did not verify.
///
/// Equal by ``code`` only. ``description`` is safe to show; ``debugDescription``
/// adds OpenSSL's verify code and text, the depth in the chain and that
/// certificate's subject, for the log.
public struct CertificateVerificationError: Error, Hashable, Sendable, CustomStringConvertible,
    CustomDebugStringConvertible
{
    /// The kind of failure: compare this, never the text.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Backing: String, Hashable, Sendable {
            case unableToGetIssuer, untrustedRoot, selfSignedLeafNotTrusted, leafIsTrustAnchor,
                expired, notYetValid, invalidCA, chainTooLong, purposeMismatch, revoked,
                revocationStatusUnknown, signatureFailure, weakKeyOrAlgorithm,
                unhandledCriticalExtension, nonConformingCertificate, other
        }
        fileprivate let backing: Backing

        /// No issuer for some certificate in the chain among the intermediates given
        /// and the trust store (X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT[_LOCALLY]).
        public static let unableToGetIssuer = Code(backing: .unableToGetIssuer)
        /// The chain ends in a root that is not in the trust store
        /// (X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN, CERT_UNTRUSTED, CERT_REJECTED).
        public static let untrustedRoot = Code(backing: .untrustedRoot)
        /// The leaf is self-signed and not in the trust store (X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT).
        public static let selfSignedLeafNotTrusted = Code(backing: .selfSignedLeafNotTrusted)
        /// The leaf is itself one of the trust anchors: refused by policy (see
        /// ``CertificateTrustStore/verify(leaf:intermediates:at:purpose:)``).
        public static let leafIsTrustAnchor = Code(backing: .leafIsTrustAnchor)
        /// A certificate's notAfter is before the validation time.
        public static let expired = Code(backing: .expired)
        /// A certificate's notBefore is after the validation time.
        public static let notYetValid = Code(backing: .notYetValid)
        /// An issuing certificate is not a CA (basicConstraints cA false or absent,
        /// keyUsage without keyCertSign).
        public static let invalidCA = Code(backing: .invalidCA)
        /// The chain is longer than a CA's pathLenConstraint or the store's depth limit.
        public static let chainTooLong = Code(backing: .chainTooLong)
        /// The leaf's extendedKeyUsage or keyUsage does not allow the purpose, or the leaf is a CA.
        public static let purposeMismatch = Code(backing: .purposeMismatch)
        /// A CRL lists the certificate as revoked.
        public static let revoked = Code(backing: .revoked)
        /// CRLs are configured but none is usable for the certificate (missing,
        /// expired, not yet valid, badly signed): fail closed.
        public static let revocationStatusUnknown = Code(backing: .revocationStatusUnknown)
        /// A signature in the chain does not verify or cannot be checked.
        public static let signatureFailure = Code(backing: .signatureFailure)
        /// A key or signature digest below the 112-bit security level
        /// (RSA under 2048 bits, SHA-1 signatures).
        public static let weakKeyOrAlgorithm = Code(backing: .weakKeyOrAlgorithm)
        /// A critical extension OpenSSL does not understand (RFC 5280 §4.2).
        public static let unhandledCriticalExtension = Code(backing: .unhandledCriticalExtension)
        /// A certificate of the chain breaks an RFC 5280 profile rule that OpenSSL checks with
        /// `X509_V_FLAG_X509_STRICT`: a CA whose basicConstraints is not critical (§4.2.1.9) or
        /// that has no keyUsage (§4.2.1.3) or no subject key identifier (§4.2.1.2), a missing
        /// authority key identifier (§4.2.1.1), an empty issuer or subject, pathLenConstraint
        /// on a non-CA, extensions in a version 1 certificate, explicit EC parameters.
        public static let nonConformingCertificate = Code(backing: .nonConformingCertificate)
        /// Anything else; the OpenSSL code is in ``CertificateVerificationError/debugDescription``.
        public static let other = Code(backing: .other)

        /// The code's name, for logs.
        public var description: String { backing.rawValue }
    }

    /// What went wrong, for comparison.
    public let code: Code
    /// OpenSSL's `X509_V_ERR_*` value, or 0 when the refusal is Credence's own policy.
    public let openSSLCode: Int
    /// Depth in the chain of the certificate at fault (0 is the leaf), or -1 if unknown.
    public let depth: Int
    private let reason: String
    private let detail: String

    init(code: Code, openSSLCode: Int = 0, depth: Int = -1, reason: String, detail: String = "") {
        self.code = code
        self.openSSLCode = openSSLCode
        self.depth = depth
        self.reason = reason
        self.detail = detail
    }

    /// Safe to show: the code and the rule, nothing of the certificate.
    public var description: String { "CertificateVerificationError.\(code): \(reason)" }

    /// For logs: OpenSSL's code and text, the depth and subject at fault.
    public var debugDescription: String {
        var text = "CertificateVerificationError.\(code): \(reason)"
        if openSSLCode != 0 { text += " [X509_V_ERR \(openSSLCode)]" }
        if depth >= 0 { text += " at depth \(depth)" }
        if !detail.isEmpty { text += " (\(detail))" }
        return text
    }

    /// Equal by code only: tests and callers compare codes, never text.
    public static func == (lhs: CertificateVerificationError, rhs: CertificateVerificationError) -> Bool {
        lhs.code == rhs.code
    }

    /// Hashes the code only, consistent with `==`.
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }

    /// Maps an `X509_STORE_CTX_get_error` value to a code.
    static func code(forOpenSSLError error: Int32) -> Code {
        switch error {
        case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY,
            X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
            return .unableToGetIssuer
        case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN, X509_V_ERR_CERT_UNTRUSTED, X509_V_ERR_CERT_REJECTED:
            return .untrustedRoot
        case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
            return .selfSignedLeafNotTrusted
        case X509_V_ERR_CERT_HAS_EXPIRED:
            return .expired
        case X509_V_ERR_CERT_NOT_YET_VALID:
            return .notYetValid
        case X509_V_ERR_INVALID_CA, X509_V_ERR_KEYUSAGE_NO_CERTSIGN, X509_V_ERR_INVALID_NON_CA:
            return .invalidCA
        case X509_V_ERR_PATH_LENGTH_EXCEEDED, X509_V_ERR_CERT_CHAIN_TOO_LONG:
            return .chainTooLong
        case X509_V_ERR_INVALID_PURPOSE, X509_V_ERR_KEYUSAGE_NO_DIGITAL_SIGNATURE:
            return .purposeMismatch
        case X509_V_ERR_CERT_REVOKED:
            return .revoked
        case X509_V_ERR_UNABLE_TO_GET_CRL, X509_V_ERR_UNABLE_TO_DECRYPT_CRL_SIGNATURE,
            X509_V_ERR_CRL_SIGNATURE_FAILURE, X509_V_ERR_CRL_NOT_YET_VALID, X509_V_ERR_CRL_HAS_EXPIRED,
            X509_V_ERR_ERROR_IN_CRL_LAST_UPDATE_FIELD, X509_V_ERR_ERROR_IN_CRL_NEXT_UPDATE_FIELD,
            X509_V_ERR_UNABLE_TO_GET_CRL_ISSUER, X509_V_ERR_KEYUSAGE_NO_CRL_SIGN,
            X509_V_ERR_UNHANDLED_CRITICAL_CRL_EXTENSION, X509_V_ERR_DIFFERENT_CRL_SCOPE,
            X509_V_ERR_CRL_PATH_VALIDATION_ERROR:
            return .revocationStatusUnknown
        case X509_V_ERR_CERT_SIGNATURE_FAILURE, X509_V_ERR_UNABLE_TO_DECRYPT_CERT_SIGNATURE,
            X509_V_ERR_UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY, X509_V_ERR_UNSUPPORTED_SIGNATURE_ALGORITHM,
            X509_V_ERR_SIGNATURE_ALGORITHM_MISMATCH, X509_V_ERR_SIGNATURE_ALGORITHM_INCONSISTENCY:
            return .signatureFailure
        case X509_V_ERR_EE_KEY_TOO_SMALL, X509_V_ERR_CA_KEY_TOO_SMALL, X509_V_ERR_CA_MD_TOO_WEAK:
            return .weakKeyOrAlgorithm
        case X509_V_ERR_UNHANDLED_CRITICAL_EXTENSION:
            return .unhandledCriticalExtension
        case X509_V_ERR_PATHLEN_INVALID_FOR_NON_CA, X509_V_ERR_PATHLEN_WITHOUT_KU_KEY_CERT_SIGN,
            X509_V_ERR_KU_KEY_CERT_SIGN_INVALID_FOR_NON_CA, X509_V_ERR_ISSUER_NAME_EMPTY,
            X509_V_ERR_SUBJECT_NAME_EMPTY, X509_V_ERR_MISSING_AUTHORITY_KEY_IDENTIFIER,
            X509_V_ERR_MISSING_SUBJECT_KEY_IDENTIFIER, X509_V_ERR_EMPTY_SUBJECT_ALT_NAME,
            X509_V_ERR_EMPTY_SUBJECT_SAN_NOT_CRITICAL, X509_V_ERR_CA_BCONS_NOT_CRITICAL,
            X509_V_ERR_AUTHORITY_KEY_IDENTIFIER_CRITICAL, X509_V_ERR_SUBJECT_KEY_IDENTIFIER_CRITICAL,
            X509_V_ERR_CA_CERT_MISSING_KEY_USAGE, X509_V_ERR_EXTENSIONS_REQUIRE_VERSION_3,
            X509_V_ERR_EC_KEY_EXPLICIT_PARAMS:
            return .nonConformingCertificate
        default:
            return .other
        }
    }
}
