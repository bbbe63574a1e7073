public import CredenceJOSE
public import Foundation
import Synchronization

/// The process-wide signing material for access tokens, on top of ``SigningKeyCache``: the
/// active key opened into a signer once per `kid` (not once per request: unsealing costs an
/// AES-GCM open and a key parse), and the published keys as a JWK set for verifying tokens,
/// rebuilt only when the published set changes. Shared by every worker.
public final class TokenKeyRing: Sendable {
    /// The shared key snapshot this ring reads.
    public let keys: SigningKeyCache
    private let openSigner: @Sendable (SigningKeyRecord) throws -> JWSSigner

    private struct State {
        var signer: JWSSigner?
        var verificationJWKs: [String] = []
        var verificationKeys = JWKSet(keys: [])
    }
    private let state = Mutex(State())

    /// A ring over `keys`; `openSigner` unseals a stored key (``SigningKeyManager/signer(for:)``).
    public init(keys: SigningKeyCache, openSigner: @escaping @Sendable (SigningKeyRecord) throws -> JWSSigner) {
        self.keys = keys
        self.openSigner = openSigner
    }

    /// The signer of the active key at `now`; `temporarily_unavailable` when no key is
    /// active (an operator has not run `credence keys generate`).
    public func activeSigner(using store: any SigningKeyStore, now: Date) throws -> JWSSigner {
        let records = try keys.publishedKeys(using: store, now: now)
        guard let active = records.first(where: { $0.state == .active }) else {
            throw OAuthError.temporarilyUnavailable(logDetail: "no active signing key: run `credence keys generate`")
        }
        if let signer = state.withLock({ $0.signer }), signer.keyID == active.kid { return signer }
        let signer: JWSSigner
        do {
            signer = try openSigner(active)
        } catch {
            throw OAuthError.serverError(logDetail: "cannot open the active signing key \(active.kid): \(error)")
        }
        state.withLock { $0.signer = signer }
        return signer
    }

    /// The published keys (`next`, `active`, retired until their tokens expire) as a JWK
    /// set: a token of this server verifies with one of them or is not this server's.
    public func verificationKeys(using store: any SigningKeyStore, now: Date) throws -> JWKSet {
        let records = try keys.publishedKeys(using: store, now: now)
        let jwks = records.map(\.publicJWK)
        if let cached = state.withLock({ $0.verificationJWKs == jwks ? $0.verificationKeys : nil }) { return cached }
        var parsed: [JWK] = []
        for record in records {
            do {
                parsed.append(try JWK.parse(Array(record.publicJWK.utf8)))
            } catch {
                throw StoreError.corruptRecord("signing key \(record.kid) has an unusable public JWK")
            }
        }
        let set = JWKSet(keys: parsed)
        state.withLock {
            $0.verificationJWKs = jwks
            $0.verificationKeys = set
        }
        return set
    }
}
