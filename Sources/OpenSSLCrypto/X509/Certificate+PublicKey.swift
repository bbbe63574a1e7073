extension Certificate {
    /// The certificate's subject public key as a verification key, for
    /// `self_signed_tls_client_auth` (RFC 8705 §2.2: the presented key must be
    /// one the client registered) and for software statements signed with an
    /// `x5c` chain. Keys the key policy refuses (RSA under 2048 bits, curves
    /// JOSE does not use) throw.
    public func publicKey() throws(CryptoError) -> PublicKey {
        try PublicKey(subjectPublicKeyInfoDER: subjectPublicKeyInfoDER)
    }
}
