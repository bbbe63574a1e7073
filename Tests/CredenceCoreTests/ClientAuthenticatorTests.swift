import CredenceCore
import CredenceJOSE
import CredenceJSON
import CredenceTesting
import Foundation
import OpenSSLCrypto
import Testing

/// Every client authentication method of RFC 6749 §2.3, RFC 7523 and RFC 8705 §2, each
/// success and each way it fails, against the in-memory stores.
@Suite struct ClientAuthenticatorTests {
    static let issuer = "https://as.bank.example"
    static let tokenEndpoint = "https://as.bank.example/token"
    static let secret = "c2VjcmV0LXZhbHVlLWZvci10aGUtdGVzdHMtb25seQ"

    let clock = FixedClock()
    let clients = InMemoryClientStore()
    let replays = InMemoryReplayStore()

    init() throws {
        let now = clock.now
        try clients.insert(
            TestClients.secretClient("basic-client", method: .clientSecretBasic, secret: Self.secret, now: now)
        )
        try clients.insert(
            TestClients.secretClient("post-client", method: .clientSecretPost, secret: Self.secret, now: now)
        )
        try clients.insert(
            TestClients.make(
                "jwt-client",
                [
                    "token_endpoint_auth_method": "private_key_jwt", "scope": "accounts",
                    "jwks": TestKeys.jwks([(TestKeys.es256A, "a1"), (TestKeys.rsa, "r1")]),
                ],
                now: now
            )
        )
        try clients.insert(
            TestClients.make(
                "other-jwt-client",
                ["token_endpoint_auth_method": "private_key_jwt", "jwks": TestKeys.jwks([(TestKeys.es256B, "b1")])],
                now: now
            )
        )
    }

    func authenticator(
        policy: ClientAuthenticationPolicy = ClientAuthenticationPolicy(
            issuer: ClientAuthenticatorTests.issuer,
            assertionAudiences: [ClientAuthenticatorTests.tokenEndpoint]
        ),
        trustStore: CertificateTrustStore? = try? TestPKI.trustStore(),
        remote: (any RemoteKeySetProvider)? = nil
    ) -> ClientAuthenticator {
        ClientAuthenticator(
            clients: clients,
            replays: replays,
            keyResolver: ClientKeyResolver(remote: remote),
            trustStore: trustStore,
            secrets: TestClients.secrets,
            policy: policy
        )
    }

    func authenticate(_ credentials: ClientCredentials) throws -> AuthenticatedClient {
        try authenticator().authenticate(credentials, now: clock.now)
    }

    /// The error `credentials` fail with.
    func failure(_ credentials: ClientCredentials, _ auth: ClientAuthenticator? = nil) -> OAuthError? {
        oauthError { _ = try (auth ?? authenticator()).authenticate(credentials, now: clock.now) }
    }

    var nowSeconds: Int64 { Int64(clock.now.timeIntervalSince1970) }

    func claims(
        iss: String? = "jwt-client",
        sub: String? = "jwt-client",
        aud: [String] = [ClientAuthenticatorTests.tokenEndpoint],
        exp: Int64? = nil,
        expiresIn: Int64 = 300,
        jti: String? = UUID().uuidString
    ) throws -> JWTClaims {
        try JWTClaims(
            issuer: iss,
            subject: sub,
            audience: aud,
            expiresAt: exp ?? nowSeconds + expiresIn,
            issuedAt: nowSeconds,
            jwtID: jti
        )
    }

    func assertionCredentials(_ assertion: String, clientID: String? = nil) -> ClientCredentials {
        ClientCredentials(
            clientID: clientID,
            assertionType: ClientAuthenticator.jwtBearerAssertionType,
            assertion: assertion
        )
    }

    func signed(
        _ claims: JWTClaims,
        key: PrivateKey = TestKeys.es256A,
        _ algorithm: JWSAlgorithm = .es256,
        kid: String? = "a1"
    )
        throws -> String
    {
        try TestKeys.signer(key, algorithm, kid: kid).sign(claims: claims)
    }

    // MARK: client_secret_basic and client_secret_post

    @Test func basicAuthenticatesTheBasicClient() throws {
        let result = try authenticate(
            ClientCredentials(basic: BasicCredentials(clientID: "basic-client", secret: Self.secret))
        )
        #expect(result.client.clientID == "basic-client")
        #expect(result.method == .clientSecretBasic)
    }

    @Test func postAuthenticatesThePostClient() throws {
        let result = try authenticate(ClientCredentials(clientID: "post-client", clientSecret: Self.secret))
        #expect(result.client.clientID == "post-client")
        #expect(result.method == .clientSecretPost)
    }

    @Test func aCertificateAlongsideASecretIsTransportNotASecondMethod() throws {
        let certificate = try TestPKI.presented("leaf-client")
        let result = try authenticate(
            ClientCredentials(clientID: "post-client", clientSecret: Self.secret, certificate: certificate)
        )
        #expect(result.certificate?.sha256Thumbprint == certificate.sha256Thumbprint)
    }

