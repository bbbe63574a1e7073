import CredenceJOSE
public import CredenceJSON
public import Foundation

/// Verifies an Open Banking UK signed registration request: a compact JWS (sent as
/// `application/jwt` or `application/jose`) signed by the software's own key, whose claims are
/// the client metadata and carry the `software_statement`.
///
/// The request names its own signer, so nothing in it is believed before the statement is:
/// 1. the claims are read unverified only to find `software_statement`;
/// 2. that statement is verified by the ``TrustRegistry`` (its errors pass through unchanged);
/// 3. the request's header may not carry a key or a key location (`x5c`, `x5u`, `jku`, `jwk`):
///    its key comes from the verified statement only, `software_jwks` inline or
///    `software_jwks_endpoint`, fetched through the cache and only from a host on the issuer's
///    `software_jwks_hosts`; keys listed at `software_jwks_revoked_endpoint` are refused;
/// 4. the request verifies with the key its `kid` names, under the issuer's algorithms;
/// 5. `iat`, `exp` and `jti` are present, `exp`/`nbf`/`iat` hold with the clock skew, `iss` is
///    the statement's `software_id`, and `aud` names this server where the issuer's policy
///    says so (``RegistrationPolicy/requireRequestAudience``).
///
/// The `jti` is returned, not recorded: the registration records it in its transaction.
/// Refusals of the request itself are `invalid_client_metadata`; refusals of the statement, or
/// of the software keys it names, `invalid_software_statement` or
/// `unapproved_software_statement`. Each names its ``TrustRule``.
public struct SignedRegistrationRequest: Sendable {
    /// The registry that verifies the embedded statement and names the issuer's key hosts.
    public let registry: TrustRegistry
    /// This server's issuer identifier: the `aud` a request must name.
    public let audience: String

    /// The media types a signed request arrives as (both are seen in the field).
    public static let contentTypes = ["application/jwt", "application/jose"]
    /// Header members that would let the request name its own key (RFC 7515 §4.1.2–§4.1.6).
    public static let refusedHeaderMembers = ["x5c", "x5u", "jku", "jwk"]
    /// Claims every signed request must carry (Open Banking UK DCR).
    public static let requiredClaims = ["iss", "iat", "exp", "jti"]
    /// The JWT envelope claims, which describe the request rather than the client and so are
    /// not part of ``VerifiedRegistrationRequest/metadata``.
    public static let envelopeClaims: Set<String> = ["iss", "aud", "iat", "exp", "nbf", "jti"]

    /// A verifier for requests to the server whose issuer identifier is `audience`.
    public init(registry: TrustRegistry, audience: String) {
        self.registry = registry
        self.audience = audience
    }

    /// Verifies the request body at `now`; `statementVerified` gets the embedded statement as
    /// soon as it has verified (before the request's own checks).
    public func verify(
        _ body: [UInt8],
        now: Date,
        statementVerified: (VerifiedSoftwareStatement) -> Void = { _ in }
    ) throws(OAuthError) -> VerifiedRegistrationRequest {
        // A body from curl --data-binary @file often ends in a newline; nothing else is trimmed.
        var start = body.startIndex
        var end = body.endIndex
        while start < end, Self.isWhitespace(body[start]) { start += 1 }
        while end > start, Self.isWhitespace(body[end - 1]) { end -= 1 }
        let jws: UnverifiedJWS
        do {
            jws = try UnverifiedJWS(compact: Array(body[start..<end]), options: TrustRegistry.parseOptions)
        } catch {
            throw TrustRule.requestFormat.invalidMetadata(
                "the signed request is not a valid compact JWS with a public-key algorithm",
                detail: error.debugDescription
            )
        }
        let unverified: JWTClaims
        do {
            unverified = try jws.unverifiedClaims()
        } catch {
            throw TrustRule.requestFormat.invalidMetadata(
                "the signed request's claims are not a valid JWT claims set",
                detail: error.debugDescription
            )
        }
        guard let value = unverified["software_statement"] else {
            throw TrustRule.softwareStatement.invalidStatement(
                "the signed request carries no software_statement"
            )
        }
        guard case .string(let compactStatement) = value else {
            throw TrustRule.softwareStatement.invalidStatement("software_statement must be a string (a JWS)")
        }
        let statement = try registry.verify(compactStatement, now: now)
        statementVerified(statement)
        guard let entry = registry.trustedIssuer(statement.issuer) else {
            throw OAuthError.serverError(logDetail: "a verified statement's issuer is not in the registry")
        }
        for name in Self.refusedHeaderMembers where jws.header[name] != nil {
            throw TrustRule.requestHeader.invalidMetadata(
                "the signed request's header may not carry \(name): its key comes from the software statement"
            )
        }
        guard entry.algorithms.contains(jws.header.algorithm) else {
            throw TrustRule.requestAlgorithm.invalidMetadata(
                "\(jws.header.algorithm) is not allowed (allowed: \(entry.algorithms.map(\.rawValue).sorted().joined(separator: ", ")))"
            )
        }
        guard let keyID = jws.header.keyID else {
            throw TrustRule.requestKey.invalidMetadata(
                "the signed request names no kid, and software keys are only chosen by kid"
            )
        }
        let keySet = try softwareKeys(statement.claims, keyID: keyID, entry: entry, now: now)
        let key: JWK
        do {
            key = try keySet.key(forKID: keyID, algorithm: jws.header.algorithm)
        } catch {
            throw TrustRule.requestKey.invalidMetadata(
                "no usable software key has the request's kid",
                detail: "kid=\(TrustRule.printable(keyID)); \(error.debugDescription)"
            )
        }
        try checkRevocation(key, keyID: keyID, claims: statement.claims, entry: entry, now: now)
        let verified: VerifiedJWS
        do {
            verified = try jws.verify(using: key, allowedAlgorithms: entry.algorithms)
        } catch {
            throw TrustRule.requestSignature.invalidMetadata(
                "the signed request's signature does not verify with the software key",
                detail: error.debugDescription
            )
        }
        let claims: JWTClaims
        do {
            claims = try verified.claims()
        } catch {
            throw TrustRule.requestFormat.invalidMetadata(
                "the signed request's claims are not a valid JWT claims set",
                detail: error.debugDescription
            )
        }
        return try checkClaims(claims, statement: statement, now: now)
    }

