public import CredenceJOSE
public import CredenceJSON
import Synchronization

/// Parsed inline `jwks` of clients, shared by every worker. Importing a public key validates
/// it (an RSA modulus must not be prime or have small factors: about 6 ms per 2048-bit key),
/// so a `private_key_jwt` or `self_signed_tls_client_auth` request must not re-import its
/// client's keys each time. Entries are keyed by the registered JSON itself, so a changed
/// registration is a new entry and nothing needs invalidating; the cache is bounded.
public final class ClientKeySetCache: Sendable {
    private struct State {
        var sets: [[UInt8]: JWKSet] = [:]
        var order: [[UInt8]] = []
    }
    private let state = Mutex(State())
    /// How many distinct key sets are kept; the oldest goes first.
    public let capacity: Int

    /// An empty cache holding at most `capacity` sets.
    public init(capacity: Int = 4096) {
        self.capacity = max(capacity, 1)
    }

    /// The parsed set for `jwks`, parsed at most once while it stays cached.
    public func keySet(for jwks: JSONObject) throws(JOSEError) -> JWKSet {
        let key = JSONValue.object(jwks).serialized(sortedKeys: true)
        if let cached = state.withLock({ $0.sets[key] }) { return cached }
        let parsed = try JWKSet(json: jwks)
        state.withLock { state in
            guard state.sets[key] == nil else { return }
            if state.order.count >= capacity {
                state.sets[state.order.removeFirst()] = nil
            }
            state.sets[key] = parsed
            state.order.append(key)
        }
        return parsed
    }
}
