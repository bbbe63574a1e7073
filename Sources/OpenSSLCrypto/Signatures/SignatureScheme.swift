/// A signature algorithm at the level of OpenSSL: what is computed, not how JOSE names it.
///
/// Each case fixes every parameter, so a caller can never verify with weaker settings than
/// the scheme says (RFC 7518 §3).
public enum SignatureScheme: Sendable, Hashable {
    /// RSASSA-PKCS1-v1_5 (RFC 8017 §8.2) with the given digest: RS256/384/512.
    case rsaPKCS1v15(Digest)
    /// RSASSA-PSS (RFC 8017 §8.1) with MGF1 over the same digest and a salt as long as the
    /// digest, as RFC 7518 §3.5 requires: PS256/384/512.
    case rsaPSS(Digest)
    /// ECDSA with the signature as raw `R || S` (IEEE P1363, RFC 7518 §3.4), each half exactly
    /// the curve's coordinate length; the digest must be the curve's own: ES256/384/512.
    case ecdsa(Digest)
    /// Ed25519 (RFC 8032 §5.1, RFC 8037 §3.1): EdDSA.
    case ed25519

    /// Whether a key of `kind` may be used with this scheme.
    public func fits(_ kind: KeyKind) -> Bool {
        switch (self, kind) {
        case (.rsaPKCS1v15, .rsa), (.rsaPSS, .rsa): true
        case (.ecdsa(let digest), .ec(let curve)): curve.digest == digest
        case (.ed25519, .ed25519): true
        default: false
        }
    }
}
