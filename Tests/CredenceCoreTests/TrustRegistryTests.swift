import CredenceCore
import CredenceJOSE
import CredenceJSON
import CredenceTesting
import Foundation
import OpenSSLCrypto
import Testing

/// Software statements (RFC 7591 §2.3, Open Banking UK) against the trust registry: what is
/// accepted, and every refusal with its error code and rule.
@Suite struct TrustRegistryTests {
    let registry: TrustRegistry

    init() throws {
        registry = try Directory.registry()
    }

    @Test func aStatementSignedByTheDirectorysKeyIsAccepted() throws {
        let statement = try Directory.statement(["exp": JSONValue(Directory.nowSeconds + 3600), "jti": "ssa-1"])
        let verified = try registry.verify(statement, now: Directory.now)
        #expect(verified.issuer == Directory.issuer)
        #expect(verified.softwareID == "software-42")
        #expect(verified.organizationID == "0015800001HQQrZAAX")
        #expect(verified.jti == "ssa-1")
        #expect(verified.expiresAt == Date(timeIntervalSince1970: TimeInterval(Directory.nowSeconds + 3600)))
        #expect(verified.statement == statement)
        #expect(verified.claims["software_client_name"] == "Payments App")
        #expect(verified.policy == .default)
    }

    /// Open Banking UK statements carry no exp: their jti is remembered for as long as the
    /// maximum age accepts them (iat + max age + skew), not forgotten at once.
    @Test func aStatementWithoutExpIsRememberedUntilItsMaximumAgeHasPassed() throws {
        let statement = try Directory.statement(["jti": "ssa-no-exp"])
        let verified = try registry.verify(statement, now: Directory.now)
        #expect(verified.jti == "ssa-no-exp")
        let issuedAt = Directory.nowSeconds - 60
        let until = issuedAt + Int64(TrustedIssuer.defaultMaximumAgeSeconds) + 60
        #expect(verified.expiresAt == Date(timeIntervalSince1970: TimeInterval(until)))
    }

    /// A plain registration registers software_jwks_endpoint as the client's jwks_uri: a host
    /// off the issuer's software_jwks_hosts is refused by the statement check itself, not only
    /// when a signed request fetches it.
    @Test(arguments: ["software_jwks_endpoint", "software_jwks_revoked_endpoint"])
    func aSoftwareKeyURLOffTheIssuersHostsIsUnapproved(claim: String) throws {
        let statement = try Directory.statement([claim: "https://elsewhere.example/software.jwks"])
        expectRefusal("unapproved_software_statement", .softwareKeys) {
            _ = try registry.verify(statement, now: Directory.now)
        }
        let notHTTPS = try Directory.statement([claim: "http://keystore.directory.example/software.jwks"])
        expectRefusal("invalid_software_statement", .softwareKeys) {
            _ = try registry.verify(notHTTPS, now: Directory.now)
        }
    }

    @Test func anES256StatementIsAcceptedByDefault() throws {
        let statement = try Directory.sign(Directory.claims(), key: Directory.ecKey, algorithm: .es256, kid: "dir-ec")
        #expect(try registry.verify(statement, now: Directory.now).softwareID == "software-42")
    }

    @Test func anUnknownIssuerIsUnapproved() throws {
        let statement = try Directory.statement(["iss": "https://elsewhere.example/ssa"])
        expectRefusal("unapproved_software_statement", .trustedIssuer) {
            _ = try registry.verify(statement, now: Directory.now)
        }
    }

    /// Issuers compare by bytes: a canonically equivalent spelling is another issuer.
    @Test func anIssuerEquivalentOnlyUnderUnicodeNormalisationIsUnapproved() throws {
        let registry = try Directory.registry([Directory.entry(issuer: "Key Directory")])
        let statement = try Directory.statement(["iss": "\u{212A}ey Directory"])
        expectRefusal("unapproved_software_statement", .trustedIssuer) {
            _ = try registry.verify(statement, now: Directory.now)
        }
        _ = try registry.verify(Directory.statement(["iss": "Key Directory"]), now: Directory.now)
    }

