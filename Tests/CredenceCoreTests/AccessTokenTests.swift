import CredenceCore
import CredenceJOSE
import CredenceJSON
import CredenceTesting
import Foundation
import OpenSSLCrypto
import Testing

/// RFC 9068 access tokens: what the issuer signs and what the validator accepts.
@Suite struct AccessTokenTests {
    static let issuerURL = "https://as.bank.example"
    let clock = FixedClock()
    let issuer = AccessTokenIssuer(
        issuer: AccessTokenTests.issuerURL,
        audience: ["https://api.bank.example"],
        defaultLifetimeSeconds: 300
    )
    let validator = AccessTokenValidator(issuer: AccessTokenTests.issuerURL, clockSkewSeconds: 60)

    static let esSigner = TestKeys.signer(TestKeys.es256A, .es256, kid: "server-es")
    static let psSigner = TestKeys.signer(TestKeys.rsa, .ps256, kid: "server-ps")

    func client(lifetime: Int? = nil) throws -> Client {
        try TestClients.make(
            "client-1",
            ["token_endpoint_auth_method": "client_secret_basic", "scope": "accounts payments"],
            secret: "s",
            lifetime: lifetime,
            now: clock.now
        )
    }

    func keys(_ signers: JWSSigner...) -> JWKSet { JWKSet(keys: signers.map(\.publicJWK)) }

    var nowSeconds: Int64 { Int64(clock.now.timeIntervalSince1970) }

    @Test(arguments: [JWSAlgorithm.es256, .ps256])
    func issuedTokenHasRFC9068HeaderAndClaims(algorithm: JWSAlgorithm) throws {
        let signer = algorithm == .es256 ? Self.esSigner : Self.psSigner
        let issued = try issuer.issue(
            for: client(),
            scopes: ["accounts"],
            certificateThumbprint: nil,
            signer: signer,
            now: clock.now
        )
        let jws = try UnverifiedJWS(compact: issued.token)
        #expect(jws.header.type == "at+jwt")
        #expect(jws.header.algorithm == algorithm)
        #expect(jws.header.keyID == signer.keyID)
        let claims = try jws.verify(using: keys(signer), allowedAlgorithms: [algorithm]).claims()
        #expect(claims.issuer == Self.issuerURL)
        #expect(claims.subject == "client-1")
        #expect(claims.audience == ["https://api.bank.example"])
        #expect(claims["client_id"]?.stringValue == "client-1")
        #expect(claims["scope"]?.stringValue == "accounts")
        #expect(claims.issuedAt == nowSeconds)
        #expect(claims.expiresAt == nowSeconds + 300)
        #expect(claims.jwtID == issued.jti)
        #expect((claims.jwtID?.utf8.count ?? 0) >= 22)
        #expect(claims["cnf"] == nil)
        #expect(issued.expiresIn == 300)
        #expect(issued.scope == "accounts")
    }

    @Test func tokenResponseHasTheRFC6749Shape() throws {
        let issued = try issuer.issue(
            for: client(),
            scopes: ["accounts", "payments"],
            certificateThumbprint: nil,
            signer: Self.esSigner,
            now: clock.now
        )
        let response = issued.responseJSON
        #expect(response["access_token"]?.stringValue == issued.token)
        #expect(response["token_type"]?.stringValue == "Bearer")
        #expect(response["expires_in"]?.intValue == 300)
        #expect(response["scope"]?.stringValue == "accounts payments")
    }

    /// RFC 6749 §3.3: a scope is one or more scope-tokens, so an empty grant has no `scope`
    /// member at all (§5.1 allows leaving it out), rather than an invalid `"scope": ""`.
    @Test func anEmptyGrantHasNoScopeMember() throws {
        let issued = try issuer.issue(
            for: client(),
            scopes: [],
            certificateThumbprint: nil,
            signer: Self.esSigner,
            now: clock.now
        )
        #expect(issued.responseJSON["scope"] == nil)
        #expect(issued.responseJSON["access_token"] != nil)
        #expect(try UnverifiedJWS(compact: issued.token).unverifiedClaims()["scope"] == nil)
    }

