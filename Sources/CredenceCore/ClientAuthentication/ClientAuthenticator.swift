import CredenceJOSE
public import Foundation
public import OpenSSLCrypto

/// Authenticates the client of a token, introspection or revocation request by exactly the
/// method it registered, with one method per request (RFC 6749 §2.3: a client must not use
/// more than one). A TLS client certificate is transport, not a method: it may accompany
/// any method (and binds tokens), and it is the credential only for the two RFC 8705
/// methods. Every failure is `invalid_client` (401), with `WWW-Authenticate: Basic` when
/// Basic was tried; two methods at once or a malformed assertion parameter is
/// `invalid_request`.
public struct ClientAuthenticator {
    /// The worker's client store.
    public let clients: any ClientStore
    /// The worker's replay store (assertion `jti`s).
    public let replays: any ReplayStore
    /// Where a client's keys come from.
    public let keyResolver: ClientKeyResolver
    /// CAs trusted for `tls_client_auth` (`mtls.trusted_ca_file`); without it no
    /// `tls_client_auth` client can authenticate.
    public let trustStore: CertificateTrustStore?
    /// Checks client secrets.
    public let secrets: ClientSecretHasher
    /// Server-wide rules.
    public let policy: ClientAuthenticationPolicy
    /// Registered subject DNs, parsed and prepared once; shared by every worker.
    public let subjectDNs: RegisteredSubjectDNCache

    /// RFC 7523 §2.2: the only assertion type accepted.
    public static let jwtBearerAssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

    /// Creates an authenticator over one worker's stores; pass the process's `subjectDNs`
    /// cache so that every worker shares it.
    public init(
        clients: any ClientStore,
        replays: any ReplayStore,
        keyResolver: ClientKeyResolver,
        trustStore: CertificateTrustStore?,
        secrets: ClientSecretHasher,
        policy: ClientAuthenticationPolicy,
        subjectDNs: RegisteredSubjectDNCache = RegisteredSubjectDNCache()
    ) {
        self.clients = clients
        self.replays = replays
        self.keyResolver = keyResolver
        self.trustStore = trustStore
        self.secrets = secrets
        self.policy = policy
        self.subjectDNs = subjectDNs
    }

    /// Authenticates the request's client at `now`.
    public func authenticate(_ credentials: ClientCredentials, now: Date) throws -> AuthenticatedClient {
        let basicTried = credentials.basic != nil
        var presented = 0
        if credentials.basic != nil { presented += 1 }
        if credentials.clientSecret != nil { presented += 1 }
        if credentials.assertion != nil || credentials.assertionType != nil { presented += 1 }
        guard presented <= 1 else {
            throw OAuthError.invalidRequest("use exactly one client authentication method (RFC 6749 §2.3)")
        }
        if let basic = credentials.basic {
            if let formID = credentials.clientID, !Identifier.equal(formID, basic.clientID) {
                throw OAuthError.invalidRequest("client_id differs from the client authenticated by Basic")
            }
            return try authenticateSecret(
                clientID: basic.clientID,
                secret: basic.secret,
                method: .clientSecretBasic,
                credentials: credentials,
                basicTried: true
            )
        }
        if let secret = credentials.clientSecret {
            guard let clientID = credentials.clientID else {
                throw OAuthError.invalidRequest("client_secret without client_id")
            }
            return try authenticateSecret(
                clientID: clientID,
                secret: secret,
                method: .clientSecretPost,
                credentials: credentials,
                basicTried: false
            )
        }
        if credentials.assertion != nil || credentials.assertionType != nil {
            return try authenticateAssertion(credentials, now: now)
        }
        guard let clientID = credentials.clientID else {
            throw OAuthError.invalidClient("client authentication is required", basicChallenge: basicTried)
        }
        let client = try lookUp(clientID, basicTried: false)
        switch client.authenticationMethod {
        case .tlsClientAuth:
            return try authenticateCertificate(client, credentials: credentials, now: now)
        case .selfSignedTLSClientAuth:
            return try authenticateSelfSigned(client, credentials: credentials, now: now)
        default:
            throw OAuthError.invalidClient(
                "the client must authenticate with \(client.authenticationMethod)",
                logDetail: "no credential presented"
            )
        }
    }

    // MARK: secrets

    private func authenticateSecret(
        clientID: String,
        secret: String,
        method: ClientAuthenticationMethod,
        credentials: ClientCredentials,
        basicTried: Bool
    ) throws -> AuthenticatedClient {
        guard let client = try clients.client(id: clientID) else {
            // Spend the same HMAC as for a known client, so timing does not tell which ids exist.
            _ = secrets.verify(secret, against: ClientSecretHasher.scheme + String(repeating: "A", count: 43))
            throw OAuthError.invalidClient(
                "client authentication failed",
                basicChallenge: basicTried,
                logDetail: "unknown client"
            )
        }
        guard client.authenticationMethod == method else {
            throw OAuthError.invalidClient(
                "the client must authenticate with \(client.authenticationMethod)",
                basicChallenge: basicTried,
                logDetail: "presented \(method)"
            )
        }
        guard let stored = client.secretHash, secrets.verify(secret, against: stored) else {
            throw OAuthError.invalidClient(
                "client authentication failed",
                basicChallenge: basicTried,
                logDetail: "wrong secret"
            )
        }
        return AuthenticatedClient(client: client, method: method, certificate: credentials.certificate)
    }