    @Test func aStatementWithoutIssIsInvalid() throws {
        let statement = try Directory.statement(["iss": .null])
        expectRefusal("invalid_software_statement", .requiredClaims) {
            _ = try registry.verify(statement, now: Directory.now)
        }
    }

    @Test func aSignatureByAnotherKeyUnderTheDirectorysKidIsRefused() throws {
        let forged = try Directory.sign(Directory.claims(), key: TestKeys.es256A, algorithm: .es256, kid: "dir-ec")
        expectRefusal("invalid_software_statement", .statementSignature) {
            _ = try registry.verify(forged, now: Directory.now)
        }
    }

    @Test func aTamperedPayloadIsRefused() throws {
        let statement = try Directory.statement()
        let parts = statement.split(separator: ".").map(String.init)
        let other = try Directory.statement(["software_id": "someone-else"]).split(separator: ".").map(String.init)
        expectRefusal("invalid_software_statement", .statementSignature) {
            _ = try registry.verify([parts[0], other[1], parts[2]].joined(separator: "."), now: Directory.now)
        }
    }

    @Test func anUnknownKidIsRefused() throws {
        let statement = try Directory.sign(Directory.claims(), kid: "dir-unknown")
        expectRefusal("invalid_software_statement", .statementKey) {
            _ = try registry.verify(statement, now: Directory.now)
        }
        let withoutKid = try Directory.sign(Directory.claims(), kid: nil)
        expectRefusal("invalid_software_statement", .statementKey) {
            _ = try registry.verify(withoutKid, now: Directory.now)
        }
    }

    @Test func rs256IsRefusedUnlessTheIssuerListsIt() throws {
        let rsaKeys = JWKSet(keys: [JWK(publicKey: Directory.rsaKey.publicKey, keyID: "dir-rsa", algorithm: .rs256)])
        let statement = try Directory.sign(Directory.claims(), algorithm: .rs256)
        let strict = try Directory.registry([Directory.entry(keys: rsaKeys)])
        expectRefusal("invalid_software_statement", .statementAlgorithm) {
            _ = try strict.verify(statement, now: Directory.now)
        }
        var lenient = Directory.entry(keys: rsaKeys)
        lenient.algorithms = [.ps256, .rs256]
        #expect(try Directory.registry([lenient]).verify(statement, now: Directory.now).softwareID == "software-42")
    }

    @Test func noneAndHMACAreRefused() throws {
        let claims = try JWTClaims(Directory.claims())
        let hmac = try Forge.hmac(claims, secret: Array(repeating: 7, count: 32), kid: "dir-rsa")
        for token in [hmac, Forge.unsecured(claims) + "AAAA"] {
            expectRefusal("invalid_software_statement", .statementAlgorithm) {
                _ = try registry.verify(token, now: Directory.now)
            }
        }
        // RFC 7519 §6.1's unsecured JWT has an empty signature part: not even a JWS.
        expectRefusal("invalid_software_statement", .statementFormat) {
            _ = try registry.verify(Forge.unsecured(claims), now: Directory.now)
        }
    }

    @Test(arguments: ["", "not a jws", "a.b", "a.b.c.d", "e30.e30.AA"])
    func aMalformedStatementIsInvalid(_ text: String) {
        expectRefusal("invalid_software_statement", .statementFormat) {
            _ = try registry.verify(text, now: Directory.now)
        }
    }

    @Test func anExpiredStatementIsRefused() throws {
        let statement = try Directory.statement(["exp": JSONValue(Directory.nowSeconds - 61)])
        expectRefusal("invalid_software_statement", .statementExpiry) {
            _ = try registry.verify(statement, now: Directory.now)
        }
        // Within the skew it still holds.
        _ = try registry.verify(Directory.statement(["exp": JSONValue(Directory.nowSeconds - 59)]), now: Directory.now)
    }

    @Test func aStatementNotYetValidIsRefused() throws {
        let statement = try Directory.statement(["nbf": JSONValue(Directory.nowSeconds + 120)])
        expectRefusal("invalid_software_statement", .statementNotBefore) {
            _ = try registry.verify(statement, now: Directory.now)
        }
    }

