/// The decisions of the `client_credentials` grant (RFC 6749 §4.4) once the client is
/// authenticated: may it use the grant, which scopes it gets, and whether the token is
/// bound to its certificate (RFC 8705 §3).
public struct ClientCredentialsGrant: Sendable {
    /// `client_credentials`.
    public static let grantType = "client_credentials"
    /// Bind every token to the client certificate, whatever the client registered.
    public let forceCertificateBinding: Bool

    /// Creates the grant's rules.
    public init(forceCertificateBinding: Bool) {
        self.forceCertificateBinding = forceCertificateBinding
    }

    /// RFC 6749 §5.2 `unauthorized_client` unless the client registered this grant.
    public func checkGrantAllowed(for client: Client) throws(OAuthError) {
        guard client.metadata.grantTypes.contains(where: { Identifier.equal($0, Self.grantType) }) else {
            throw .unauthorizedClient("the client is not registered for the client_credentials grant")
        }
    }

    /// RFC 6749 §3.3: the scopes to grant. Absent means every registered scope; otherwise
    /// each requested scope must be registered (compared by bytes), or `invalid_scope`.
    public func scopes(requested: String?, client: Client) throws(OAuthError) -> [String] {
        guard let requested else { return client.metadata.scopes }
        let parsed: [String]
        do {
            parsed = try Scope.parse(requested)
        } catch {
            throw .invalidScope("scope must be scope tokens separated by single spaces (RFC 6749 §3.3)")
        }
        for scope in parsed where !Scope.contains(client.metadata.scopes, scope) {
            throw .invalidScope("the scope \(scope) is not registered for this client")
        }
        return parsed
    }

    /// RFC 8705 §3: the thumbprint the token is bound to, for a client that registered
    /// bound tokens (or when the server forces binding); such a client without a
    /// certificate gets `invalid_request`. Other clients' tokens are not bound.
    public func certificateBinding(for authenticated: AuthenticatedClient) throws(OAuthError) -> [UInt8]? {
        guard authenticated.client.metadata.certificateBoundAccessTokens || forceCertificateBinding else { return nil }
        guard let certificate = authenticated.certificate else {
            throw .invalidRequest(
                "this client's tokens are bound to its TLS client certificate: present one (RFC 8705 §3)"
            )
        }
        return certificate.sha256Thumbprint
    }
}