    @Test func everyTokenHasItsOwnJTI() throws {
        let client = try client()
        let jtis = try (0..<8).map { _ in
            try issuer.issue(for: client, scopes: [], certificateThumbprint: nil, signer: Self.esSigner, now: clock.now)
                .jti
        }
        #expect(Set(jtis).count == 8)
    }

    @Test func boundTokenCarriesTheCertificatesX5tS256() throws {
        let certificate = try TestPKI.certificate("leaf-client")
        let issued = try issuer.issue(
            for: client(),
            scopes: ["accounts"],
            certificateThumbprint: certificate.sha256Thumbprint,
            signer: Self.esSigner,
            now: clock.now
        )
        let validated = try #require(validator.validate(issued.token, keys: keys(Self.esSigner), now: clock.now))
        let expected = try TestPKI.text("leaf-client.sha256.hex").trimmingCharacters(in: .whitespacesAndNewlines)
        let cnf = try #require(validated.claims["cnf"]?.objectValue)
        #expect(cnf.count == 1)
        let thumbprint = try Base64URL.decode(try #require(cnf["x5t#S256"]?.stringValue))
        #expect(thumbprint.map { String(format: "%02x", $0) }.joined() == expected)
        #expect(validated.introspectionJSON["cnf"] == .object(cnf))
    }

    @Test func lifetimeComesFromTheOverrideThenTheClientThenTheServer() throws {
        let perClient = try issuer.issue(
            for: client(lifetime: 60),
            scopes: [],
            certificateThumbprint: nil,
            signer: Self.esSigner,
            now: clock.now
        )
        #expect(perClient.expiresIn == 60)
        let minted = try issuer.issue(
            for: client(lifetime: 60),
            scopes: [],
            certificateThumbprint: nil,
            signer: Self.esSigner,
            now: clock.now,
            lifetimeSeconds: 3600
        )
        #expect(minted.expiresIn == 3600)
        #expect(try UnverifiedJWS(compact: minted.token).unverifiedClaims().expiresAt == nowSeconds + 3600)
    }

    @Test(arguments: [JWSAlgorithm.es256, .ps256])
    func validatorRoundTrip(algorithm: JWSAlgorithm) throws {
        let signer = algorithm == .es256 ? Self.esSigner : Self.psSigner
        let issued = try issuer.issue(
            for: client(),
            scopes: ["accounts", "payments"],
            certificateThumbprint: nil,
            signer: signer,
            now: clock.now
        )
        // Verified against the published set, which holds other keys too.
        let validated = try #require(
            validator.validate(issued.token, keys: keys(Self.esSigner, Self.psSigner), now: clock.now)
        )
        #expect(validated.clientID == "client-1")
        #expect(validated.jti == issued.jti)
        #expect(validated.expiresAt == nowSeconds + 300)
        #expect(validated.scopes == ["accounts", "payments"])
        let introspection = validated.introspectionJSON
        #expect(introspection["active"] == .bool(true))
        #expect(introspection["token_type"]?.stringValue == "Bearer")
        for name in ["scope", "client_id", "exp", "iat", "sub", "aud", "iss", "jti"] {
            #expect(introspection[name] != nil, "\(name)")
        }
    }

    @Test func tokenSignedByAForeignKeyIsRefused() throws {
        // The same kid as the server's key, another key.
        let impostor = TestKeys.signer(TestKeys.es256B, .es256, kid: "server-es")
        let forged = try issuer.issue(
            for: client(),
            scopes: [],
            certificateThumbprint: nil,
            signer: impostor,
            now: clock.now
        )
        #expect(validator.validate(forged.token, keys: keys(Self.esSigner), now: clock.now) == nil)
        let unknownKID = try issuer.issue(
            for: client(),
            scopes: [],
            certificateThumbprint: nil,
            signer: TestKeys.signer(TestKeys.es256B, .es256, kid: "nobody"),
            now: clock.now
        )
        #expect(validator.validate(unknownKID.token, keys: keys(Self.esSigner), now: clock.now) == nil)
    }