    @Test func aStatementIssuedInTheFutureIsRefused() throws {
        let statement = try Directory.statement(["iat": JSONValue(Directory.nowSeconds + 61)])
        expectRefusal("invalid_software_statement", .statementIssuedAt) {
            _ = try registry.verify(statement, now: Directory.now)
        }
    }

    @Test func aStatementOlderThanTheMaximumAgeIsRefused() throws {
        let limit = Int64(TrustedIssuer.defaultMaximumAgeSeconds) + 60
        let old = try Directory.statement(["iat": JSONValue(Directory.nowSeconds - limit - 1)])
        expectRefusal("invalid_software_statement", .statementMaximumAge) {
            _ = try registry.verify(old, now: Directory.now)
        }
        _ = try registry.verify(
            Directory.statement(["iat": JSONValue(Directory.nowSeconds - limit)]),
            now: Directory.now
        )
        var shortLived = Directory.entry()
        shortLived.maximumAgeSeconds = 300
        let tenMinutes = try Directory.statement(["iat": JSONValue(Directory.nowSeconds - 600)])
        expectRefusal("invalid_software_statement", .statementMaximumAge) {
            _ = try Directory.registry([shortLived]).verify(tenMinutes, now: Directory.now)
        }
    }

    @Test(arguments: ["software_id", "iat", "jti"])
    func aMissingRequiredClaimIsRefused(_ claim: String) throws {
        let statement = try Directory.statement([claim: .null])
        expectRefusal("invalid_software_statement", .requiredClaims) {
            _ = try registry.verify(statement, now: Directory.now)
        }
    }

    @Test func anEntrysOwnRequiredClaimsAreEnforced() throws {
        var entry = Directory.entry()
        entry.requiredClaims = ["org_id", "software_roles"]
        let registry = try Directory.registry([entry])
        expectRefusal("invalid_software_statement", .requiredClaims) {
            _ = try registry.verify(Directory.statement(["software_roles": .null]), now: Directory.now)
        }
        // software_id stays required even when the entry's list leaves it out; jti does not.
        expectRefusal("invalid_software_statement", .requiredClaims) {
            _ = try registry.verify(Directory.statement(["software_id": .null]), now: Directory.now)
        }
        #expect(try registry.verify(Directory.statement(["jti": .null]), now: Directory.now).jti == nil)
    }

    @Test(arguments: [JSONValue(42), "", .array(["software-42"])])
    func aSoftwareIDThatIsNotANonEmptyStringIsRefused(_ value: JSONValue) throws {
        let statement = try Directory.statement(["software_id": value])
        expectRefusal("invalid_software_statement", .softwareID) {
            _ = try registry.verify(statement, now: Directory.now)
        }
    }

    @Test func anOrgIDThatIsNotAStringIsRefused() throws {
        expectRefusal("invalid_software_statement", .organizationID) {
            _ = try registry.verify(Directory.statement(["org_id": JSONValue(7)]), now: Directory.now)
        }
        #expect(try registry.verify(Directory.statement(["org_id": .null]), now: Directory.now).organizationID == nil)
    }

    @Test(arguments: ["Inactive", "Revoked", "Withdrawn", "", "Active ", "ACT\u{130}VE", "Activ"])
    func anOrganisationThatIsNotActiveIsUnapproved(_ status: String) throws {
        let statement = try Directory.statement(["org_status": .string(status)])
        expectRefusal("unapproved_software_statement", .organizationStatus) {
            _ = try registry.verify(statement, now: Directory.now)
        }
    }

    @Test(arguments: ["Active", "active", "ACTIVE"])
    func anActiveOrganisationInAnyCaseIsAccepted(_ status: String) throws {
        _ = try registry.verify(Directory.statement(["org_status": .string(status)]), now: Directory.now)
    }

    @Test func aNonStringOrgStatusIsUnapproved() throws {
        expectRefusal("unapproved_software_statement", .organizationStatus) {
            _ = try registry.verify(Directory.statement(["org_status": true]), now: Directory.now)
        }
    }

    // MARK: - Remote keys

