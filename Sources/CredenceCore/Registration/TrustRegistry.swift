import CredenceJOSE
import CredenceJSON
public import Foundation
import OpenSSLCrypto

/// The software-statement issuers this server trusts, and the verification of their statements
/// (RFC 7591 §2.3, Open Banking UK DCR): the registration endpoint's ``SoftwareStatementVerifying``.
///
/// A statement is accepted only when, in this order:
/// 1. it is a compact JWS whose `alg` is a public-key algorithm (`none` and HMAC never parse);
/// 2. its `iss` names a trusted issuer, byte for byte (else `unapproved_software_statement`);
/// 3. its `alg` is one that issuer allows;
/// 4. it verifies with that issuer's key: the `x5c` chain, where the issuer has a CA bundle and
///    the header carries one, verified at `now` for signing and with a leaf the entry names as a
///    statement signer; otherwise the key its `kid` names: a signing certificate of the entry
///    (valid at `now`, with digitalSignature), or a key of its JWK Set file or `jwks_uri`
///    (never a default key, never each key in turn);
/// 5. that key is not on the issuer's revoked-keys list (fail closed when the list is unavailable);
/// 6. it carries `iss`, `iat`, `software_id` and the entry's required claims; `exp`, `nbf` and
///    `iat` hold with the clock skew; `iat` is within the maximum age;
/// 7. `software_id` (and `org_id`, where present) is a non-empty string, and `org_status`, where
///    present, is `Active` (else `unapproved_software_statement`).
///
/// Every other refusal is `invalid_software_statement`; each names its ``TrustRule``.
/// The `jti` is not recorded here: the registration does that in its transaction. Time is a
/// parameter; the only I/O is the ``RemoteJWKSCache``'s fetcher.
public struct TrustRegistry: SoftwareStatementVerifying {
    /// Why a registry cannot be built from the entries given.
    public struct InvalidEntries: Error, Sendable, CustomStringConvertible {
        /// What is wrong.
        public let reason: String
        public var description: String { reason }
    }

    /// The trusted issuers, in configuration order.
    public let issuers: [TrustedIssuer]
    /// Tolerated clock difference for `exp`, `nbf` and `iat`, in seconds (`clock_skew_seconds`).
    public let clockSkewSeconds: Int
    /// Where remote key sets (`jwks_uri`, revoked keys, software keys) come from; `nil` when no
    /// entry uses one (a statement that needs a remote set is then refused).
    let remoteKeys: RemoteJWKSCache?

    /// The longest statement or signed request parsed, in bytes (a statement with an `x5c`
    /// chain and inline `software_jwks` is a few KiB; the request body limit applies first).
    public static let maximumLength = 65_536
    static let parseOptions = JWSParseOptions(maxLength: maximumLength, maxJSONDepth: 16)

    /// A registry of `issuers` (each `iss` at most once), fetching remote sets through `remoteKeys`.
    public init(
        issuers: [TrustedIssuer],
        clockSkewSeconds: Int,
        remoteKeys: RemoteJWKSCache?
    ) throws(InvalidEntries) {
        for (index, entry) in issuers.enumerated() {
            if entry.issuer.isEmpty { throw InvalidEntries(reason: "trusted issuer \(index) has an empty issuer") }
            if issuers[..<index].contains(where: { Identifier.equal($0.issuer, entry.issuer) }) {
                throw InvalidEntries(reason: "the issuer \(entry.issuer) is listed more than once")
            }
        }
        self.issuers = issuers
        self.clockSkewSeconds = max(clockSkewSeconds, 0)
        self.remoteKeys = remoteKeys
    }

    /// The entry whose `iss` is `issuer`, byte for byte.
    public func trustedIssuer(_ issuer: String) -> TrustedIssuer? {
        issuers.first { Identifier.equal($0.issuer, issuer) }
    }

