/// The elliptic curves JOSE uses for ECDSA (RFC 7518 §3.4, §6.2.1.1); nothing else is accepted.
public enum EllipticCurve: Sendable, Hashable, CaseIterable {
    /// NIST P-256 (secp256r1), for ES256.
    case p256
    /// NIST P-384 (secp384r1), for ES384.
    case p384
    /// NIST P-521 (secp521r1), for ES512.
    case p521

    /// Length of one field element (a coordinate, or `r`/`s` of a raw signature) in bytes.
    public var coordinateByteCount: Int {
        switch self {
        case .p256: 32
        case .p384: 48
        case .p521: 66
        }
    }

    /// The one digest RFC 7518 §3.4 pairs with this curve.
    public var digest: Digest {
        switch self {
        case .p256: .sha256
        case .p384: .sha384
        case .p521: .sha512
        }
    }

    /// OpenSSL's group name (also the JWK `crv` value).
    var groupName: String {
        switch self {
        case .p256: "P-256"
        case .p384: "P-384"
        case .p521: "P-521"
        }
    }

    init?(openSSLGroupName name: String) {
        switch name {
        case "prime256v1", "P-256", "secp256r1": self = .p256
        case "secp384r1", "P-384": self = .p384
        case "secp521r1", "P-521": self = .p521
        default: return nil
        }
    }
}

/// What a key is, without its material: used to check that a key fits an algorithm, and to
/// say which key to generate.
public enum KeyKind: Sendable, Hashable {
    /// An RSA key with a modulus of `bits` bits.
    case rsa(bits: Int)
    /// An ECDSA key on one of the JOSE curves.
    case ec(EllipticCurve)
    /// An Ed25519 key (RFC 8032, RFC 8037).
    case ed25519
}

/// Size limits for RSA keys, applied to every key that enters the process.
public enum RSAKeyPolicy {
    /// The smallest modulus accepted: RFC 7518 §3.3 requires 2048 bits.
    public static let minimumBits = 2048
    /// The largest modulus accepted, bounding the cost an attacker-supplied key can impose
    /// (importing one validates it: about 0.6 s of CPU at 8192 bits, see `PublicKey`).
    public static let maximumBits = 8192
}
