import CredenceJOSE
import CredenceJSON
import OpenSSLCrypto
import Testing

/// Known-answer vectors from the RFCs, from files under `Fixtures/` that name their source.
@Suite struct VectorTests {
    @Test(arguments: ["rfc7515/a2_rs256.json", "rfc7515/a3_es256.json"])
    func rfc7515AppendixA(_ file: String) throws {
        let vector = try Fixtures.object(file)
        let algorithm = try JWSAlgorithm(headerValue: vector.string("alg"))
        let jws = try UnverifiedJWS(compact: vector.string("compact"))
        let jwk = try JWK(json: vector.object("jwk")).declaringIfNeeded(algorithm, for: jws)
        let verified = try jws.verify(using: jwk, allowedAlgorithms: [algorithm])
        #expect(verified.payload == Array(try vector.string("payload").utf8))
        let claims = try verified.claims()
        #expect(claims.issuer == "joe")
        #expect(claims.expiresAt == 1_300_819_380)
        #expect(claims["http://example.com/is_root"] == .bool(true))
        // The token expired in 2011.
        let error = #expect(throws: JOSEError.self) {
            try claims.validate(nowSeconds: 1_700_000_000, rules: JWTValidationRules())
        }
        #expect(error?.code == .expired)
        #expect(throws: Never.self) { try claims.validate(nowSeconds: 1_300_819_000, rules: JWTValidationRules()) }
        // A flipped payload bit fails.
        var parts = try vector.string("compact").split(separator: ".").map(String.init)
        parts[1] = Base64URL.encode(Array(#"{"iss":"joe","exp":1300819381}"#.utf8))
        let forged = try UnverifiedJWS(compact: parts.joined(separator: "."))
        let forgedError = #expect(throws: JOSEError.self) {
            try forged.verify(using: jwk, allowedAlgorithms: [algorithm])
        }
        #expect(forgedError?.code == .invalidSignature)
    }

    @Test(arguments: [
        ("rfc7520/jws/4_1.rsa_v15_signature.json", "rfc7520/jwk/3_3.rsa_public_key.json", JWSAlgorithm.rs256),
        ("rfc7520/jws/4_2.rsa-pss_signature.json", "rfc7520/jwk/3_3.rsa_public_key.json", .ps384),
        ("rfc7520/jws/4_3.ecdsa_signature.json", "rfc7520/jwk/3_1.ec_public_key.json", .es512),
    ])
    func rfc7520Section4(_ file: String, keyFile: String, algorithm: JWSAlgorithm) throws {
        let vector = try Fixtures.object(file)
        let compact = try vector.object("output").string("compact")
        let jws = try UnverifiedJWS(compact: compact)
        let keySet = JWKSet(keys: [try JWK.parse(Fixtures.bytes(keyFile)).declaringIfNeeded(algorithm, for: jws)])
        #expect(jws.header.algorithm == algorithm)
        let verified = try jws.verify(using: keySet, allowedAlgorithms: [algorithm])
        #expect(verified.keyID == "bilbo.baggins@hobbiton.example")
        #expect(verified.payload == Array(try vector.object("input").string("payload").utf8))
        // The same token is refused when its algorithm is not allowed.
        let others = Set(JWSAlgorithm.allCases).subtracting([algorithm])
        let error = #expect(throws: JOSEError.self) { try jws.verify(using: keySet, allowedAlgorithms: others) }
        #expect(error?.code == .algorithmNotAllowed)
    }

    /// RFC 7520 §4.1 is deterministic: signing its input with its key gives its output exactly.
    @Test func rfc7520Section4_1SignsByteForByte() throws {
        let vector = try Fixtures.object("rfc7520/jws/4_1.rsa_v15_signature.json")
        let key = try PrivateKey(pkcs8PEM: Fixtures.string("rfc7520/3_4.rsa_private_key.pem"))
        let signer = try JWSSigner(key: key, algorithm: .rs256, keyID: "bilbo.baggins@hobbiton.example")
        let compact = try signer.sign(payload: Array(try vector.object("input").string("payload").utf8), type: nil)
        #expect(compact == (try vector.object("output").string("compact")))
    }

    @Test func rfc7638Thumbprint() throws {
        let vector = try Fixtures.object("rfc7638/3_1_thumbprint.json")
        let jwk = try JWK(json: vector.object("jwk"))
        #expect(jwk.thumbprintBase64URL() == (try vector.string("thumbprint_sha256")))
        #expect(jwk.keyID == "2011-04-29")
        #expect(jwk.algorithm == "RS256")
    }

    @Test func rfc8037Ed25519() throws {
        let vector = try Fixtures.object("rfc8037/a_ed25519.json")
        let jwk = try JWK(json: vector.object("public_jwk"))
        #expect(jwk.thumbprintBase64URL() == (try vector.string("thumbprint_sha256")))
        let compact = try vector.string("compact")
        let verified = try UnverifiedJWS(compact: compact).verify(using: jwk, allowedAlgorithms: [.edDSA])
        #expect(verified.payload == Array(try vector.string("payload").utf8))
        // Ed25519 is deterministic: signing A.4's input with A.1's key reproduces A.4 (A.5 too,
        // the same signature verifying).
        let key = try PrivateKey(pkcs8PEM: vector.string("private_key_pkcs8_pem"))
        let signed = try JWSSigner(key: key, algorithm: .edDSA, keyID: nil).sign(
            payload: Array(try vector.string("payload").utf8),
            type: nil
        )
        #expect(signed == compact)
        // And the cookbook's rendering agrees.
        let cookbook = try Fixtures.object("rfc7520/curve25519/jws.json")
        #expect(try cookbook.object("output").string("compact") == compact)
    }
}

extension JWK {
    /// The RFCs' RSA keys carry no `alg`, and such a key serves the PSS family only (RFC 8725
    /// §3.1, ``JWK/usableAlgorithms``): for their RS256 examples, checks that the key as
    /// published is refused, then returns it with `alg` declared, as a publisher would have to.
    func declaringIfNeeded(_ algorithm: JWSAlgorithm, for jws: UnverifiedJWS) -> JWK {
        guard self.algorithm == nil, !usableAlgorithms.contains(algorithm) else { return self }
        let error = #expect(throws: JOSEError.self) { try jws.verify(using: self, allowedAlgorithms: [algorithm]) }
        #expect(error?.code == .keyAlgorithmMismatch)
        return JWK(publicKey: publicKey, keyID: keyID, use: use, algorithm: algorithm, keyOperations: keyOperations)
    }
}