    public func verify(_ statement: String, now: Date) throws(OAuthError) -> VerifiedSoftwareStatement {
        let jws: UnverifiedJWS
        do {
            jws = try UnverifiedJWS(compact: statement, options: Self.parseOptions)
        } catch {
            if error.code == .unsupportedAlgorithm {
                throw TrustRule.statementAlgorithm.invalidStatement(
                    "the statement's algorithm is not accepted (never none or HMAC)",
                    detail: error.debugDescription
                )
            }
            throw TrustRule.statementFormat.invalidStatement(
                "the statement is not a valid compact JWS",
                detail: error.debugDescription
            )
        }
        let unverifiedClaims: JWTClaims
        do {
            unverifiedClaims = try jws.unverifiedClaims()
        } catch {
            throw TrustRule.statementFormat.invalidStatement(
                "the statement's claims are not a valid JWT claims set",
                detail: error.debugDescription
            )
        }
        guard let unverifiedIssuer = unverifiedClaims.issuer else {
            throw TrustRule.requiredClaims.invalidStatement("the claim iss is required")
        }
        guard let entry = trustedIssuer(unverifiedIssuer) else {
            throw TrustRule.trustedIssuer.unapprovedStatement(
                "the statement's issuer is not trusted by this server",
                detail: "iss=\(TrustRule.printable(unverifiedIssuer))"
            )
        }
        guard entry.algorithms.contains(jws.header.algorithm) else {
            throw TrustRule.statementAlgorithm.invalidStatement(
                "\(jws.header.algorithm) is not allowed for this issuer (allowed: \(entry.algorithms.map(\.rawValue).sorted().joined(separator: ", ")))"
            )
        }
        let (verified, signingKey) = try verifySignature(jws, entry: entry, now: now)
        try checkRevocation(signingKey, keyID: jws.header.keyID, entry: entry, now: now)
        let claims: JWTClaims
        do {
            claims = try verified.claims()
        } catch {
            throw TrustRule.statementFormat.invalidStatement(
                "the statement's claims are not a valid JWT claims set",
                detail: error.debugDescription
            )
        }
        return try checkClaims(claims, statement: statement, entry: entry, now: now)
    }

    // MARK: - Signature

    private func verifySignature(
        _ jws: UnverifiedJWS,
        entry: TrustedIssuer,
        now: Date
    ) throws(OAuthError) -> (VerifiedJWS, JWK) {
        if let trustStore = entry.certificateAuthorities, jws.header["x5c"] != nil {
            return try verifyCertificateChain(jws, trustStore: trustStore, entry: entry, now: now)
        }
        if let keyID = jws.header.keyID,
            let signer = entry.signerCertificates.first(where: { Identifier.equal($0.keyID, keyID) })
        {
            return try verify(jws, signer: signer, entry: entry, now: now)
        }
        guard entry.keys != nil || entry.jwksURI != nil || !entry.signerCertificates.isEmpty else {
            throw TrustRule.statementKey.invalidStatement(
                "this issuer's statements are verified through an x5c certificate chain, and the statement has none"
            )
        }
        guard let keyID = jws.header.keyID else {
            throw TrustRule.statementKey.invalidStatement(
                "the statement names no kid, and the issuer's keys are only chosen by kid"
            )
        }
        let keySet: JWKSet
        if let uri = entry.jwksURI, !(entry.keys?.contains(keyID: keyID) ?? false) {
            keySet = try remoteSet(
                uri,
                hosts: .init(entry.issuerKeyHosts, named: "jwks_fetch.allowed_hosts or software_jwks_hosts"),
                refreshingFor: keyID,
                now: now,
                rule: .statementKey,
                what: "the issuer's keys"
            )
        } else {
            keySet = entry.keys ?? JWKSet(keys: [])
        }
        let key: JWK
        do {
            key = try keySet.key(forKID: keyID, algorithm: jws.header.algorithm)
        } catch {
            throw TrustRule.statementKey.invalidStatement(
                "no usable key of this issuer has the statement's kid",
                detail: "kid=\(TrustRule.printable(keyID)); \(error.debugDescription)"
            )
        }
        do {
            return (try jws.verify(using: key, allowedAlgorithms: entry.algorithms), key)
        } catch {
            throw TrustRule.statementSignature.invalidStatement(
                "the statement's signature does not verify with the issuer's key",
                detail: error.debugDescription
            )
        }
    }

    /// A statement whose `kid` names a trusted signing certificate: the certificate must be
    /// valid at `now` and allow digitalSignature, whenever it was checked before.
    private func verify(
        _ jws: UnverifiedJWS,
        signer: TrustedIssuer.SignerCertificate,
        entry: TrustedIssuer,
        now: Date
    ) throws(OAuthError) -> (VerifiedJWS, JWK) {
        if let problem = signer.problem(at: now) {
            throw TrustRule.signerCertificate.invalidStatement(
                "the signing certificate this statement's kid names is not usable now: \(problem)",
                detail: "kid=\(TrustRule.printable(signer.keyID)); subject=\(signer.certificate.subject.rfc4514String)"
            )
        }
        do {
            return (try jws.verify(using: signer.key, allowedAlgorithms: entry.algorithms), signer.key)
        } catch {
            throw TrustRule.statementSignature.invalidStatement(
                "the statement's signature does not verify with the issuer's key",
                detail: error.debugDescription
            )
        }
    }

