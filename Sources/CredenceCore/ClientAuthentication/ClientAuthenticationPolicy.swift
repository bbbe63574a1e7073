public import CredenceJOSE

/// The server-wide rules of client authentication, from the configuration.
public struct ClientAuthenticationPolicy: Sendable {
    /// The issuer identifier (an accepted assertion audience).
    public var issuer: String
    /// Every URL a client assertion may name as `aud` besides the issuer: the token endpoint
    /// (RFC 7523 §3), its mTLS alias, and the other endpoints that take client
    /// authentication.
    public var assertionAudiences: [String]
    /// Algorithms a `private_key_jwt` assertion may use (never `none`, never HMAC: they
    /// cannot even be named by ``JWSAlgorithm``).
    public var assertionAlgorithms: Set<JWSAlgorithm>
    /// How far in the future an assertion's `exp` may lie (default 600 s), so a captured
    /// assertion is worth little and the replay table stays small.
    public var maximumAssertionLifetimeSeconds: Int
    /// Tolerance for clock differences.
    public var clockSkewSeconds: Int
    /// How many of a client's keys an assertion without `kid` may be tried against.
    public static let maximumKeysTriedWithoutKID = 4

    /// The default algorithms: FAPI's PS256 and ES256.
    public static let defaultAssertionAlgorithms: Set<JWSAlgorithm> = [.ps256, .es256]

    /// Creates a policy.
    public init(
        issuer: String,
        assertionAudiences: [String],
        assertionAlgorithms: Set<JWSAlgorithm> = defaultAssertionAlgorithms,
        maximumAssertionLifetimeSeconds: Int = 600,
        clockSkewSeconds: Int = 60
    ) {
        self.issuer = issuer
        self.assertionAudiences = assertionAudiences
        self.assertionAlgorithms = assertionAlgorithms
        self.maximumAssertionLifetimeSeconds = maximumAssertionLifetimeSeconds
        self.clockSkewSeconds = clockSkewSeconds
    }
}
