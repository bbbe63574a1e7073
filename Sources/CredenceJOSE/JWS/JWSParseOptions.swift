/// Limits and extensions for parsing a compact JWS; the defaults suit a JWT.
public struct JWSParseOptions: Sendable {
    /// The longest compact serialization accepted, in bytes, checked before any decoding.
    public var maxLength: Int
    /// The deepest JSON nesting accepted in the header and the payload.
    public var maxJSONDepth: Int
    /// Header names that may appear in `crit` (RFC 7515 §4.1.11); any other listed name fails.
    public var understoodCriticalHeaders: Set<String>

    /// Options with every default spelled out.
    public init(maxLength: Int = 16 * 1024, maxJSONDepth: Int = 16, understoodCriticalHeaders: Set<String> = []) {
        self.maxLength = maxLength
        self.maxJSONDepth = maxJSONDepth
        self.understoodCriticalHeaders = understoodCriticalHeaders
    }

    /// 16 KiB, 16 levels of JSON, no critical extensions.
    public static let `default` = JWSParseOptions()
}
