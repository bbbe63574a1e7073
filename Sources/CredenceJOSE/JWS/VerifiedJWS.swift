/// A JWS whose signature has verified with a key the caller chose and an algorithm the caller
/// allowed. Only a verify method makes one.
public struct VerifiedJWS: Sendable {
    /// The header.
    public let header: JWSHeader
    /// The verified payload bytes.
    public let payload: [UInt8]
    /// The `kid` of the key that verified it, when known.
    public let keyID: String?
    let maxJSONDepth: Int

    init(header: JWSHeader, payload: [UInt8], keyID: String?, maxJSONDepth: Int) {
        self.header = header
        self.payload = payload
        self.keyID = keyID
        self.maxJSONDepth = maxJSONDepth
    }

    /// The algorithm it was signed with.
    public var algorithm: JWSAlgorithm { header.algorithm }

    /// The payload as JWT claims (RFC 7519 §7.2 step 10): a JSON object without repeated
    /// members and with well-typed registered claims. Validate them with
    /// ``JWTClaims/validate(now:rules:)``.
    public func claims() throws(JOSEError) -> JWTClaims {
        try JWTClaims(payload: payload, maxDepth: maxJSONDepth)
    }
}
