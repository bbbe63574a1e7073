import CredenceJSON
import OpenSSLCrypto

/// The one error type of `CredenceJOSE`: a stable ``Code`` naming the check that failed, a
/// `description` safe to log, and details for `debugDescription`.
///
/// The domain translates these where their meaning is known (a failure in a client assertion is
/// `invalid_client`, in a software statement `invalid_software_statement`); tests compare codes.
public struct JOSEError: Error, Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    /// What failed, as an opaque value that compares by kind.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        let name: String

        // Encoding and structure.
        /// Not base64url as RFC 7515 §2 defines it (padding, `+`, `/`, whitespace, stray bits).
        public static let invalidBase64URL = Code(name: "invalid_base64url")
        /// Not standard padded base64 (RFC 4648 §4), where JOSE uses it (`x5c`).
        public static let invalidBase64 = Code(name: "invalid_base64")
        /// Not a compact JWS: not three dot-separated parts, or an empty part.
        public static let malformedJWS = Code(name: "malformed_jws")
        /// Longer than the configured limit (default 16 KiB).
        public static let tooLarge = Code(name: "too_large")
        /// The header, a claims set or a JWK is not valid JSON, or not an object.
        public static let invalidJSON = Code(name: "invalid_json")
        /// A JSON object repeats a member name (RFC 7515 §5.2, RFC 7519 §4).
        public static let duplicateMember = Code(name: "duplicate_member")
        /// JSON nested deeper than allowed.
        public static let tooDeep = Code(name: "too_deep")
        /// A header member is missing or of the wrong type (RFC 7515 §4.1).
        public static let invalidHeader = Code(name: "invalid_header")
        /// `crit` names an extension this verifier does not understand (RFC 7515 §4.1.11).
        public static let unknownCriticalHeader = Code(name: "unknown_critical_header")

        // Algorithms and keys.
        /// `alg` is not one this library implements for public keys (`none` and `HS*` included).
        public static let unsupportedAlgorithm = Code(name: "unsupported_algorithm")
        /// `alg` is implemented but not in the caller's allowlist.
        public static let algorithmNotAllowed = Code(name: "algorithm_not_allowed")
        /// The key's type, curve or size does not fit the algorithm, or its `alg`, `use` or
        /// `key_ops` forbid it.
        public static let keyAlgorithmMismatch = Code(name: "key_algorithm_mismatch")
        /// No key in the set has the `kid` the token names (or the token names none).
        public static let keyNotFound = Code(name: "key_not_found")
        /// More than one key fits the `kid` and algorithm: refused rather than guessed.
        public static let ambiguousKey = Code(name: "ambiguous_key")
        /// A JWK is malformed or its key is refused by policy (RSA below 2048 bits, ...).
        public static let invalidKey = Code(name: "invalid_key")
        /// A JWK carries private members where only a public key may be (RFC 7517 §9.2).
        public static let privateKeyMaterial = Code(name: "private_key_material")
        /// The signature does not verify.
        public static let invalidSignature = Code(name: "invalid_signature")
        /// The `x5c` chain is absent, malformed, does not verify against the trust store at the
        /// validation time, or disagrees with `x5t#S256` (RFC 7515 §4.1.6, §4.1.8).
        public static let untrustedCertificateChain = Code(name: "untrusted_certificate_chain")
        /// Signing failed.
        public static let signingFailed = Code(name: "signing_failed")

        // Claims (RFC 7519 §4.1).
        /// A required claim is absent.
        public static let missingClaim = Code(name: "missing_claim")
        /// A registered claim has the wrong type (`exp` not a number, `aud` not a string or array).
        public static let invalidClaim = Code(name: "invalid_claim")
        /// `exp` is at or before now minus the skew.
        public static let expired = Code(name: "expired")
        /// `nbf` is after now plus the skew.
        public static let notYetValid = Code(name: "not_yet_valid")
        /// `iat` is after now plus the skew.
        public static let issuedInFuture = Code(name: "issued_in_future")
        /// The token lives longer than the rule allows (`exp` − `iat`).
        public static let lifetimeTooLong = Code(name: "lifetime_too_long")
        /// `iss` is not the expected issuer.
        public static let issuerMismatch = Code(name: "issuer_mismatch")
        /// `sub` is not the expected subject.
        public static let subjectMismatch = Code(name: "subject_mismatch")
        /// `aud` does not contain an expected audience.
        public static let audienceMismatch = Code(name: "audience_mismatch")

        /// The stable wire name of the code.
        public var description: String { name }
    }

    /// The check that failed; compare this, never the strings.
    public let code: Code
    /// A reason safe to log and to put in an OAuth `error_description`: no token or key bytes.
    public let reason: String
    /// For ``Code/untrustedCertificateChain`` raised by chain verification: why the chain was
    /// refused (expired, untrusted root, not a CA, ...), so callers can tell the cases apart.
    public let certificateVerificationError: CertificateVerificationError?
    let detail: String
    let file: String
    let line: Int

    init(
        _ code: Code,
        _ reason: String,
        detail: String = "",
        certificateVerificationError: CertificateVerificationError? = nil,
        file: String = #fileID,
        line: Int = #line
    ) {
        self.code = code
        self.reason = reason
        self.detail = detail
        self.certificateVerificationError = certificateVerificationError
        self.file = file
        self.line = line
    }

    /// Equal when the codes are equal.
    public static func == (lhs: JOSEError, rhs: JOSEError) -> Bool { lhs.code == rhs.code }

    /// The code and the safe reason.
    public var description: String { "JOSEError.\(code): \(reason)" }

    /// The description, the underlying error if any, and where the error was raised.
    public var debugDescription: String {
        var text = "JOSEError.\(code): \(reason) (\(file):\(line))"
        if !detail.isEmpty { text += " [\(detail)]" }
        return text
    }
}

extension JOSEError {
    static func make(_ code: Code, _ reason: String, file: String = #fileID, line: Int = #line) -> JOSEError {
        JOSEError(code, reason, file: file, line: line)
    }

    /// Maps a JSON failure in `part` ("header", "claims", "JWK") to a JOSE code.
    static func json(_ error: JSONError, in part: String, file: String = #fileID, line: Int = #line) -> JOSEError {
        let code: Code =
            switch error.code {
            case .duplicateMember: .duplicateMember
            case .tooDeep: .tooDeep
            case .tooLarge: .tooLarge
            default: .invalidJSON
            }
        return JOSEError(
            code,
            "the \(part) is not acceptable JSON (\(error.code))",
            detail: error.debugDescription,
            file: file,
            line: line
        )
    }

    /// Wraps a key policy or decoding failure from OpenSSLCrypto.
    static func key(_ error: CryptoError, _ reason: String, file: String = #fileID, line: Int = #line) -> JOSEError {
        JOSEError(.invalidKey, "\(reason): \(error.reason)", detail: error.debugDescription, file: file, line: line)
    }
}
