public import OpenSSLCrypto

/// The JWS algorithms this library verifies and signs with public-key cryptography
/// (RFC 7518 §3.1, RFC 8037 §3.1).
///
/// `none` and the HMAC algorithms (`HS256`...) have no case: a header naming them fails with
/// ``JOSEError/Code/unsupportedAlgorithm``, so no allowlist can ever contain them.
public enum JWSAlgorithm: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// RSASSA-PKCS1-v1_5 with SHA-256 (RFC 7518 §3.3).
    case rs256 = "RS256"
    /// RSASSA-PKCS1-v1_5 with SHA-384.
    case rs384 = "RS384"
    /// RSASSA-PKCS1-v1_5 with SHA-512.
    case rs512 = "RS512"
    /// RSASSA-PSS with SHA-256, MGF1-SHA-256, 32-byte salt (RFC 7518 §3.5).
    case ps256 = "PS256"
    /// RSASSA-PSS with SHA-384.
    case ps384 = "PS384"
    /// RSASSA-PSS with SHA-512.
    case ps512 = "PS512"
    /// ECDSA on P-256 with SHA-256 (RFC 7518 §3.4).
    case es256 = "ES256"
    /// ECDSA on P-384 with SHA-384.
    case es384 = "ES384"
    /// ECDSA on P-521 with SHA-512.
    case es512 = "ES512"
    /// EdDSA, with Ed25519 keys only (RFC 8037 §3.1).
    case edDSA = "EdDSA"

    /// The `alg` header value.
    public var description: String { rawValue }

    /// The OpenSSL-level scheme that computes this algorithm.
    public var scheme: SignatureScheme {
        switch self {
        case .rs256: .rsaPKCS1v15(.sha256)
        case .rs384: .rsaPKCS1v15(.sha384)
        case .rs512: .rsaPKCS1v15(.sha512)
        case .ps256: .rsaPSS(.sha256)
        case .ps384: .rsaPSS(.sha384)
        case .ps512: .rsaPSS(.sha512)
        case .es256: .ecdsa(.sha256)
        case .es384: .ecdsa(.sha384)
        case .es512: .ecdsa(.sha512)
        case .edDSA: .ed25519
        }
    }

    /// Whether a key of `kind` may be used with this algorithm: RSA for RS*/PS* (the key's
    /// existence already means ≥ 2048 bits), P-256 only for ES256, P-384 for ES384, P-521 for
    /// ES512, Ed25519 for EdDSA.
    public func fits(_ kind: KeyKind) -> Bool { scheme.fits(kind) }

    /// Whether a JWK without `alg` may be used with this algorithm (see
    /// ``JWK/usableAlgorithms``): every algorithm but RSASSA-PKCS1-v1_5, so that an RSA key
    /// without `alg` serves the PSS family only (RFC 8725 §3.1).
    var isUsableWithoutDeclaredAlgorithm: Bool {
        switch self {
        case .rs256, .rs384, .rs512: false
        case .ps256, .ps384, .ps512, .es256, .es384, .es512, .edDSA: true
        }
    }

    /// Parses an `alg` value; `none`, `HS*` and anything unknown fail.
    public init(headerValue: String) throws(JOSEError) {
        guard let algorithm = JWSAlgorithm(rawValue: headerValue) else {
            throw .make(.unsupportedAlgorithm, "algorithm \(Self.printable(headerValue)) is not accepted")
        }
        self = algorithm
    }

    /// An `alg` value fit for a log line: short and printable.
    static func printable(_ value: String) -> String {
        let clipped = value.unicodeScalars.prefix(16).map {
            $0.isASCII && $0.value >= 0x20 && $0.value < 0x7F ? Character($0) : "?"
        }
        return "\"" + String(clipped) + (value.unicodeScalars.count > 16 ? "…" : "") + "\""
    }
}
