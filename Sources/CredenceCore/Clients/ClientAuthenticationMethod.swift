/// How a client proves who it is at the token, introspection and revocation endpoints
/// (`token_endpoint_auth_method`, RFC 7591 §2). A client registers exactly one, and a
/// request authenticated any other way is refused.
public enum ClientAuthenticationMethod: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// RFC 6749 §2.3.1: the secret in HTTP Basic.
    case clientSecretBasic = "client_secret_basic"
    /// RFC 6749 §2.3.1: the secret in the form body.
    case clientSecretPost = "client_secret_post"
    /// RFC 7523 §2.2: a JWT signed with the client's registered key.
    case privateKeyJWT = "private_key_jwt"
    /// RFC 8705 §2.1: a TLS client certificate from a trusted CA with the registered subject.
    case tlsClientAuth = "tls_client_auth"
    /// RFC 8705 §2.2: a TLS client certificate whose key is in the client's registered JWKS.
    case selfSignedTLSClientAuth = "self_signed_tls_client_auth"

    /// Whether the server keeps a (hashed) secret for the client.
    public var usesSecret: Bool { self == .clientSecretBasic || self == .clientSecretPost }

    /// Whether the client's keys (`jwks` or `jwks_uri`) are needed.
    public var usesClientKeys: Bool { self == .privateKeyJWT || self == .selfSignedTLSClientAuth }

    /// Whether a TLS client certificate is the credential.
    public var usesCertificate: Bool { self == .tlsClientAuth || self == .selfSignedTLSClientAuth }

    public var description: String { rawValue }
}
