import CredenceCore
import CredenceJSON
import Foundation

/// `POST /revoke` (RFC 7009), client-authenticated. A client revokes only its own tokens:
/// its token's `jti` goes on the deny list until the token would have expired. Unknown,
/// malformed, foreign or already expired tokens get the same 200 (RFC 7009 §2.2), so the
/// answer tells nothing about another client's tokens.
struct RevocationEndpoint {
    let authenticator: ClientAuthenticator
    let validator: AccessTokenValidator
    let keyRing: TokenKeyRing
    let signingKeyStore: any SigningKeyStore
    let revokedTokens: any RevokedTokenStore

    static let done = HTTPResponse.json(.object([:]))

    func respond(_ context: RequestContext) throws -> HTTPResponse {
        let (caller, token, form) = try ClientCredentialsReader.authenticatedTokenRequest(
            context,
            authenticator: authenticator
        )
        if let hint = form["token_type_hint"], hint != "access_token", hint != "refresh_token" {
            // RFC 7009 §2.2.1: an unknown hint is unsupported_token_type.
            throw OAuthError(
                code: "unsupported_token_type",
                description: "token_type_hint must be access_token",
                status: 400
            )
        }
        let keys = try keyRing.verificationKeys(using: signingKeyStore, now: context.now)
        guard let validated = validator.validate(token, keys: keys, now: context.now),
            Identifier.equal(validated.clientID, caller.client.clientID), validated.wasIssued(to: caller.client)
        else { return Self.done }
        try revokedTokens.revoke(
            jti: validated.jti,
            clientID: validated.clientID,
            expiresAt: Date(timeIntervalSince1970: TimeInterval(validated.expiresAt)),
            now: context.now
        )
        return Self.done
    }
}
