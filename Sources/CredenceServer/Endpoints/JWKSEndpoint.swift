import CredenceCore
import CredenceJOSE
import CredenceJSON

/// `GET /jwks` (RFC 7517 §5): the public halves of the server's published
/// signing keys (`next`, `active`, and retired keys until their tokens have
/// expired), so that resource servers and clients can verify access tokens.
/// Stored JWKs hold public members only; they are re-checked here anyway so
/// that a private member can never be served. The rendered answer is kept per
/// worker until the published set changes, so a request costs no JSON work.
struct JWKSEndpoint {
    let cache: SigningKeyCache
    let store: any SigningKeyStore
    private let rendered = RenderedKeySet()

    init(cache: SigningKeyCache, store: any SigningKeyStore) {
        self.cache = cache
        self.store = store
    }

    func respond(_ context: RequestContext) throws -> HTTPResponse {
        let records = try cache.publishedKeys(using: store, now: context.now)
        let jwks = records.map(\.publicJWK)
        if let response = rendered.response, rendered.jwks == jwks { return response }
        var keys: [JSONValue] = []
        for record in records {
            guard case .object(let jwk)? = try? JSONValue.parse(record.publicJWK),
                !jwk.names.contains(where: JWK.privateMemberNames.contains)
            else {
                throw StoreError.corruptRecord("signing key \(record.kid) has an unusable public JWK")
            }
            keys.append(.object(jwk))
        }
        let response = HTTPResponse.json(.object(["keys": .array(keys)]), noStore: false)
            .adding(header: "Cache-Control", value: "public, max-age=\(Int(SigningKeyCache.publishedSetMaxAge))")
        rendered.jwks = jwks
        rendered.response = response
        return response
    }
}

/// The last JWKS answer of one worker and the stored JWKs it was rendered from
/// (each worker owns its endpoint, so no lock is needed).
private final class RenderedKeySet {
    var jwks: [String] = []
    var response: HTTPResponse?
}