    // MARK: - Software keys

    private func softwareKeys(
        _ claims: JSONObject,
        keyID: String,
        entry: TrustedIssuer,
        now: Date
    ) throws(OAuthError) -> JWKSet {
        if let inline = claims["software_jwks"] {
            guard case .object(let object) = inline else {
                throw TrustRule.softwareKeys.invalidStatement("software_jwks must be a JWK Set object")
            }
            do {
                return try JWKSet(json: object)
            } catch {
                throw TrustRule.softwareKeys.invalidStatement(
                    "software_jwks is not a usable JWK Set",
                    detail: error.debugDescription
                )
            }
        }
        guard let endpoint = claims["software_jwks_endpoint"] else {
            throw TrustRule.softwareKeys.invalidStatement(
                "the statement names no software key (software_jwks or software_jwks_endpoint)"
            )
        }
        let uri = try softwareURL(endpoint, claim: "software_jwks_endpoint", entry: entry)
        return try registry.remoteSet(
            uri,
            hosts: Self.hostRule(entry),
            refreshingFor: keyID,
            now: now,
            rule: .softwareKeys,
            what: "the software's keys at software_jwks_endpoint"
        )
    }

    private func checkRevocation(
        _ key: JWK,
        keyID: String,
        claims: JSONObject,
        entry: TrustedIssuer,
        now: Date
    ) throws(OAuthError) {
        guard let endpoint = claims["software_jwks_revoked_endpoint"], endpoint != .null else { return }
        let uri = try softwareURL(endpoint, claim: "software_jwks_revoked_endpoint", entry: entry)
        let revoked = try registry.remoteSet(
            uri,
            hosts: Self.hostRule(entry),
            refreshingFor: nil,
            now: now,
            rule: .revokedSoftwareKey,
            what: "the software's revoked keys at software_jwks_revoked_endpoint"
        )
        if TrustRegistry.isRevoked(key, keyID: keyID, in: revoked) {
            throw TrustRule.revokedSoftwareKey.invalidMetadata(
                "the signed request was signed with a key the software has revoked",
                detail: "kid=\(TrustRule.printable(keyID))"
            )
        }
    }

    /// A URL from the statement, allowed only on a host of the issuer's `software_jwks_hosts`
    /// (a URL the statement chose is a request from inside the bank: server-side request forgery).
    private func softwareURL(_ value: JSONValue, claim: String, entry: TrustedIssuer) throws(OAuthError) -> String {
        guard case .string(let uri) = value else {
            throw TrustRule.softwareKeys.invalidStatement("\(claim) must be a string")
        }
        do {
            _ = try RemoteJWKSURL(parsing: uri)
        } catch {
            throw TrustRule.softwareKeys.invalidStatement(
                "\(claim) is not a usable https URL",
                detail: error.debugDescription
            )
        }
        let rule = Self.hostRule(entry)
        do {
            guard let remoteKeys = registry.remoteKeys else { return uri }  // refused when fetched
            _ = try remoteKeys.validate(uri, allowedHosts: rule)
        } catch {
            throw TrustRule.softwareKeys.unapprovedStatement(
                "the host of \(claim) is not one this server fetches software keys from",
                detail: error.debugDescription
            )
        }
        return uri
    }

    private static func hostRule(_ entry: TrustedIssuer) -> RemoteJWKSCache.HostRule {
        .init(entry.softwareJWKSHosts, named: "software_jwks_hosts of the trusted issuer \(entry.issuer)")
    }

    // MARK: - Claims