    private func verifyCertificateChain(
        _ jws: UnverifiedJWS,
        trustStore: CertificateTrustStore,
        entry: TrustedIssuer,
        now: Date
    ) throws(OAuthError) -> (VerifiedJWS, JWK) {
        let verified: VerifiedJWS
        let chain: [Certificate]
        do {
            (verified, chain) = try jws.verify(
                usingCertificateChainTrustedBy: trustStore,
                at: now,
                purpose: .signing,
                allowedAlgorithms: entry.algorithms
            )
        } catch {
            switch error.code {
            case .untrustedCertificateChain, .invalidHeader:
                throw TrustRule.certificateChain.invalidStatement(
                    "the x5c chain does not verify against this issuer's CA bundle",
                    detail: error.debugDescription
                )
            default:
                throw TrustRule.statementSignature.invalidStatement(
                    "the statement's signature does not verify with the x5c leaf key",
                    detail: error.debugDescription
                )
            }
        }
        let leaf = chain[0]
        guard entry.statementSigners.contains(where: { $0.matches(leaf) }) else {
            throw TrustRule.statementSigner.invalidStatement(
                "the x5c leaf certificate is not one of this issuer's statement signers",
                detail: "leaf subject=\(leaf.subject.rfc4514String)"
            )
        }
        do {
            return (verified, JWK(publicKey: try leaf.publicKey(), keyID: jws.header.keyID, use: nil))
        } catch {
            throw TrustRule.statementSignature.invalidStatement(
                "the x5c leaf key is not usable",
                detail: error.debugDescription
            )
        }
    }

    // MARK: - Revocation

    private func checkRevocation(_ key: JWK, keyID: String?, entry: TrustedIssuer, now: Date) throws(OAuthError) {
        guard let uri = entry.revokedKeysURI else { return }
        let revoked = try remoteSet(
            uri,
            hosts: .init(entry.issuerKeyHosts, named: "jwks_fetch.allowed_hosts or software_jwks_hosts"),
            refreshingFor: nil,
            now: now,
            rule: .revokedStatementKey,
            what: "the issuer's revoked-keys list"
        )
        if Self.isRevoked(key, keyID: keyID, in: revoked) {
            throw TrustRule.revokedStatementKey.invalidStatement(
                "the statement was signed with a key this issuer has revoked",
                detail: "kid=\(keyID.map(TrustRule.printable) ?? "none")"
            )
        }
    }

    /// Whether `key` is listed in `revoked`: the same public key (RFC 7638 thumbprint), or any
    /// entry, usable or not, with the same `kid`.
    static func isRevoked(_ key: JWK, keyID: String?, in revoked: JWKSet) -> Bool {
        let thumbprint = key.thumbprint()
        if revoked.keys.contains(where: { $0.thumbprint() == thumbprint }) { return true }
        let keyIDs = [keyID, key.keyID].compactMap { $0 }
        return revoked.keys.contains { listed in keyIDs.contains { Identifier.equal(listed.keyID, $0) } }
            || revoked.skipped.contains { listed in keyIDs.contains { Identifier.equal(listed.keyID, $0) } }
    }

    /// The set at `uri` from the cache; a failure (host not allowed, fetch failed) refuses the
    /// statement under `rule`, and the reason goes to the log.
    func remoteSet(
        _ uri: String,
        hosts: RemoteJWKSCache.HostRule,
        refreshingFor keyID: String?,
        now: Date,
        rule: TrustRule,
        what: String
    ) throws(OAuthError) -> JWKSet {
        guard let remoteKeys else {
            throw rule.invalidStatement("\(what) cannot be fetched (no remote key cache is configured)")
        }
        do {
            return try remoteKeys.keys(
                for: uri,
                allowedHosts: hosts,
                refreshingUnless: { set in keyID.map { set.contains(keyID: $0) } ?? true },
                now: now
            )
        } catch {
            throw rule.invalidStatement("\(what) could not be obtained", detail: error.debugDescription)
        }
    }

    // MARK: - Claims