    @Test func keysFromAJWKSURIAreFetchedAndRefetchedOnceForANewKid() throws {
        let fetcher = InMemoryJWKSetFetcher()
        let uri = "https://directory.example/keys.jwks"
        fetcher.serve(JSONValue.object(Directory.keySet().jsonObject).serializedString(), at: uri)
        var entry = Directory.entry(keys: nil)
        entry.jwksURI = uri
        entry.issuerKeyHosts = JWKSHostAllowlist(["directory.example"])!
        let registry = try Directory.registry([entry], fetcher: fetcher)
        _ = try registry.verify(Directory.statement(), now: Directory.now)
        #expect(fetcher.fetchCount(uri) == 1)

        // The directory rotates: a statement with the new kid makes one refetch.
        let rotated = TestKeys.es256B
        fetcher.serve(
            JSONValue.object(JWKSet(keys: [JWK(publicKey: rotated.publicKey, keyID: "dir-2030")]).jsonObject)
                .serializedString(),
            at: uri
        )
        let later = Directory.now.addingTimeInterval(61)
        let statement = try Directory.sign(
            Directory.claims(["iat": JSONValue(Directory.nowSeconds)]),
            key: rotated,
            algorithm: .es256,
            kid: "dir-2030"
        )
        _ = try registry.verify(statement, now: later)
        #expect(fetcher.fetchCount(uri) == 2)
        // A made-up kid does not make another fetch within the minute.
        expectRefusal("invalid_software_statement", .statementKey) {
            _ = try registry.verify(
                Directory.sign(Directory.claims(), kid: "made-up"),
                now: later.addingTimeInterval(1)
            )
        }
        #expect(fetcher.fetchCount(uri) == 2)
    }

    @Test func aJWKSURIThatCannotBeFetchedRefusesTheStatement() throws {
        let fetcher = InMemoryJWKSetFetcher()
        let uri = "https://directory.example/keys.jwks"
        fetcher.fail(uri)
        var entry = Directory.entry(keys: nil)
        entry.jwksURI = uri
        entry.issuerKeyHosts = JWKSHostAllowlist(["directory.example"])!
        expectRefusal("invalid_software_statement", .statementKey) {
            _ = try Directory.registry([entry], fetcher: fetcher).verify(Directory.statement(), now: Directory.now)
        }
    }

    @Test func aJWKSURIOffTheIssuersHostsIsNeverFetched() throws {
        let fetcher = InMemoryJWKSetFetcher()
        let uri = "https://directory.example/keys.jwks"
        fetcher.serve(JSONValue.object(Directory.keySet().jsonObject).serializedString(), at: uri)
        var entry = Directory.entry(keys: nil)
        entry.jwksURI = uri
        expectRefusal("invalid_software_statement", .statementKey) {
            _ = try Directory.registry([entry], fetcher: fetcher).verify(Directory.statement(), now: Directory.now)
        }
        #expect(fetcher.fetchCount(uri) == 0)
    }

    @Test func aStatementSignedWithARevokedKeyIsRefused() throws {
        let fetcher = InMemoryJWKSetFetcher()
        let revokedURI = "https://directory.example/revoked.jwks"
        var entry = Directory.entry()
        entry.revokedKeysURI = revokedURI
        entry.issuerKeyHosts = JWKSHostAllowlist(["directory.example"])!
        let registry = try Directory.registry([entry], fetcher: fetcher)
        // Listed by its public key (under another kid): refused.
        fetcher.serve(
            JSONValue.object(JWKSet(keys: [JWK(publicKey: Directory.rsaKey.publicKey, keyID: "old")]).jsonObject)
                .serializedString(),
            at: revokedURI
        )
        expectRefusal("invalid_software_statement", .revokedStatementKey) {
            _ = try registry.verify(Directory.statement(), now: Directory.now)
        }
        // The EC key is not listed: accepted.
        _ = try registry.verify(
            Directory.sign(Directory.claims(), key: Directory.ecKey, algorithm: .es256, kid: "dir-ec"),
            now: Directory.now
        )
    }