    @Test func expiredTokenIsRefusedFromItsExp() throws {
        let issued = try issuer.issue(
            for: client(),
            scopes: [],
            certificateThumbprint: nil,
            signer: Self.esSigner,
            now: clock.now
        )
        let keys = keys(Self.esSigner)
        // Exactly until exp, no skew after it (this server's own tokens).
        clock.advance(by: 299)
        #expect(validator.validate(issued.token, keys: keys, now: clock.now) != nil)
        clock.advance(by: 1)
        #expect(validator.validate(issued.token, keys: keys, now: clock.now) == nil)
    }

    @Test func tokenOfAnotherIssuerIsRefused() throws {
        let other = AccessTokenIssuer(issuer: "https://as.other.example", audience: ["x"], defaultLifetimeSeconds: 300)
        let issued = try other.issue(
            for: client(),
            scopes: [],
            certificateThumbprint: nil,
            signer: Self.esSigner,
            now: clock.now
        )
        #expect(validator.validate(issued.token, keys: keys(Self.esSigner), now: clock.now) == nil)
    }

    func claims(exp: Int64? = nil, dropping: String? = nil) throws -> JWTClaims {
        var object: JSONObject = [
            "iss": .string(Self.issuerURL), "sub": "client-1", "aud": "x", "client_id": "client-1",
            "iat": JSONValue(nowSeconds), "exp": JSONValue(exp ?? nowSeconds + 300), "jti": "j1",
        ]
        if let dropping { object[dropping] = nil }
        return try JWTClaims(object)
    }

    @Test(arguments: [nil, "JWT", "jwt", "at+JWT-not", "application/jwt"] as [String?])
    func tokenWithoutTheAccessTokenTypeIsRefused(type: String?) throws {
        let token = try Self.esSigner.sign(claims: claims(), type: type)
        #expect(validator.validate(token, keys: keys(Self.esSigner), now: clock.now) == nil)
    }

    @Test(arguments: ["at+jwt", "AT+JWT", "application/at+jwt"])
    func accessTokenTypeIsAccepted(type: String) throws {
        let token = try Self.esSigner.sign(claims: claims(), type: type)
        #expect(validator.validate(token, keys: keys(Self.esSigner), now: clock.now) != nil)
    }

    @Test(arguments: ["exp", "iat", "jti", "client_id", "sub"])
    func tokenMissingARequiredClaimIsRefused(claim: String) throws {
        let token = try Self.esSigner.sign(claims: claims(dropping: claim), type: "at+jwt")
        #expect(validator.validate(token, keys: keys(Self.esSigner), now: clock.now) == nil)
    }

    @Test func rs256SignedTokensAreNotTheServers() throws {
        let token = try TestKeys.signer(TestKeys.rsa, .rs256, kid: "server-rs").sign(claims: claims(), type: "at+jwt")
        let set = JWKSet(keys: [JWK(publicKey: TestKeys.rsa.publicKey, keyID: "server-rs", use: "sig", algorithm: nil)])
        #expect(validator.validate(token, keys: set, now: clock.now) == nil)
    }

    @Test(arguments: ["", "garbage", "a.b.c", String(repeating: "A", count: 9000)])
    func garbageIsNotAToken(token: String) {
        #expect(validator.validate(token, keys: keys(Self.esSigner), now: clock.now) == nil)
    }

    @Test func unsecuredTokenIsRefused() throws {
        let claims = try claims()
        let token = Forge.b64(#"{"alg":"none","typ":"at+jwt"}"#) + "." + Forge.b64(Forge.claimsJSON(claims)) + "."
        #expect(validator.validate(token, keys: keys(Self.esSigner), now: clock.now) == nil)
    }
}