    private func checkClaims(
        _ claims: JWTClaims,
        statement: String,
        entry: TrustedIssuer,
        now: Date
    ) throws(OAuthError) -> VerifiedSoftwareStatement {
        var required = TrustedIssuer.alwaysRequiredClaims
        for name in entry.requiredClaims where !required.contains(name) { required.append(name) }
        for name in required {
            if claims[name] == nil || claims[name] == .null {
                throw TrustRule.requiredClaims.invalidStatement("the claim \(name) is required")
            }
        }
        do {
            try claims.validate(
                now: now,
                rules: JWTValidationRules(requiredClaims: [], clockSkew: Int64(clockSkewSeconds))
            )
        } catch {
            let rule: TrustRule =
                switch error.code {
                case .expired: .statementExpiry
                case .notYetValid: .statementNotBefore
                case .issuedInFuture: .statementIssuedAt
                default: .statementFormat
                }
            throw rule.invalidStatement(
                "the statement is not valid now: \(error.reason)",
                detail: error.debugDescription
            )
        }
        let nowSeconds = Int64(now.timeIntervalSince1970.rounded(.down))
        if let issuedAt = claims.issuedAt,
            nowSeconds.subtractingReportingOverflow(issuedAt).partialValue
                > Int64(entry.maximumAgeSeconds) + Int64(clockSkewSeconds)
        {
            throw TrustRule.statementMaximumAge.invalidStatement(
                "the statement was issued more than \(entry.maximumAgeSeconds) seconds ago"
            )
        }
        guard case .string(let softwareID)? = claims["software_id"], !softwareID.isEmpty else {
            throw TrustRule.softwareID.invalidStatement("software_id must be a non-empty string")
        }
        var organizationID: String?
        if let value = claims["org_id"], value != .null {
            guard case .string(let text) = value, !text.isEmpty else {
                throw TrustRule.organizationID.invalidStatement("org_id must be a non-empty string")
            }
            organizationID = text
        }
        if let status = claims["org_status"] {
            guard case .string(let text) = status, Self.isActive(text) else {
                throw TrustRule.organizationStatus.unapprovedStatement(
                    "the organisation's status is not Active",
                    detail: "org_status=\(TrustRule.printable(status.serializedString()))"
                )
            }
        }
        try checkSoftwareURLs(claims, entry: entry)
        // A statement without exp (Open Banking UK SSAs carry only iat) is accepted until its
        // maximum age has passed: its jti must be remembered that long (RFC 7519 §4.1.7).
        let acceptedUntil =
            claims.expiresAt
            ?? claims.issuedAt.map {
                $0.addingReportingOverflow(Int64(entry.maximumAgeSeconds) + Int64(clockSkewSeconds)).partialValue
            }
        return VerifiedSoftwareStatement(
            statement: statement,
            issuer: entry.issuer,
            claims: claims.object,
            softwareID: softwareID,
            organizationID: organizationID,
            jti: claims.jwtID,
            expiresAt: acceptedUntil.map { Date(timeIntervalSince1970: TimeInterval($0)) },
            policy: entry.policy,
            transportCertificateAuthorities: entry.transportCertificateAuthorities
        )
    }

    /// The URLs a statement names for the software's keys are fetched only from the issuer's
    /// `software_jwks_hosts`, whether the registration is signed or plain: registered as the
    /// client's `jwks_uri`, a `software_jwks_endpoint` on another host would otherwise be fetched
    /// later at the token endpoint under `jwks_fetch.allowed_hosts`.
    private func checkSoftwareURLs(_ claims: JWTClaims, entry: TrustedIssuer) throws(OAuthError) {
        for claim in ["software_jwks_endpoint", "software_jwks_revoked_endpoint"] {
            guard let value = claims[claim], value != .null else { continue }
            guard case .string(let uri) = value, let url = try? RemoteJWKSURL(parsing: uri) else {
                throw TrustRule.softwareKeys.invalidStatement("\(claim) is not a usable https URL")
            }
            guard entry.softwareJWKSHosts.allows(url) else {
                throw TrustRule.softwareKeys.unapprovedStatement(
                    "the host of \(claim) is not one this server fetches software keys from",
                    detail: "host=\(TrustRule.printable(url.host)); allowed: software_jwks_hosts of \(entry.issuer)"
                )
            }
        }
    }

    /// `Active`, ASCII case-insensitively (no Unicode case mapping: `ACTİVE` is not active).
    static func isActive(_ status: String) -> Bool {
        let expected = Array("active".utf8)
        let bytes = Array(status.utf8)
        guard bytes.count == expected.count else { return false }
        return zip(bytes, expected).allSatisfy { byte, letter in
            byte == letter || (byte >= 0x41 && byte <= 0x5A && byte + 0x20 == letter)
        }
    }
}
