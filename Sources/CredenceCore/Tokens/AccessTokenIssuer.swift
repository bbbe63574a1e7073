public import CredenceJOSE
public import CredenceJSON
public import Foundation
import OpenSSLCrypto

/// Builds and signs RFC 9068 JWT access tokens: header `typ: at+jwt` and the active key's
/// `kid`; claims `iss`, `sub` (the client id: a client_credentials token acts for the client
/// itself, RFC 9068 §2.2), `aud`, `client_id`, `scope`, `iat`, `exp`, `jti`, and, for a
/// certificate-bound token, `cnf: {"x5t#S256": …}` (RFC 8705 §3.1).
public struct AccessTokenIssuer: Sendable {
    /// The `iss` claim: the configured issuer.
    public let issuer: String
    /// The `aud` claim: the resource servers the tokens are for.
    public let audience: [String]
    /// Lifetime of a token when the client has no lifetime of its own.
    public let defaultLifetimeSeconds: Int

    /// Creates an issuer.
    public init(issuer: String, audience: [String], defaultLifetimeSeconds: Int) {
        self.issuer = issuer
        self.audience = audience
        self.defaultLifetimeSeconds = defaultLifetimeSeconds
    }

    /// A token for `client` with `scopes`, bound to the certificate whose SHA-256 thumbprint
    /// is `certificateThumbprint` when given; `lifetimeSeconds` overrides the client's and
    /// the server's lifetime (the operator's `tokens mint --expires-in`).
    public func issue(
        for client: Client,
        scopes: [String],
        certificateThumbprint: [UInt8]?,
        signer: JWSSigner,
        now: Date,
        lifetimeSeconds: Int? = nil
    ) throws -> IssuedAccessToken {
        let lifetime = lifetimeSeconds ?? client.accessTokenLifetimeSeconds ?? defaultLifetimeSeconds
        let issuedAt = Int64(now.timeIntervalSince1970.rounded(.down))
        let jti = Base64URL.encode(try SecureRandom.bytes(count: 18))
        var other: JSONObject = ["client_id": .string(client.clientID)]
        let scope = scopes.joined(separator: " ")
        if !scope.isEmpty { other["scope"] = .string(scope) }
        if let certificateThumbprint {
            other["cnf"] = .object(["x5t#S256": .string(Base64URL.encode(certificateThumbprint))])
        }
        let claims = try JWTClaims(
            issuer: issuer,
            subject: client.clientID,
            audience: audience,
            expiresAt: issuedAt + Int64(lifetime),
            issuedAt: issuedAt,
            jwtID: jti,
            other: other
        )
        let token = try signer.sign(claims: claims, type: "at+jwt")
        return IssuedAccessToken(token: token, expiresIn: lifetime, scope: scope, jti: jti)
    }
}

/// An access token just issued, with what the token response reports about it.
public struct IssuedAccessToken: Sendable {
    /// The compact JWS.
    public let token: String
    /// Seconds until it expires (`expires_in`).
    public let expiresIn: Int
    /// The granted scope, space-separated (`scope`).
    public let scope: String
    /// Its `jti`.
    public let jti: String

    /// The RFC 6749 §5.1 token response; `scope` is left out when nothing was granted, as
    /// an empty string is no scope value (§3.3: one or more scope-tokens).
    public var responseJSON: JSONObject {
        var object: JSONObject = [
            "access_token": .string(token),
            "token_type": .string("Bearer"),
            "expires_in": JSONValue(expiresIn),
        ]
        if !scope.isEmpty { object["scope"] = .string(scope) }
        return object
    }
}
