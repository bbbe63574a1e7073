import CredenceCore
import CredenceJSON

/// `POST /token` (RFC 6749 §3.2) for the `client_credentials` grant (§4.4): reads the form,
/// authenticates the client by its registered method, checks the grant and the scope,
/// binds the token to the client certificate where the client asked (RFC 8705 §3), and
/// answers an RFC 9068 JWT access token with `Cache-Control: no-store`. Per request: one
/// client lookup by primary key (plus the `jti` insert for `private_key_jwt`) and one
/// signature; the signing key comes from the process-wide key ring.
struct TokenEndpoint {
    let authenticator: ClientAuthenticator
    let grant: ClientCredentialsGrant
    let issuer: AccessTokenIssuer
    let keyRing: TokenKeyRing
    let signingKeyStore: any SigningKeyStore

    func respond(_ context: RequestContext) throws -> HTTPResponse {
        let form = try FormBody(request: context.request)
        guard let grantType = form["grant_type"] else {
            throw OAuthError.invalidRequest("grant_type is required")
        }
        let credentials = try ClientCredentialsReader.read(from: context, form: form)
        let authenticated = try authenticator.authenticate(credentials, now: context.now)
        context.clientID = authenticated.client.clientID
        guard Identifier.equal(grantType, ClientCredentialsGrant.grantType) else {
            throw OAuthError.unsupportedGrantType("only the client_credentials grant is supported")
        }
        try grant.checkGrantAllowed(for: authenticated.client)
        let scopes = try grant.scopes(requested: form["scope"], client: authenticated.client)
        let binding = try grant.certificateBinding(for: authenticated)
        let signer = try keyRing.activeSigner(using: signingKeyStore, now: context.now)
        let token = try issuer.issue(
            for: authenticated.client,
            scopes: scopes,
            certificateThumbprint: binding,
            signer: signer,
            now: context.now
        )
        return .json(.object(token.responseJSON))
    }
}
