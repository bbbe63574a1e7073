import CredenceCore
import CredenceJSON

/// `GET /jwks` (RFC 7517 §5): the public halves of the server's published
/// signing keys (`next`, `active`, and retired keys until their tokens have
/// expired), so that resource servers and clients can verify access tokens.
/// Stored JWKs hold public members only; they are re-checked here anyway so
/// that a private member can never be served.
struct JWKSEndpoint {
    let cache: SigningKeyCache
    let store: any SigningKeyStore

    /// Members of a private JWK (RFC 7518 §6.2.2, §6.3.2, §6.4; RFC 8037 §2).
    static let privateMembers: Set<String> = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"]

    func respond(_ context: RequestContext) throws -> HTTPResponse {
        let records = try cache.publishedKeys(using: store, now: context.now)
        var keys: [JSONValue] = []
        for record in records {
            guard case .object(let jwk)? = try? JSONValue.parse(record.publicJWK),
                !jwk.names.contains(where: Self.privateMembers.contains)
            else {
                throw StoreError.corruptRecord("signing key \(record.kid) has an unusable public JWK")
            }
            keys.append(.object(jwk))
        }
        return HTTPResponse.json(.object(["keys": .array(keys)]), noStore: false)
            .adding(header: "Cache-Control", value: "public, max-age=\(Int(SigningKeyCache.publishedSetMaxAge))")
    }
}
