public import CredenceJOSE
public import Foundation

/// Where the keys behind a `jwks_uri` come from: a process-wide cache over an HTTPS fetcher
/// in production (host allowlist, timeouts, size cap, rate-limited refetch), a fixed table
/// in tests.
public protocol RemoteKeySetProvider: Sendable {
    /// The key set published at `uri`; with `unknownKID`, the caller met a `kid` the cached
    /// set lacks and asks for a refetch (which the provider may rate-limit).
    func keySet(at uri: String, now: Date, unknownKID: String?) throws -> JWKSet
}

/// The public keys a client registered: its inline `jwks`, or the set at its `jwks_uri`.
public struct ClientKeyResolver: Sendable {
    /// The fetcher for `jwks_uri` clients; without one they cannot authenticate.
    public let remote: (any RemoteKeySetProvider)?
    /// Parsed inline key sets, shared by every worker.
    public let inline: ClientKeySetCache

    /// Creates a resolver.
    public init(remote: (any RemoteKeySetProvider)?, inline: ClientKeySetCache = ClientKeySetCache()) {
        self.remote = remote
        self.inline = inline
    }

    /// The client's keys; a client whose keys cannot be had fails authentication
    /// (`invalid_client`), the log saying why.
    public func keys(for client: Client, now: Date, unknownKID: String? = nil) throws(OAuthError) -> JWKSet {
        if let jwks = client.metadata.jwks {
            do {
                return try inline.keySet(for: jwks)
            } catch {
                throw .invalidClient("the client's registered keys are unusable", logDetail: "jwks: \(error)")
            }
        }
        guard let uri = client.metadata.jwksURI else {
            throw .invalidClient("the client has no registered keys")
        }
        guard let remote else {
            throw .invalidClient("the client's jwks_uri cannot be fetched", logDetail: "no jwks_uri fetcher configured")
        }
        do {
            return try remote.keySet(at: uri, now: now, unknownKID: unknownKID)
        } catch {
            throw .invalidClient("the client's jwks_uri cannot be used", logDetail: "jwks_uri \(uri): \(error)")
        }
    }
}