    private func checkClaims(
        _ claims: JWTClaims,
        statement: VerifiedSoftwareStatement,
        now: Date
    ) throws(OAuthError) -> VerifiedRegistrationRequest {
        for name in Self.requiredClaims where claims[name] == nil || claims[name] == .null {
            throw TrustRule.requestClaims.invalidMetadata("the signed request's claim \(name) is required")
        }
        do {
            try claims.validate(
                now: now,
                rules: JWTValidationRules(requiredClaims: [], clockSkew: Int64(registry.clockSkewSeconds))
            )
        } catch {
            let rule: TrustRule =
                switch error.code {
                case .expired: .requestExpiry
                case .notYetValid: .requestNotBefore
                case .issuedInFuture: .requestIssuedAt
                default: .requestFormat
                }
            throw rule.invalidMetadata("the signed request is not valid now: \(error.reason)")
        }
        guard Identifier.equal(claims.issuer, statement.softwareID) else {
            throw TrustRule.requestIssuer.invalidMetadata(
                "the signed request's iss must be the software statement's software_id"
            )
        }
        if statement.policy.requireRequestAudience, !claims.audience.contains(where: { Identifier.equal($0, audience) })
        {
            throw TrustRule.requestAudience.invalidMetadata(
                "the signed request's aud must be this server's issuer identifier"
            )
        }
        guard let jti = claims.jwtID, !jti.isEmpty, let issuedAt = claims.issuedAt, let expiresAt = claims.expiresAt
        else {
            throw TrustRule.requestClaims.invalidMetadata("the signed request's iat, exp and jti are required")
        }
        var metadata = JSONObject()
        for (name, value) in claims.object where !Self.envelopeClaims.contains(name) { metadata[name] = value }
        return VerifiedRegistrationRequest(
            claims: claims.object,
            metadata: metadata,
            statement: statement,
            jti: jti,
            issuedAt: Date(timeIntervalSince1970: TimeInterval(issuedAt)),
            expiresAt: Date(timeIntervalSince1970: TimeInterval(expiresAt))
        )
    }

    private static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
    }
}

/// A signed registration request whose statement, signature and claims were checked: what the
/// registration endpoint turns into a client.
public struct VerifiedRegistrationRequest: Sendable {
    /// Every claim of the request, as signed.
    public var claims: JSONObject
    /// The client metadata: the request's claims without the JWT envelope (`iss`, `aud`, `iat`,
    /// `exp`, `nbf`, `jti`), `software_statement` included. Statement claims win over these
    /// where both carry one (RFC 7591 §2.3); the registration applies that rule.
    public var metadata: JSONObject
    /// The verified software statement, with its issuer's policy.
    public var statement: VerifiedSoftwareStatement
    /// The request's `jti`: the registration records it, in its transaction, so that the
    /// request cannot be replayed until ``expiresAt``.
    public var jti: String
    /// The request's `iat`.
    public var issuedAt: Date
    /// The request's `exp`: how long the `jti` must be remembered.
    public var expiresAt: Date

    /// Creates the value (``SignedRegistrationRequest`` does).
    public init(
        claims: JSONObject,
        metadata: JSONObject,
        statement: VerifiedSoftwareStatement,
        jti: String,
        issuedAt: Date,
        expiresAt: Date
    ) {
        self.claims = claims
        self.metadata = metadata
        self.statement = statement
        self.jti = jti
        self.issuedAt = issuedAt
        self.expiresAt = expiresAt
    }
}

extension VerifiedRegistrationRequest {
    /// The claims of the JWT envelope, which are not client metadata.
    public static let envelopeClaims: Set<String> = ["iss", "aud", "iat", "exp", "nbf", "jti"]

    /// A verified request from its claims (test doubles of ``SignedRegistrationRequestVerifying``):
    /// the metadata is the claims without the envelope, `iat` read from the claims.
    public init(claims: JSONObject, statement: VerifiedSoftwareStatement, jti: String, expiresAt: Date) {
        var metadata = JSONObject()
        for (name, value) in claims where !Self.envelopeClaims.contains(name) { metadata[name] = value }
        let issuedAt = claims["iat"]?.int64Value.map { Date(timeIntervalSince1970: TimeInterval($0)) } ?? expiresAt
        self.init(
            claims: claims,
            metadata: metadata,
            statement: statement,
            jti: jti,
            issuedAt: issuedAt,
            expiresAt: expiresAt
        )
    }
}

/// The registration endpoint's seam, over the compact request text it received.
extension SignedRegistrationRequest: SignedRegistrationRequestVerifying {
    public func verify(_ request: String, now: Date) throws -> VerifiedRegistrationRequest {
        try verify(Array(request.utf8), now: now)
    }

    public func verify(
        _ request: String,
        now: Date,
        statementVerified: (VerifiedSoftwareStatement) -> Void
    ) throws -> VerifiedRegistrationRequest {
        try verify(Array(request.utf8), now: now, statementVerified: statementVerified)
    }
}