    @Test func aRevokedKidIsRefusedAndAnUnavailableListFailsClosed() throws {
        let fetcher = InMemoryJWKSetFetcher()
        let revokedURI = "https://directory.example/revoked.jwks"
        var entry = Directory.entry()
        entry.revokedKeysURI = revokedURI
        entry.issuerKeyHosts = JWKSHostAllowlist(["directory.example"])!
        fetcher.serve(
            JSONValue.object(JWKSet(keys: [JWK(publicKey: TestKeys.es256A.publicKey, keyID: "dir-rsa")]).jsonObject)
                .serializedString(),
            at: revokedURI
        )
        expectRefusal("invalid_software_statement", .revokedStatementKey) {
            _ = try Directory.registry([entry], fetcher: fetcher).verify(Directory.statement(), now: Directory.now)
        }
        let down = InMemoryJWKSetFetcher()
        down.fail(revokedURI)
        expectRefusal("invalid_software_statement", .revokedStatementKey) {
            _ = try Directory.registry([entry], fetcher: down).verify(Directory.statement(), now: Directory.now)
        }
    }

    // MARK: - x5c

    static func certificateEntry(signers: [TrustedIssuer.StatementSigner]) throws -> TrustedIssuer {
        var entry = Directory.entry(keys: nil)
        entry.certificateAuthorities = try DirectoryPKI.trustStore()
        entry.statementSigners = signers
        return entry
    }

    static func x5cStatement(signer: String, chain: [String], algorithm: JWSAlgorithm = .ps256) throws -> String {
        try Directory.sign(
            Directory.claims(),
            key: DirectoryPKI.key(signer),
            algorithm: algorithm,
            kid: nil,
            header: ["x5c": DirectoryPKI.x5c(chain.map(DirectoryPKI.certificate))]
        )
    }

    @Test func anX5CStatementFromANamedSignerIsAccepted() throws {
        let statement = try Self.x5cStatement(signer: "ssa-signer", chain: ["ssa-signer"])
        for signer in [
            TrustedIssuer.StatementSigner.subject(try DirectoryPKI.signerSubject()),
            .subject(
                try DistinguishedName(rfc4514: "cn=ssa signer,ou=Software Statements,o=Credence Test Directory,c=gb")
            ),
            .publicKeySHA256(try DirectoryPKI.signerSPKISHA256()),
        ] {
            let registry = try Directory.registry([Self.certificateEntry(signers: [signer])])
            #expect(try registry.verify(statement, now: Directory.now).softwareID == "software-42")
        }
    }

    /// The unrelated CA's signer has the very same subject: the chain decides first.
    @Test func anX5CChainToAnotherCAIsRefused() throws {
        let statement = try Self.x5cStatement(signer: "other-signer", chain: ["other-signer", "other-ca"])
        let registry = try Directory.registry([Self.certificateEntry(signers: [.subject(DirectoryPKI.signerSubject())])]
        )
        expectRefusal("invalid_software_statement", .certificateChain) {
            _ = try registry.verify(statement, now: Directory.now)
        }
    }

    /// A TPP's own certificate chains to the directory CA too, and must never sign a statement.
    @Test func anX5CLeafThatIsNotAStatementSignerIsRefused() throws {
        let statement = try Self.x5cStatement(signer: "tpp-transport", chain: ["tpp-transport"], algorithm: .es256)
        for signer in [
            TrustedIssuer.StatementSigner.subject(try DirectoryPKI.signerSubject()),
            .publicKeySHA256(try DirectoryPKI.signerSPKISHA256()),
        ] {
            let registry = try Directory.registry([Self.certificateEntry(signers: [signer])])
            expectRefusal("invalid_software_statement", .statementSigner) {
                _ = try registry.verify(statement, now: Directory.now)
            }
        }
    }