    // MARK: private_key_jwt

    private func authenticateAssertion(_ credentials: ClientCredentials, now: Date) throws -> AuthenticatedClient {
        guard credentials.assertionType == Self.jwtBearerAssertionType else {
            throw OAuthError.invalidRequest(
                "client_assertion_type must be \(Self.jwtBearerAssertionType) with a client_assertion (RFC 7523 §2.2)"
            )
        }
        guard let assertion = credentials.assertion, !assertion.isEmpty else {
            throw OAuthError.invalidRequest("client_assertion is missing")
        }
        let jws: UnverifiedJWS
        let unverified: JWTClaims
        do {
            jws = try UnverifiedJWS(compact: assertion)
            unverified = try jws.unverifiedClaims()
        } catch {
            throw OAuthError.invalidClient("the client assertion is malformed", logDetail: "\(error)")
        }
        // RFC 7523 §3: iss and sub are both the client id.
        guard let clientID = unverified.issuer, let subject = unverified.subject, Identifier.equal(clientID, subject)
        else {
            throw OAuthError.invalidClient("the client assertion's iss and sub must both be the client_id")
        }
        if let formID = credentials.clientID, !Identifier.equal(formID, clientID) {
            throw OAuthError.invalidClient("client_id differs from the client assertion's issuer")
        }
        let client = try lookUp(clientID, basicTried: false)
        guard client.authenticationMethod == .privateKeyJWT else {
            throw OAuthError.invalidClient(
                "the client must authenticate with \(client.authenticationMethod)",
                logDetail: "presented private_key_jwt"
            )
        }
        var allowed = policy.assertionAlgorithms
        if let registered = client.metadata.tokenEndpointAuthSigningAlgorithm {
            allowed = allowed.filter { $0.rawValue == registered }
        }
        guard allowed.contains(jws.header.algorithm) else {
            throw OAuthError.invalidClient(
                "the client assertion's algorithm is not allowed",
                logDetail: "alg \(jws.header.algorithm)"
            )
        }
        let verified = try verifyAssertion(jws, client: client, allowed: allowed, now: now)
        let claims: JWTClaims
        do {
            claims = try verified.claims()
        } catch {
            throw OAuthError.invalidClient("the client assertion is malformed", logDetail: "\(error)")
        }
        let nowSeconds = Int64(now.timeIntervalSince1970.rounded(.down))
        let rules = JWTValidationRules(
            expectedIssuer: clientID,
            acceptedAudiences: Set([policy.issuer] + policy.assertionAudiences),
            requiredClaims: ["exp", "jti"],
            clockSkew: Int64(policy.clockSkewSeconds)
        )
        do {
            try claims.validate(nowSeconds: nowSeconds, rules: rules)
        } catch {
            throw OAuthError.invalidClient("the client assertion is not acceptable", logDetail: "\(error)")
        }
        guard let expiresAt = claims.expiresAt,
            expiresAt <= nowSeconds + Int64(policy.maximumAssertionLifetimeSeconds + policy.clockSkewSeconds)
        else {
            throw OAuthError.invalidClient(
                "the client assertion's exp is more than \(policy.maximumAssertionLifetimeSeconds) s ahead"
            )
        }
        guard let jti = claims.jwtID, !jti.isEmpty, jti.utf8.count <= 512 else {
            throw OAuthError.invalidClient("the client assertion needs a jti of at most 512 bytes")
        }
        // The insert is the check: every responder on every host shares the table.
        let first = try replays.recordFirstUse(
            issuer: clientID,
            jti: jti,
            expiresAt: Date(timeIntervalSince1970: TimeInterval(expiresAt + Int64(policy.clockSkewSeconds))),
            now: now
        )
        guard first else {
            throw OAuthError.invalidClient("the client assertion was already used (jti replayed)")
        }
        return AuthenticatedClient(client: client, method: .privateKeyJWT, certificate: credentials.certificate)
    }

