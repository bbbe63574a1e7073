public import CredenceJOSE
public import Foundation

/// The cache serves the keys of clients registered with a `jwks_uri`: a `kid` the cached set
/// lacks triggers the cache's rate-limited refetch.
extension RemoteJWKSCache: RemoteKeySetProvider {
    public func keySet(at uri: String, now: Date, unknownKID: String?) throws -> JWKSet {
        if let unknownKID {
            return try keys(for: uri, refreshingForUnknownKeyID: unknownKID, now: now)
        }
        return try keys(for: uri, now: now)
    }
}