    @Test func wrongSecretOverBasicIsInvalidClientWithABasicChallenge() throws {
        let error = try #require(
            failure(ClientCredentials(basic: BasicCredentials(clientID: "basic-client", secret: "wrong")))
        )
        #expect(error == .invalidClient(""))
        #expect(error.headers.first { $0.name == "WWW-Authenticate" }?.value.hasPrefix("Basic") == true)
    }

    @Test func wrongSecretInTheFormIsInvalidClientWithoutAChallenge() throws {
        let error = try #require(failure(ClientCredentials(clientID: "post-client", clientSecret: Self.secret + "x")))
        #expect(error == .invalidClient(""))
        #expect(error.headers.isEmpty)
    }

    @Test func unknownClientIsInvalidClient() throws {
        let basic = try #require(
            failure(ClientCredentials(basic: BasicCredentials(clientID: "nobody", secret: Self.secret)))
        )
        #expect(basic == .invalidClient(""))
        #expect(basic.headers.contains { $0.name == "WWW-Authenticate" })
        #expect(failure(ClientCredentials(clientID: "nobody", clientSecret: Self.secret)) == .invalidClient(""))
        #expect(failure(ClientCredentials(clientID: "nobody")) == .invalidClient(""))
    }

    @Test func basicClientUsingPostIsRefused() {
        #expect(failure(ClientCredentials(clientID: "basic-client", clientSecret: Self.secret)) == .invalidClient(""))
    }

    @Test func postClientUsingBasicIsRefusedWithAChallenge() throws {
        let error = try #require(
            failure(ClientCredentials(basic: BasicCredentials(clientID: "post-client", secret: Self.secret)))
        )
        #expect(error == .invalidClient(""))
        #expect(error.headers.contains { $0.name == "WWW-Authenticate" })
    }

    @Test func aSecretClientPresentingNothingIsInvalidClient() {
        #expect(failure(ClientCredentials(clientID: "basic-client")) == .invalidClient(""))
        #expect(failure(ClientCredentials()) == .invalidClient(""))
    }

    @Test func clientSecretWithoutClientIDIsInvalidRequest() {
        #expect(failure(ClientCredentials(clientSecret: Self.secret)) == .invalidRequest(""))
    }

    @Test func basicAndAnAssertionAtOnceIsInvalidRequest() throws {
        let assertion = try signed(claims())
        let credentials = ClientCredentials(
            basic: BasicCredentials(clientID: "basic-client", secret: Self.secret),
            assertionType: ClientAuthenticator.jwtBearerAssertionType,
            assertion: assertion
        )
        #expect(failure(credentials) == .invalidRequest(""))
    }

    @Test func basicAndAFormSecretAtOnceIsInvalidRequest() {
        let credentials = ClientCredentials(
            basic: BasicCredentials(clientID: "basic-client", secret: Self.secret),
            clientID: "basic-client",
            clientSecret: Self.secret
        )
        #expect(failure(credentials) == .invalidRequest(""))
    }

    @Test func aFormSecretAndAnAssertionAtOnceIsInvalidRequest() throws {
        let credentials = ClientCredentials(
            clientID: "jwt-client",
            clientSecret: Self.secret,
            assertionType: ClientAuthenticator.jwtBearerAssertionType,
            assertion: try signed(claims())
        )
        #expect(failure(credentials) == .invalidRequest(""))
    }

    @Test func formClientIDDifferentFromBasicIsInvalidRequest() {
        // U+212A KELVIN SIGN is canonically equivalent to K, so Swift's == would call them equal.
        let credentials = ClientCredentials(
            basic: BasicCredentials(clientID: "Kbasic", secret: Self.secret),
            clientID: "\u{212A}basic"
        )
        #expect(failure(credentials) == .invalidRequest(""))
    }

    @Test func clientIDsAreComparedByBytesNotUnicodeEquivalence() throws {
        try clients.insert(
            TestClients.secretClient("Kelvin", method: .clientSecretBasic, secret: Self.secret, now: clock.now)
        )
        #expect(
            try authenticate(ClientCredentials(basic: BasicCredentials(clientID: "Kelvin", secret: Self.secret))).client
                .clientID == "Kelvin"
        )
        let kelvin = ClientCredentials(basic: BasicCredentials(clientID: "\u{212A}elvin", secret: Self.secret))
        #expect(failure(kelvin) == .invalidClient(""))
    }

    // MARK: private_key_jwt

    @Test func assertionWithKIDAuthenticates() throws {
        let result = try authenticate(assertionCredentials(try signed(claims()), clientID: "jwt-client"))
        #expect(result.client.clientID == "jwt-client")
        #expect(result.method == .privateKeyJWT)
    }

    @Test func ps256AssertionAuthenticates() throws {
        let result = try authenticate(assertionCredentials(try signed(claims(), key: TestKeys.rsa, .ps256, kid: "r1")))
        #expect(result.method == .privateKeyJWT)
    }

    @Test func assertionWithoutKIDIsTriedAgainstTheClientsOwnKeys() throws {
        let result = try authenticate(assertionCredentials(try signed(claims(), kid: nil)))
        #expect(result.client.clientID == "jwt-client")
    }

    @Test(arguments: [
        [ClientAuthenticatorTests.issuer], [ClientAuthenticatorTests.tokenEndpoint],
        ["https://rs.example", ClientAuthenticatorTests.tokenEndpoint],
    ])
    func assertionAudienceMayBeTheIssuerOrTheTokenEndpoint(audience: [String]) throws {
        #expect(try authenticate(assertionCredentials(try signed(claims(aud: audience)))).method == .privateKeyJWT)
    }

    @Test(arguments: [
        ["https://as.bank.example/other"], ["https://evil.example/token"],
        [ClientAuthenticatorTests.tokenEndpoint + "/"],
    ])
    func assertionWithAWrongAudienceIsRefused(audience: [String]) throws {
        #expect(failure(assertionCredentials(try signed(claims(aud: audience)))) == .invalidClient(""))
    }

    @Test func expiredAssertionIsRefused() throws {
        // Expired for longer than the 60 s skew.
        #expect(failure(assertionCredentials(try signed(claims(exp: nowSeconds - 61)))) == .invalidClient(""))
    }

    @Test func assertionWithoutExpIsRefused() throws {
        let claims = try JWTClaims(
            issuer: "jwt-client",
            subject: "jwt-client",
            audience: [Self.tokenEndpoint],
            jwtID: "j"
        )
        #expect(failure(assertionCredentials(try signed(claims))) == .invalidClient(""))
    }

    @Test func assertionExpiringTooFarAheadIsRefused() throws {
        // 600 s default maximum, plus the 60 s skew for a client clock running ahead.
        #expect(try authenticate(assertionCredentials(try signed(claims(expiresIn: 600)))).method == .privateKeyJWT)
        #expect(try authenticate(assertionCredentials(try signed(claims(expiresIn: 660)))).method == .privateKeyJWT)
        #expect(failure(assertionCredentials(try signed(claims(expiresIn: 661)))) == .invalidClient(""))
        #expect(failure(assertionCredentials(try signed(claims(expiresIn: 86_400)))) == .invalidClient(""))
    }

    @Test func theMaximumAssertionLifetimeFollowsThePolicy() throws {
        let strict = authenticator(
            policy: ClientAuthenticationPolicy(
                issuer: Self.issuer,
                assertionAudiences: [Self.tokenEndpoint],
                maximumAssertionLifetimeSeconds: 60,
                clockSkewSeconds: 0
            )
        )
        #expect(throws: Never.self) {
            try strict.authenticate(assertionCredentials(try signed(claims(expiresIn: 60))), now: clock.now)
        }
        #expect(failure(assertionCredentials(try signed(claims(expiresIn: 61))), strict) == .invalidClient(""))
    }

    @Test func assertionIssuedOrValidOnlyInTheFutureIsRefused() throws {
        let issuedLater = try JWTClaims(
            issuer: "jwt-client",
            subject: "jwt-client",
            audience: [Self.tokenEndpoint],
            expiresAt: nowSeconds + 300,
            issuedAt: nowSeconds + 120,
            jwtID: "future-iat"
        )
        #expect(failure(assertionCredentials(try signed(issuedLater))) == .invalidClient(""))
        let notYetValid = try JWTClaims(
            issuer: "jwt-client",
            subject: "jwt-client",
            audience: [Self.tokenEndpoint],
            expiresAt: nowSeconds + 300,
            notBefore: nowSeconds + 120,
            jwtID: "future-nbf"
        )
        #expect(failure(assertionCredentials(try signed(notYetValid))) == .invalidClient(""))
    }

    @Test func replayedJTIIsRefused() throws {
        let assertion = try signed(claims(jti: "once"))
        #expect(try authenticate(assertionCredentials(assertion)).method == .privateKeyJWT)
        #expect(failure(assertionCredentials(assertion)) == .invalidClient(""))
        // A fresh assertion reusing the jti is a replay too.
        #expect(failure(assertionCredentials(try signed(claims(jti: "once")))) == .invalidClient(""))
    }

    @Test func theSameJTIFromAnotherClientIsNotAReplay() throws {
        _ = try authenticate(assertionCredentials(try signed(claims(jti: "shared"))))
        let other = try signed(
            claims(iss: "other-jwt-client", sub: "other-jwt-client", jti: "shared"),
            key: TestKeys.es256B,
            kid: "b1"
        )
        #expect(try authenticate(assertionCredentials(other)).client.clientID == "other-jwt-client")
    }

    @Test func aForgedAssertionDoesNotUseUpItsJTI() throws {
        let forged = try signed(claims(jti: "j-forged"), key: TestKeys.es256C, kid: "a1")
        #expect(failure(assertionCredentials(forged)) == .invalidClient(""))
        #expect(try authenticate(assertionCredentials(try signed(claims(jti: "j-forged")))).method == .privateKeyJWT)
    }

    @Test func assertionSignedByAnUnregisteredKeyIsRefused() throws {
        // The registered kid, another key.
        #expect(
            failure(assertionCredentials(try signed(claims(), key: TestKeys.es256C, kid: "a1"))) == .invalidClient("")
        )
        // A kid the client never registered.
        #expect(
            failure(assertionCredentials(try signed(claims(), key: TestKeys.es256C, kid: "c1"))) == .invalidClient("")
        )
        // No kid at all.
        #expect(
            failure(assertionCredentials(try signed(claims(), key: TestKeys.es256C, kid: nil))) == .invalidClient("")
        )
    }

    @Test func assertionSignedWithAnotherClientsKeyIsRefused() throws {
        // other-jwt-client registered es256B as b1: it is no key of jwt-client's.
        #expect(
            failure(assertionCredentials(try signed(claims(), key: TestKeys.es256B, kid: "b1"))) == .invalidClient("")
        )
        #expect(
            failure(assertionCredentials(try signed(claims(), key: TestKeys.es256B, kid: nil))) == .invalidClient("")
        )
    }

    @Test func issDifferentFromSubIsRefused() throws {
        #expect(failure(assertionCredentials(try signed(claims(sub: "other-jwt-client")))) == .invalidClient(""))
        #expect(failure(assertionCredentials(try signed(claims(sub: nil)))) == .invalidClient(""))
        #expect(failure(assertionCredentials(try signed(claims(iss: nil)))) == .invalidClient(""))
    }

    @Test func formClientIDDifferentFromTheAssertionIssuerIsRefused() throws {
        #expect(failure(assertionCredentials(try signed(claims()), clientID: "other-jwt-client")) == .invalidClient(""))
    }

    @Test func assertionWithoutJTIIsRefused() throws {
        #expect(failure(assertionCredentials(try signed(claims(jti: nil)))) == .invalidClient(""))
        #expect(failure(assertionCredentials(try signed(claims(jti: "")))) == .invalidClient(""))
        #expect(
            failure(assertionCredentials(try signed(claims(jti: String(repeating: "j", count: 513)))))
                == .invalidClient("")
        )
    }

    @Test func rs256IsRefusedWhenOnlyPS256AndES256AreAllowed() throws {
        #expect(
            failure(assertionCredentials(try signed(claims(), key: TestKeys.rsa, .rs256, kid: "r1")))
                == .invalidClient("")
        )
        let permissive = authenticator(
            policy: ClientAuthenticationPolicy(
                issuer: Self.issuer,
                assertionAudiences: [Self.tokenEndpoint],
                assertionAlgorithms: [.rs256, .ps256, .es256]
            )
        )
        // RFC 8725 §3.1: an RSA key registered without `alg` serves PS* only, even when RS256 is allowed.
        #expect(
            throws: OAuthError.invalidClient(""),
            performing: {
                try permissive.authenticate(
                    assertionCredentials(try signed(claims(), key: TestKeys.rsa, .rs256, kid: "r1")),
                    now: clock.now
                )
            }
        )
        // A key registered for RS256 is usable with RS256 once the server allows it.
        let rs256Key = JWK(publicKey: TestKeys.rsa.publicKey, keyID: "r256", use: "sig", algorithm: .rs256).jsonObject
        try clients.insert(
            TestClients.make(
                "rs256-client",
                [
                    "token_endpoint_auth_method": "private_key_jwt",
                    "jwks": .object(["keys": .array([.object(rs256Key)])]),
                ],
                now: clock.now
            )
        )
        let accepted = try permissive.authenticate(
            assertionCredentials(
                try signed(claims(iss: "rs256-client", sub: "rs256-client"), key: TestKeys.rsa, .rs256, kid: "r256")
            ),
            now: clock.now
        )
        #expect(accepted.method == .privateKeyJWT)
    }

    @Test func registeredSigningAlgorithmRestrictsTheServersAllowlist() throws {
        try clients.insert(
            TestClients.make(
                "ps256-only",
                [
                    "token_endpoint_auth_method": "private_key_jwt", "token_endpoint_auth_signing_alg": "PS256",
                    "jwks": TestKeys.jwks([(TestKeys.es256A, "a1"), (TestKeys.rsa, "r1")]),
                ],
                now: clock.now
            )
        )
        let es256 = try signed(claims(iss: "ps256-only", sub: "ps256-only"))
        #expect(failure(assertionCredentials(es256)) == .invalidClient(""))
        let ps256 = try signed(claims(iss: "ps256-only", sub: "ps256-only"), key: TestKeys.rsa, .ps256, kid: "r1")
        #expect(try authenticate(assertionCredentials(ps256)).client.clientID == "ps256-only")
    }

    @Test func aRegisteredAlgorithmOutsideTheServersAllowlistAllowsNothing() throws {
        try clients.insert(
            TestClients.make(
                "rs256-only",
                [
                    "token_endpoint_auth_method": "private_key_jwt", "token_endpoint_auth_signing_alg": "RS256",
                    "jwks": TestKeys.jwks([(TestKeys.rsa, "r1")]),
                ],
                now: clock.now
            )
        )
        for algorithm in [JWSAlgorithm.rs256, .ps256] {
            let assertion = try signed(
                claims(iss: "rs256-only", sub: "rs256-only"),
                key: TestKeys.rsa,
                algorithm,
                kid: "r1"
            )
            #expect(failure(assertionCredentials(assertion)) == .invalidClient(""))
        }
    }

    @Test func unsecuredAssertionIsRefusedAtParse() throws {
        let claims = try claims()
        #expect(throws: JOSEError.self) { try UnverifiedJWS(compact: Forge.unsecured(claims)) }
        #expect(failure(assertionCredentials(Forge.unsecured(claims))) == .invalidClient(""))
        // Nothing was recorded for the refused assertion's jti.
        #expect(replays.count == 0)
    }

    @Test func hmacAssertionIsRefusedAtParse() throws {
        let claims = try claims()
        // HMAC keyed with the client secret and with the client's public key bytes (key confusion).
        let spki = try TestKeys.es256A.publicKey.subjectPublicKeyInfoDER()
        for key in [Array(Self.secret.utf8), spki] {
            let token = try Forge.hmac(claims, secret: key, kid: "a1")
            #expect(throws: JOSEError.self) { try UnverifiedJWS(compact: token) }
            #expect(failure(assertionCredentials(token)) == .invalidClient(""))
        }
        #expect(replays.count == 0)
    }

    @Test func assertionWithoutKIDIsNeverTriedAgainstTooManyKeys() throws {
        let keys = try (0..<5).map { _ in try PrivateKey.generate(.ec(.p256)) }
        try clients.insert(
            TestClients.make(
                "many-keys",
                [
                    "token_endpoint_auth_method": "private_key_jwt",
                    "jwks": TestKeys.jwks(keys.enumerated().map { ($0.element, "k\($0.offset)" as String?) }),
                ],
                now: clock.now
            )
        )
        let claims = try claims(iss: "many-keys", sub: "many-keys")
        #expect(failure(assertionCredentials(try signed(claims, key: keys[0], kid: nil))) == .invalidClient(""))
        // With its kid the same key is found.
        let withKID = try signed(try self.claims(iss: "many-keys", sub: "many-keys"), key: keys[0], kid: "k0")
        #expect(try authenticate(assertionCredentials(withKID)).client.clientID == "many-keys")
    }

    @Test func wrongAssertionTypeIsInvalidRequest() throws {
        let assertion = try signed(claims())
        let credentials = ClientCredentials(
            assertionType: "urn:ietf:params:oauth:client-assertion-type:saml2-bearer",
            assertion: assertion
        )
        #expect(failure(credentials) == .invalidRequest(""))
        #expect(failure(ClientCredentials(assertion: assertion)) == .invalidRequest(""))
        #expect(
            failure(ClientCredentials(assertionType: ClientAuthenticator.jwtBearerAssertionType)) == .invalidRequest("")
        )
    }

    @Test(arguments: ["", "a.b", "a.b.c", "not a jwt at all", "eyJhbGciOiJFUzI1NiJ9.e30."])
    func malformedAssertionIsInvalidClient(assertion: String) {
        let credentials = ClientCredentials(
            assertionType: ClientAuthenticator.jwtBearerAssertionType,
            assertion: assertion
        )
        let error = failure(credentials)
        // An empty parameter is a missing one (invalid_request); anything else is a bad credential.
        #expect(error == (assertion.isEmpty ? .invalidRequest("") : .invalidClient("")))
    }

    @Test func aSecretClientCannotAuthenticateWithAnAssertion() throws {
        let assertion = try signed(claims(iss: "post-client", sub: "post-client"))
        #expect(failure(assertionCredentials(assertion)) == .invalidClient(""))
    }

    @Test func aJWTClientCannotAuthenticateWithACertificateAlone() throws {
        let credentials = ClientCredentials(clientID: "jwt-client", certificate: try TestPKI.presented("leaf-client"))
        #expect(failure(credentials) == .invalidClient(""))
    }

    @Test func jwksURIClientsUseTheRemoteKeySetAndRefetchOnAnUnknownKID() throws {
        try clients.insert(
            TestClients.make(
                "remote-client",
                ["token_endpoint_auth_method": "private_key_jwt", "jwks_uri": "https://tpp.example/jwks"],
                now: clock.now
            )
        )
        let claims = try claims(iss: "remote-client", sub: "remote-client")
        let assertion = try signed(claims, key: TestKeys.es256C, kid: "rotated")
        // Without a fetcher, a jwks_uri client cannot authenticate.
        #expect(failure(assertionCredentials(assertion)) == .invalidClient(""))
        let remote = FakeRemoteKeySets(
            initial: try JWKSet(json: TestKeys.jwks([(TestKeys.es256A, "old")]).objectValue!),
            afterRefetch: try JWKSet(json: TestKeys.jwks([(TestKeys.es256C, "rotated")]).objectValue!)
        )
        let result = try authenticator(remote: remote).authenticate(assertionCredentials(assertion), now: clock.now)
        #expect(result.client.clientID == "remote-client")
        #expect(remote.requests == ["https://tpp.example/jwks", "https://tpp.example/jwks#rotated"])
    }

    // MARK: tls_client_auth

    func tlsClient(_ id: String, _ member: String, _ value: String) throws -> Client {
        try TestClients.make(
            id,
            ["token_endpoint_auth_method": "tls_client_auth", member: .string(value)],
            now: clock.now
        )
    }

    func certificateCredentials(_ clientID: String, _ certificate: String?) throws -> ClientCredentials {
        ClientCredentials(clientID: clientID, certificate: try certificate.map(TestPKI.presented))
    }

    @Test func tlsClientAuthWithTheRegisteredDN() throws {
        try clients.insert(tlsClient("tls-client", "tls_client_auth_subject_dn", TestPKI.leafClientSubjectDN()))
        let result = try authenticate(certificateCredentials("tls-client", "leaf-client"))
        #expect(result.method == .tlsClientAuth)
        #expect(result.certificate?.sha256Thumbprint == (try TestPKI.certificate("leaf-client")).sha256Thumbprint)
    }

    /// RFC 4518 matching: attribute types and most values compare case-insensitively, the
    /// attributes of a multi-valued RDN in any order; the RDN sequence itself is ordered.
    @Test(arguments: [
        ("L=London", "l=LONDON"), (",C=GB,", ",c=gb,"), ("DC=example,DC=com", "dc=EXAMPLE,dc=COM"),
        ("CN=0015800001HQQrZAAX+UID=tpp-42", "UID=tpp-42+CN=0015800001HQQrZAAX"),
    ])
    func tlsClientAuthDNMatchingFollowsRFC4518(original: String, variant: String) throws {
        let dn = try TestPKI.leafClientSubjectDN()
        #expect(dn.contains(original))
        try clients.insert(
            tlsClient("tls-client", "tls_client_auth_subject_dn", dn.replacingOccurrences(of: original, with: variant))
        )
        #expect(try authenticate(certificateCredentials("tls-client", "leaf-client")).method == .tlsClientAuth)
    }

    @Test func tlsClientAuthDNInReverseOrderIsAnotherDN() throws {
        let reversed = try DistinguishedName(rfc4514: TestPKI.leafClientSubjectDN()).relativeDistinguishedNames
            .reversed()
        let registered = DistinguishedName(Array(reversed)).rfc4514String
        try clients.insert(tlsClient("tls-client", "tls_client_auth_subject_dn", registered))
        #expect(failure(try certificateCredentials("tls-client", "leaf-client")) == .invalidClient(""))
    }

    @Test func tlsClientAuthWithAnotherDNIsRefused() throws {
        try clients.insert(
            tlsClient("tls-client", "tls_client_auth_subject_dn", "CN=someone else,O=Credence Test TPP,C=GB")
        )
        #expect(failure(try certificateCredentials("tls-client", "leaf-client")) == .invalidClient(""))
        // A trusted certificate of someone else, presented for the leaf's DN.
        try clients.insert(tlsClient("tls-client-2", "tls_client_auth_subject_dn", TestPKI.leafClientSubjectDN()))
        #expect(failure(try certificateCredentials("tls-client-2", "revoked-leaf")) == .invalidClient(""))
    }

    @Test func tlsClientAuthWithACertificateFromAnUntrustedCAIsRefused() throws {
        try clients.insert(
            tlsClient("tls-client", "tls_client_auth_subject_dn", "CN=untrusted leaf,O=Somebody Else,C=GB")
        )
        #expect(failure(try certificateCredentials("tls-client", "untrusted-leaf")) == .invalidClient(""))
    }

    @Test(arguments: [
        ("expired-leaf", "CN=expired,O=Credence Test TPP,C=GB"),
        ("server-only-leaf", "CN=server only,O=Credence Test TPP,C=GB"),
        ("self-signed-leaf", "CN=self-signed client,O=Credence Test TPP,C=GB"),
    ])
    func tlsClientAuthNeedsAValidClientCertificateChain(name: String, dn: String) throws {
        try clients.insert(tlsClient("tls-client", "tls_client_auth_subject_dn", dn))
        #expect(failure(try certificateCredentials("tls-client", name)) == .invalidClient(""))
    }

    @Test func tlsClientAuthWithoutACertificateIsRefused() throws {
        try clients.insert(tlsClient("tls-client", "tls_client_auth_subject_dn", TestPKI.leafClientSubjectDN()))
        #expect(failure(try certificateCredentials("tls-client", nil)) == .invalidClient(""))
    }

    @Test func tlsClientAuthWithoutATrustStoreIsRefused() throws {
        try clients.insert(tlsClient("tls-client", "tls_client_auth_subject_dn", TestPKI.leafClientSubjectDN()))
        let withoutCAs = authenticator(trustStore: nil)
        #expect(failure(try certificateCredentials("tls-client", "leaf-client"), withoutCAs) == .invalidClient(""))
    }

    /// The workers share one cache of registered DNs, keyed by the registered string: a
    /// client whose registration changes is matched against its new DN at once.
    @Test func aSharedDNCacheFollowsAChangedRegistration() throws {
        let subjectDNs = RegisteredSubjectDNCache(capacity: 8)
        func worker() -> ClientAuthenticator {
            ClientAuthenticator(
                clients: clients,
                replays: replays,
                keyResolver: ClientKeyResolver(remote: nil),
                trustStore: try? TestPKI.trustStore(),
                secrets: TestClients.secrets,
                policy: ClientAuthenticationPolicy(issuer: Self.issuer, assertionAudiences: [Self.tokenEndpoint]),
                subjectDNs: subjectDNs
            )
        }
        let (first, second) = (worker(), worker())
        try clients.insert(tlsClient("tls-client", "tls_client_auth_subject_dn", TestPKI.leafClientSubjectDN()))
        let credentials = try certificateCredentials("tls-client", "leaf-client")
        #expect(try first.authenticate(credentials, now: clock.now).method == .tlsClientAuth)
        #expect(try second.authenticate(credentials, now: clock.now).method == .tlsClientAuth)
        #expect(subjectDNs.count == 1)
        try clients.update(
            tlsClient("tls-client", "tls_client_auth_subject_dn", "CN=someone else,O=Credence Test TPP,C=GB")
        )
        #expect(failure(credentials, first) == .invalidClient(""))
        #expect(failure(credentials, second) == .invalidClient(""))
        #expect(subjectDNs.count == 2)
        // A registered DN that does not parse stays refused when it comes from the cache.
        try clients.update(tlsClient("tls-client", "tls_client_auth_subject_dn", "this is not a DN"))
        #expect(failure(credentials, first) == .invalidClient(""))
        #expect(failure(credentials, second) == .invalidClient(""))
    }

    @Test func anEmptyDNNeverIdentifiesAClient() throws {
        // The metadata refuses an empty registered DN…
        let error = oauthError {
            _ = try tlsClient("tls-client", "tls_client_auth_subject_dn", "")
        }
        #expect(error == .invalidClientMetadata(""))
        // …and an empty DN matches no verified certificate (zero RDNs identify no one).
        let verified = try TestPKI.presented("leaf-client").verified(by: TestPKI.trustStore(), at: clock.now).get()
        #expect(!verified.matches(subjectDN: DistinguishedName([])))
        #expect(verified.matches(subjectDN: try DistinguishedName(rfc4514: TestPKI.leafClientSubjectDN())))
    }

    @Test func aRegisteredDNThatDoesNotParseIsRefused() throws {
        try clients.insert(tlsClient("tls-client", "tls_client_auth_subject_dn", "this is not a DN"))
        #expect(failure(try certificateCredentials("tls-client", "leaf-client")) == .invalidClient(""))
    }

    /// `leaf-client.pem` carries DNS client.tpp.example.com and *.api.tpp.example.com, URI
    /// https://tpp.example.com/software/42, IP 192.0.2.10, 2001:db8:0:0:1:0:0:1 and
    /// 2001:DB8::1, email ops@tpp.example.com.
    @Test(arguments: [
        ("tls_client_auth_san_dns", "client.tpp.example.com", true),
        ("tls_client_auth_san_dns", "CLIENT.tpp.Example.COM", true),
        ("tls_client_auth_san_dns", "other.tpp.example.com", false),
        ("tls_client_auth_san_dns", "x.api.tpp.example.com", false),
        ("tls_client_auth_san_dns", "*.api.tpp.example.com", true),
        ("tls_client_auth_san_dns", "client.tpp.example.com.", false),
        ("tls_client_auth_san_uri", "https://tpp.example.com/software/42", true),
        ("tls_client_auth_san_uri", "https://tpp.example.com/software/4", false),
        ("tls_client_auth_san_uri", "HTTPS://tpp.example.com/software/42", false),
        ("tls_client_auth_san_ip", "192.0.2.10", true),
        ("tls_client_auth_san_ip", "192.0.2.1", false),
        ("tls_client_auth_san_ip", "2001:db8::1:0:0:1", true),
        ("tls_client_auth_san_ip", "2001:0db8:0000:0000:0000:0000:0000:0001", true),
        ("tls_client_auth_san_ip", "2001:db8::2", false),
        ("tls_client_auth_san_ip", "not an address", false),
        ("tls_client_auth_san_email", "ops@tpp.example.com", true),
        ("tls_client_auth_san_email", "OPS@tpp.example.com", false),
        ("tls_client_auth_san_email", "client.tpp.example.com", false),
        ("tls_client_auth_san_uri", "client.tpp.example.com", false),
    ])
    func tlsClientAuthBySubjectAlternativeName(member: String, value: String, matches: Bool) throws {
        try clients.insert(tlsClient("san-client", member, value))
        let credentials = try certificateCredentials("san-client", "leaf-client")
        if matches {
            #expect(try authenticate(credentials).method == .tlsClientAuth)
        } else {
            #expect(failure(credentials) == .invalidClient(""))
        }
    }

    @Test func aSANClientNeedsATrustedChainToo() throws {
        try clients.insert(tlsClient("san-client", "tls_client_auth_san_dns", "self.tpp.example.com"))
        #expect(failure(try certificateCredentials("san-client", "self-signed-leaf")) == .invalidClient(""))
    }

    // MARK: self_signed_tls_client_auth

    func selfSignedClient(_ id: String, keys: [PublicKey], use: String? = nil) throws -> Client {
        let jwks: JSONValue = .object([
            "keys": .array(keys.map { .object(JWK(publicKey: $0, keyID: nil, use: use, algorithm: nil).jsonObject) })
        ])
        return try TestClients.make(
            id,
            ["token_endpoint_auth_method": "self_signed_tls_client_auth", "jwks": jwks],
            now: clock.now
        )
    }

    @Test func selfSignedWithTheRegisteredKey() throws {
        let certificate = try TestPKI.certificate("self-signed-leaf")
        try clients.insert(
            selfSignedClient("self-client", keys: [TestKeys.es256A.publicKey, try certificate.publicKey()])
        )
        let result = try authenticate(certificateCredentials("self-client", "self-signed-leaf"))
        #expect(result.method == .selfSignedTLSClientAuth)
        // The chain does not matter: a CA-issued certificate whose key is registered works too.
        try clients.insert(
            selfSignedClient("ca-key-client", keys: [try TestPKI.certificate("leaf-client").publicKey()])
        )
        #expect(
            try authenticate(certificateCredentials("ca-key-client", "leaf-client")).method == .selfSignedTLSClientAuth
        )
    }

    @Test func selfSignedWithAnotherKeyIsRefused() throws {
        try clients.insert(selfSignedClient("self-client", keys: [TestKeys.es256A.publicKey, TestKeys.rsa.publicKey]))
        #expect(failure(try certificateCredentials("self-client", "self-signed-leaf")) == .invalidClient(""))
        #expect(failure(try certificateCredentials("self-client", "leaf-client")) == .invalidClient(""))
    }

    @Test func selfSignedWithoutACertificateIsRefused() throws {
        try clients.insert(
            selfSignedClient("self-client", keys: [try TestPKI.certificate("self-signed-leaf").publicKey()])
        )
        #expect(failure(try certificateCredentials("self-client", nil)) == .invalidClient(""))
    }

    @Test func selfSignedKeyRegisteredForEncryptionIsRefused() throws {
        try clients.insert(
            selfSignedClient("self-client", keys: [try TestPKI.certificate("self-signed-leaf").publicKey()], use: "enc")
        )
        #expect(failure(try certificateCredentials("self-client", "self-signed-leaf")) == .invalidClient(""))
    }
}

/// A `jwks_uri` fetcher test double: one key set until a refetch for an unknown `kid` is asked
/// for, another after it; records each request as `uri` or `uri#kid`.
final class FakeRemoteKeySets: RemoteKeySetProvider, @unchecked Sendable {
    let initial: JWKSet
    let afterRefetch: JWKSet
    private(set) var requests: [String] = []
    private var refetched = false

    init(initial: JWKSet, afterRefetch: JWKSet) {
        self.initial = initial
        self.afterRefetch = afterRefetch
    }

    func keySet(at uri: String, now: Date, unknownKID: String?) throws -> JWKSet {
        requests.append(unknownKID.map { "\(uri)#\($0)" } ?? uri)
        if unknownKID != nil { refetched = true }
        return refetched ? afterRefetch : initial
    }
}