    @Test func anX5CChainIsCheckedAtNow() throws {
        let statement = try Self.x5cStatement(signer: "ssa-signer", chain: ["ssa-signer"])
        let registry = try Directory.registry([Self.certificateEntry(signers: [.subject(DirectoryPKI.signerSubject())])]
        )
        let after = Date(timeIntervalSince1970: 2_240_611_200)  // 2041-01-01: the chain has expired
        expectRefusal("invalid_software_statement", .certificateChain) {
            _ = try registry.verify(
                Directory.sign(
                    Directory.claims(["iat": JSONValue(2_240_611_100)]),
                    key: DirectoryPKI.key("ssa-signer"),
                    kid: nil,
                    header: ["x5c": DirectoryPKI.x5c([DirectoryPKI.certificate("ssa-signer")])]
                ),
                now: after
            )
        }
        _ = try registry.verify(statement, now: Directory.now)
    }

    @Test func anIssuerTrustedThroughItsCAOnlyNeedsAnX5C() throws {
        let registry = try Directory.registry([Self.certificateEntry(signers: [.subject(DirectoryPKI.signerSubject())])]
        )
        let statement = try Directory.sign(Directory.claims(), key: DirectoryPKI.key("ssa-signer"), kid: "any")
        expectRefusal("invalid_software_statement", .statementKey) {
            _ = try registry.verify(statement, now: Directory.now)
        }
    }

    @Test func anEmptySubjectNeverNamesASigner() throws {
        let leaf = try DirectoryPKI.certificate("ssa-signer")
        #expect(!TrustedIssuer.StatementSigner.subject(DistinguishedName([])).matches(leaf))
        #expect(!TrustedIssuer.StatementSigner.publicKeySHA256([]).matches(leaf))
        #expect(TrustedIssuer.StatementSigner.publicKeySHA256(try DirectoryPKI.signerSPKISHA256()).matches(leaf))
    }

    // MARK: - Several issuers

    @Test func twoTrustedIssuersKeepTheirOwnKeysAndPolicies() throws {
        var sandboxPolicy = RegistrationPolicy.default
        sandboxPolicy.initialAccessToken = .none
        sandboxPolicy.uniqueness = .many
        sandboxPolicy.requireRequestAudience = false
        let sandboxKey = TestKeys.es256B
        var sandbox = Directory.entry(
            issuer: "https://sandbox.directory.example/ssa",
            keys: JWKSet(keys: [JWK(publicKey: sandboxKey.publicKey, keyID: "sandbox-1")]),
            policy: sandboxPolicy
        )
        sandbox.maximumAgeSeconds = 31_536_000
        let registry = try Directory.registry([Directory.entry(), sandbox])

        let production = try registry.verify(Directory.statement(), now: Directory.now)
        #expect(production.issuer == Directory.issuer)
        #expect(production.policy == .default)

        let sandboxStatement = try Directory.sign(
            Directory.claims([
                "iss": "https://sandbox.directory.example/ssa", "iat": JSONValue(Directory.nowSeconds - 864_000),
            ]),
            key: sandboxKey,
            algorithm: .es256,
            kid: "sandbox-1"
        )
        let verified = try registry.verify(sandboxStatement, now: Directory.now)
        #expect(verified.issuer == "https://sandbox.directory.example/ssa")
        #expect(verified.policy == sandboxPolicy)

        // Each issuer's keys stay its own: the sandbox key cannot sign for production.
        let crossed = try Directory.sign(Directory.claims(), key: sandboxKey, algorithm: .es256, kid: "sandbox-1")
        expectRefusal("invalid_software_statement", .statementKey) {
            _ = try registry.verify(crossed, now: Directory.now)
        }
        // And production's maximum age is its own.
        let tenDaysOld = try Directory.statement(["iat": JSONValue(Directory.nowSeconds - 864_000)])
        expectRefusal("invalid_software_statement", .statementMaximumAge) {
            _ = try registry.verify(tenDaysOld, now: Directory.now)
        }
    }

    @Test func anIssuerListedTwiceIsRefused() {
        #expect(throws: TrustRegistry.InvalidEntries.self) {
            _ = try TrustRegistry(
                issuers: [Directory.entry(), Directory.entry()],
                clockSkewSeconds: 60,
                remoteKeys: nil
            )
        }
        #expect(throws: TrustRegistry.InvalidEntries.self) {
            _ = try TrustRegistry(issuers: [Directory.entry(issuer: "")], clockSkewSeconds: 60, remoteKeys: nil)
        }
    }
}