    /// The signature check: by `kid` among the client's keys (refetching a `jwks_uri` set
    /// once when the `kid` is unknown), or, without `kid`, against the client's few keys that
    /// fit the algorithm, never any other client's.
    private func verifyAssertion(
        _ jws: UnverifiedJWS,
        client: Client,
        allowed: Set<JWSAlgorithm>,
        now: Date
    ) throws -> VerifiedJWS {
        var keys = try keyResolver.keys(for: client, now: now)
        if let kid = jws.header.keyID {
            if client.metadata.jwksURI != nil, !keys.keys.contains(where: { Identifier.equal($0.keyID, kid) }) {
                keys = try keyResolver.keys(for: client, now: now, unknownKID: kid)
            }
            do {
                return try jws.verify(using: keys, allowedAlgorithms: allowed)
            } catch {
                throw OAuthError.invalidClient(
                    "the client assertion's signature does not verify",
                    logDetail: "\(error)"
                )
            }
        }
        let candidates = keys.keys.filter { (try? $0.check(jws.header.algorithm)) != nil }
        guard !candidates.isEmpty, candidates.count <= ClientAuthenticationPolicy.maximumKeysTriedWithoutKID else {
            throw OAuthError.invalidClient(
                "the client assertion has no kid and the client's keys do not single one out",
                logDetail: "\(candidates.count) candidate keys"
            )
        }
        for key in candidates {
            if let verified = try? jws.verify(using: key, allowedAlgorithms: allowed) { return verified }
        }
        throw OAuthError.invalidClient("the client assertion's signature does not verify")
    }

    // MARK: certificates

    private func authenticateCertificate(
        _ client: Client,
        credentials: ClientCredentials,
        now: Date
    ) throws -> AuthenticatedClient {
        guard let certificate = credentials.certificate else {
            throw OAuthError.invalidClient(
                "tls_client_auth needs a TLS client certificate",
                logDetail: "none presented"
            )
        }
        guard let trustStore else {
            throw OAuthError.invalidClient(
                "tls_client_auth is not available",
                logDetail: "mtls.trusted_ca_file is not configured"
            )
        }
        let verified: VerifiedClientCertificate
        switch certificate.verified(by: trustStore, at: now) {
        case .success(let value):
            verified = value
        case .failure(let error):
            throw OAuthError.invalidClient(
                "the client certificate is not trusted",
                logDetail: "chain: \(String(reflecting: error))"
            )
        }
        let matched: Bool
        if let registeredDN = client.metadata.subjectDN {
            guard let parsed = subjectDNs.prepared(registeredDN) else {
                throw OAuthError.invalidClient(
                    "the client's registered subject DN is unusable",
                    logDetail: "registered DN does not parse"
                )
            }
            matched = verified.matches(subjectDN: parsed)
        } else if let san = client.metadata.subjectAlternativeName {
            matched = verified.matches(san)
        } else {
            matched = false
        }
        guard matched else {
            throw OAuthError.invalidClient(
                "the client certificate does not match the registered subject",
                logDetail: "presented subject \(verified.subject)"
            )
        }
        return AuthenticatedClient(client: client, method: .tlsClientAuth, certificate: certificate)
    }

    private func authenticateSelfSigned(
        _ client: Client,
        credentials: ClientCredentials,
        now: Date
    ) throws -> AuthenticatedClient {
        guard let certificate = credentials.certificate else {
            throw OAuthError.invalidClient(
                "self_signed_tls_client_auth needs a TLS client certificate",
                logDetail: "none presented"
            )
        }
        // Fast path: the certificate's SubjectPublicKeyInfo is byte for byte the one a registered
        // key encodes to (no key import, which validates and costs milliseconds for RSA).
        // Otherwise compare RFC 7638 thumbprints, which identify a key whatever its encoding.
        let presentedSPKI = certificate.subjectPublicKeyInfoDER
        var presentedThumbprint: [UInt8]?
        func contains(_ keys: JWKSet) throws -> Bool {
            let signing = keys.keys.filter { $0.use == nil || $0.use == "sig" }
            if signing.contains(where: { (try? $0.publicKey.subjectPublicKeyInfoDER()) == presentedSPKI }) {
                return true
            }
            if presentedThumbprint == nil {
                do {
                    let key = try certificate.publicKey()
                    presentedThumbprint = JWK(publicKey: key, keyID: nil, use: nil, algorithm: nil).thumbprint()
                } catch {
                    throw OAuthError.invalidClient("the client certificate's key is unusable", logDetail: "\(error)")
                }
            }
            return signing.contains { $0.thumbprint() == presentedThumbprint }
        }
        var keys = try keyResolver.keys(for: client, now: now)
        if try !contains(keys), client.metadata.jwksURI != nil {
            let label = "x5t#S256:" + Base64URL.encode(certificate.sha256Thumbprint)
            keys = try keyResolver.keys(for: client, now: now, unknownKID: label)
        }
        guard try contains(keys) else {
            throw OAuthError.invalidClient("the client certificate's key is not one the client registered")
        }
        return AuthenticatedClient(client: client, method: .selfSignedTLSClientAuth, certificate: certificate)
    }

    private func lookUp(_ clientID: String, basicTried: Bool) throws -> Client {
        guard let client = try clients.client(id: clientID) else {
            throw OAuthError.invalidClient(
                "client authentication failed",
                basicChallenge: basicTried,
                logDetail: "unknown client"
            )
        }
        return client
    }
}
