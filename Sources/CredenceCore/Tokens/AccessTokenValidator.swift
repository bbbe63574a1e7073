public import CredenceJOSE
public import CredenceJSON
public import Foundation

/// Checks that a string is a live access token of this server: an RFC 9068 JWT (`typ`
/// `at+jwt`) signed with one of the published keys by an allowed algorithm, with this
/// issuer, unexpired, and not revoked. Used by introspection, revocation and the
/// registration endpoint's initial access token.
public struct AccessTokenValidator: Sendable {
    /// The issuer every token must carry.
    public let issuer: String
    /// Tolerance for `exp`/`iat`/`nbf`.
    public let clockSkewSeconds: Int
    /// Algorithms the server signs with; nothing else verifies.
    public static let algorithms: Set<JWSAlgorithm> = [.es256, .ps256]

    /// Creates a validator.
    public init(issuer: String, clockSkewSeconds: Int) {
        self.issuer = issuer
        self.clockSkewSeconds = clockSkewSeconds
    }

    /// The token's claims when it is signed by a key in `keys` and its claims hold at
    /// `now`; `nil` for anything else (malformed, foreign, forged, expired), never an error:
    /// callers answer "inactive" or `invalid_token` without saying why.
    public func validate(_ token: String, keys: JWKSet, now: Date) -> ValidatedAccessToken? {
        guard token.utf8.count <= 8192,
            let jws = try? UnverifiedJWS(compact: token),
            jws.header.type.map({ $0.lowercased() == "at+jwt" || $0.lowercased() == "application/at+jwt" }) == true,
            let verified = try? jws.verify(using: keys, allowedAlgorithms: Self.algorithms),
            let claims = try? verified.claims()
        else { return nil }
        let rules = JWTValidationRules(
            expectedIssuer: issuer,
            requiredClaims: ["exp", "iat", "jti", "client_id", "sub"],
            clockSkew: Int64(clockSkewSeconds)
        )
        // The skew covers `iat` stamped by another responder's clock; `exp` is this server's own
        // promise and holds exactly (a token is dead from its `exp` on, not a skew later).
        let nowSeconds = Int64(now.timeIntervalSince1970.rounded(.down))
        guard (try? claims.validate(now: now, rules: rules)) != nil,
            let clientID = claims["client_id"]?.stringValue, let jti = claims.jwtID, let expiresAt = claims.expiresAt,
            nowSeconds < expiresAt
        else { return nil }
        return ValidatedAccessToken(claims: claims, clientID: clientID, jti: jti, expiresAt: expiresAt)
    }
}

/// An access token whose signature, issuer and lifetime have been checked (revocation is
/// the caller's next question).
public struct ValidatedAccessToken: Sendable {
    /// Every claim.
    public let claims: JWTClaims
    /// `client_id`.
    public let clientID: String
    /// `jti`.
    public let jti: String
    /// `exp`, seconds since the epoch.
    public let expiresAt: Int64

    /// Whether the token can have been issued to `client`: not in a second before the client
    /// was created (its `client_id_issued_at`, RFC 7591 §3.2.1). A client deleted and created
    /// again under the same id is another client, and the first one's tokens must stay dead
    /// (RFC 7662 §2.2: a token of a client that no longer exists is not active). No clock
    /// skew is allowed here: that would revive the tokens of the last seconds before a
    /// scripted delete-and-create; the cost is a token issued within the first second(s) of
    /// a client created on a host whose clock runs ahead.
    public func wasIssued(to client: Client) -> Bool {
        guard let issuedAt = claims.issuedAt else { return false }
        return issuedAt >= Int64(client.createdAt.timeIntervalSince1970.rounded(.down))
    }

    /// The granted scopes.
    public var scopes: [String] {
        (claims["scope"]?.stringValue ?? "").split(separator: " ").map(String.init)
    }

    /// The RFC 7662 §2.2 introspection answer for this (active) token.
    public var introspectionJSON: JSONObject {
        var object: JSONObject = ["active": .bool(true)]
        for name in ["scope", "client_id"] {
            if let value = claims[name] { object[name] = value }
        }
        object["token_type"] = .string("Bearer")
        for name in ["exp", "iat", "nbf", "sub", "aud", "iss", "jti", "cnf"] {
            if let value = claims[name] { object[name] = value }
        }
        return object
    }
}
