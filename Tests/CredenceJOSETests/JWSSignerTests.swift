import CredenceJOSE
import CredenceJSON
import OpenSSLCrypto
import Testing

@Suite struct JWSSignerTests {
    @Test(arguments: JWSAlgorithm.allCases)
    func signThenVerifyEveryAlgorithm(_ algorithm: JWSAlgorithm) throws {
        let key = TestKeys.key(for: algorithm)
        let signer = try JWSSigner(key: key, algorithm: algorithm, keyID: "k-1")
        let claims = try JWTClaims(
            issuer: "https://as.example",
            subject: "client",
            audience: ["https://rs.example"],
            expiresAt: 2_000_000_000,
            issuedAt: 1_999_999_000,
            jwtID: "id-1",
            other: ["client_id": "client", "scope": "accounts"]
        )
        let token = try signer.sign(claims: claims, type: "at+jwt")
        let jws = try UnverifiedJWS(compact: token)
        #expect(jws.header.algorithm == algorithm)
        #expect(jws.header.keyID == "k-1")
        #expect(jws.header.type == "at+jwt")
        #expect(jws.header.object.names == ["alg", "kid", "typ"])
        let verified = try jws.verify(using: JWKSet(keys: [signer.publicJWK]), allowedAlgorithms: [algorithm])
        let read = try verified.claims()
        #expect(read.issuer == "https://as.example")
        #expect(read["scope"] == "accounts")
        #expect(throws: Never.self) {
            try read.validate(
                nowSeconds: 1_999_999_500,
                rules: JWTValidationRules(
                    expectedIssuer: "https://as.example",
                    acceptedAudiences: ["https://rs.example"]
                )
            )
        }
    }

    @Test(arguments: [
        (JWSAlgorithm.es256, KeyKind.ec(.p384)), (.es384, .ec(.p256)), (.ps256, .ec(.p256)), (.edDSA, .rsa(bits: 2048)),
        (.es256, .ed25519),
    ])
    func signerRefusesAKeyThatDoesNotFit(algorithm: JWSAlgorithm, kind: KeyKind) {
        let key = kind == .rsa(bits: 2048) ? TestKeys.rsa : TestKeys.make(kind)
        let error = #expect(throws: JOSEError.self) { try JWSSigner(key: key, algorithm: algorithm, keyID: nil) }
        #expect(error?.code == .keyAlgorithmMismatch)
    }

    @Test(arguments: ["alg", "kid", "typ", "crit"])
    func extraHeaderCannotOverride(_ name: String) throws {
        let signer = try JWSSigner(key: TestKeys.es256, algorithm: .es256, keyID: "k")
        let error = #expect(throws: JOSEError.self) {
            try signer.sign(payload: [1], type: "JWT", extraHeader: [name: "none"])
        }
        #expect(error?.code == .invalidHeader)
    }

    @Test func extraHeaderMembersAreSigned() throws {
        let signer = try JWSSigner(key: TestKeys.es256, algorithm: .es256, keyID: nil)
        let token = try signer.sign(payload: Array("{}".utf8), type: nil, extraHeader: ["x5t#S256": "abc"])
        let jws = try UnverifiedJWS(compact: token)
        #expect(jws.header["x5t#S256"] == "abc")
        #expect(jws.header.keyID == nil)
        #expect(throws: Never.self) { try jws.verify(using: TestKeys.es256.publicKey, allowedAlgorithms: [.es256]) }
    }

    @Test func unverifiedClaimsAllowPeekingAtTheIssuer() throws {
        let signer = try JWSSigner(key: TestKeys.es256, algorithm: .es256, keyID: "k")
        let token = try signer.sign(claims: try JWTClaims(issuer: "https://ssa.example", expiresAt: 2_000_000_000))
        let jws = try UnverifiedJWS(compact: token)
        #expect(try jws.unverifiedClaims().issuer == "https://ssa.example")
        // Bytes input parses the same.
        #expect(try UnverifiedJWS(compact: Array(token.utf8)).unverifiedPayload == jws.unverifiedPayload)
    }
}
