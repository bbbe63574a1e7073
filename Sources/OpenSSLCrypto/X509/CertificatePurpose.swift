/// What a verified certificate will be used for: the extended-key-usage and
/// key-usage rules applied to the end-entity (leaf) certificate.
public enum CertificatePurpose: Sendable, Hashable {
    /// A TLS client certificate for RFC 8705 `tls_client_auth`: extendedKeyUsage, when
    /// present, must include id-kp-clientAuth (RFC 5280 §4.2.1.12; OpenSSL's
    /// `X509_PURPOSE_SSL_CLIENT`, which also checks the CAs' extendedKeyUsage); keyUsage,
    /// when present, must include digitalSignature (RFC 5280 §4.2.1.3: the client signs
    /// the handshake); the leaf must not be a CA.
    case tlsClient
    /// A signing certificate, such as the `x5c` leaf of a software statement (RFC 7515
    /// §4.1.6): keyUsage, when present, must include digitalSignature; extendedKeyUsage
    /// is not checked; the leaf must not be a CA.
    case signing
    /// Chain, validity and revocation only: no usage rule at all.
    case any
}
