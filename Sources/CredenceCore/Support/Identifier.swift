import CredenceJSON

/// Exact comparison of protocol identifiers (client ids, `iss`, `sub`, `kid`, `jti`,
/// scopes). RFC 7519 §2 and RFC 6749 §3.3 compare strings as they are, and PostgreSQL
/// compares bytes, while Swift's `==` treats canonically equivalent Unicode as equal
/// (U+212A KELVIN SIGN equals `K`): every identifier decision goes through here.
public enum Identifier {
    /// Whether two identifiers have the same UTF-8 bytes (two `nil`s are not equal).
    public static func equal(_ lhs: String?, _ rhs: String?) -> Bool {
        guard let lhs, let rhs else { return false }
        return lhs.hasSameCodePoints(as: rhs)
    }
}
