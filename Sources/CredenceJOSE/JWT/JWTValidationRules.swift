/// What a JWT must satisfy for one use (a client assertion, a software statement, an access
/// token), checked by ``JWTClaims/validate(now:rules:)``.
public struct JWTValidationRules: Sendable {
    /// `iss` must equal this, code point for code point, when set.
    public var expectedIssuer: String?
    /// `sub` must equal this, code point for code point, when set (RFC 7523 §3: a client
    /// assertion's `sub` is the `client_id`).
    public var expectedSubject: String?
    /// `aud` must contain at least one of these, code point for code point, when set (an empty
    /// set accepts nothing). The set's own equality is Swift's: do not put two canonically
    /// equivalent spellings of one audience in it expecting them to differ.
    public var acceptedAudiences: Set<String>?
    /// Claims that must be present (for example `exp`, `iat`, `jti`).
    public var requiredClaims: Set<String>
    /// Tolerated clock difference in seconds for `exp`, `nbf` and `iat`.
    public var clockSkew: Int64
    /// The longest accepted `exp` − `iat` in seconds (from `nbf`, or now, when `iat` is absent).
    public var maximumLifetime: Int64?

    /// Rules with `exp` required and a 60-second skew by default.
    public init(
        expectedIssuer: String? = nil,
        expectedSubject: String? = nil,
        acceptedAudiences: Set<String>? = nil,
        requiredClaims: Set<String> = ["exp"],
        clockSkew: Int64 = 60,
        maximumLifetime: Int64? = nil
    ) {
        self.expectedIssuer = expectedIssuer
        self.expectedSubject = expectedSubject
        self.acceptedAudiences = acceptedAudiences
        self.requiredClaims = requiredClaims
        self.clockSkew = clockSkew
        self.maximumLifetime = maximumLifetime
    }
}
