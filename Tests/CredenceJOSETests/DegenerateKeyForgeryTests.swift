import CredenceJOSE
import CredenceJSON
import OpenSSLCrypto
import Testing

/// The forgery probes of issue 6: a JWK whose key anyone can sign for, with a token signed by
/// someone who never held a private key. The key must be refused when the JWK is read, so the
/// token never meets it.
@Suite struct DegenerateKeyForgeryTests {
    /// RSA keys with a prime and a prime-square modulus, and RS256/PS256 tokens signed with the
    /// private exponent computed from the modulus (`Fixtures/forgery/make-forgeries.py`, which
    /// checks that each signature verifies mathematically).
    static func rsaCase(_ name: String) throws -> (keys: [JSONValue], tokens: JSONObject) {
        let entry = try Fixtures.object("forgery/rsa-degenerate.json").object(name)
        guard case .array(let keys)? = entry["keys"] else { throw Fixtures.FixtureError.shape("keys") }
        return (keys, try entry.object("tokens"))
    }

    @Test(arguments: ["prime", "prime-square"])
    func rsaJWKWithAComputablePrivateExponentIsRefused(_ name: String) throws {
        let (keys, _) = try Self.rsaCase(name)
        #expect(keys.count == 2)
        for key in keys {
            guard case .object(let object) = key else { throw Fixtures.FixtureError.shape("key") }
            let error = #expect(throws: JOSEError.self) { try JWK(json: object) }
            #expect(error?.code == .invalidKey)
        }
    }

    @Test(arguments: ["prime", "prime-square"], ["RS256", "PS256"])
    func forgedRSATokenIsRefused(_ name: String, _ algorithm: String) throws {
        let (keys, tokens) = try Self.rsaCase(name)
        let set = try JWKSet(json: ["keys": .array(keys)])
        #expect(set.keys.isEmpty)
        #expect(set.skipped.count == 2)
        let jws = try UnverifiedJWS(compact: tokens.string(algorithm))
        let error = #expect(throws: JOSEError.self) {
            try jws.verify(using: set, allowedAlgorithms: [.rs256, .ps256])
        }
        #expect(error?.code == .invalidKey)
    }

    static let identity = [UInt8]([1]) + [UInt8](repeating: 0, count: 31)

    static let identityJWK: JSONObject = [
        "kty": "OKP", "crv": "Ed25519", "kid": "identity", "x": .string(Base64URL.encode(identity)),
    ]

    @Test func ed25519IdentityJWKIsRefused() {
        let error = #expect(throws: JOSEError.self) { try JWK(json: Self.identityJWK) }
        #expect(error?.code == .invalidKey)
    }

    /// R = the identity point, s = 0: with OpenSSL 3.0 and the identity key this verifies for
    /// any message.
    @Test func universalEd25519SignatureIsRefused() throws {
        let signature = Self.identity + [UInt8](repeating: 0, count: 32)
        let token = Forge.token(header: #"{"alg":"EdDSA","kid":"identity"}"#, payload: claimsJSON, signature: signature)
        let set = try JWKSet(json: ["keys": [.object(Self.identityJWK)]])
        #expect(set.keys.isEmpty)
        let error = #expect(throws: JOSEError.self) {
            try UnverifiedJWS(compact: token).verify(using: set, allowedAlgorithms: [.edDSA])
        }
        #expect(error?.code == .invalidKey)
    }
}
