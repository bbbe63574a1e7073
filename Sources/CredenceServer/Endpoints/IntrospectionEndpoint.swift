import CredenceCore
import CredenceJSON

/// `POST /introspect` (RFC 7662), client-authenticated like the token endpoint. A token is
/// active only when it verifies with a key this server publishes, has not expired, is not
/// on the revocation list, and its client still exists (the same client, not a later one
/// created under the same id). A client sees its own tokens; a
/// client the configuration names in `tokens.resource_servers` sees every client's (RFC
/// 7662 §4); anyone else gets `{"active":false}` for another client's token, exactly as
/// for a forged one, so nothing leaks.
struct IntrospectionEndpoint {
    let authenticator: ClientAuthenticator
    let validator: AccessTokenValidator
    let keyRing: TokenKeyRing
    let signingKeyStore: any SigningKeyStore
    let revokedTokens: any RevokedTokenStore
    let clients: any ClientStore
    let resourceServers: [String]

    static let inactive = HTTPResponse.json(.object(["active": .bool(false)]))

    func respond(_ context: RequestContext) throws -> HTTPResponse {
        let (caller, token, _) = try ClientCredentialsReader.authenticatedTokenRequest(
            context,
            authenticator: authenticator
        )
        // token_type_hint is only a hint (RFC 7662 §2.1); every token here is an access token.
        let keys = try keyRing.verificationKeys(using: signingKeyStore, now: context.now)
        guard let validated = validator.validate(token, keys: keys, now: context.now) else { return Self.inactive }
        let maySee =
            Identifier.equal(validated.clientID, caller.client.clientID)
            || resourceServers.contains { Identifier.equal($0, caller.client.clientID) }
        guard maySee else { return Self.inactive }
        guard try !revokedTokens.isRevoked(jti: validated.jti) else { return Self.inactive }
        let owner =
            Identifier.equal(validated.clientID, caller.client.clientID)
            ? caller.client : try clients.client(id: validated.clientID)
        // A deleted client's tokens stay inactive, also when its id is given to a new client.
        guard let owner, validated.wasIssued(to: owner) else { return Self.inactive }
        return .json(.object(validated.introspectionJSON))
    }
}
