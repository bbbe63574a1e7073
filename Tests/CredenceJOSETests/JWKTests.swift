import CredenceJOSE
import CredenceJSON
import OpenSSLCrypto
import Testing

@Suite struct JWKTests {
    static let rfc7520EC = "rfc7520/jwk/3_1.ec_public_key.json"
    static let rfc7520RSA = "rfc7520/jwk/3_3.rsa_public_key.json"

    @Test(arguments: [
        "rfc7520/jwk/3_2.ec_private_key.json", "rfc7520/jwk/3_4.rsa_private_key.json",
    ])
    func privateJWKIsRefused(_ file: String) throws {
        let error = #expect(throws: JOSEError.self) { try JWK.parse(Fixtures.bytes(file)) }
        #expect(error?.code == .privateKeyMaterial)
    }

    @Test(arguments: ["d", "p", "q", "dp", "dq", "qi", "oth", "k"])
    func eachPrivateMemberIsRefused(_ member: String) throws {
        var object = try Fixtures.object(Self.rfc7520RSA)
        object[member] = "AQAB"
        let error = #expect(throws: JOSEError.self) { try JWK(json: object) }
        #expect(error?.code == .privateKeyMaterial)
        // In a set, one private entry refuses the whole set.
        let set = JSONValue.object(["keys": [.object(try Fixtures.object(Self.rfc7520EC)), .object(object)]])
        let setError = #expect(throws: JOSEError.self) { try JWKSet.parse(set.serialized()) }
        #expect(setError?.code == .privateKeyMaterial)
    }

    @Test func symmetricKeyIsRefused() {
        let error = #expect(throws: JOSEError.self) { try JWK.parse(Array(#"{"kty":"oct","k":"AQAB"}"#.utf8)) }
        #expect(error?.code == .privateKeyMaterial)
    }

    @Test(arguments: [
        #"{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU"}"#,  // no y
        #"{"kty":"EC","crv":"secp256k1","x":"AA","y":"AA"}"#,
        #"{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU=","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}"#,
        #"{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a1"}"#,
        #"{"kty":"OKP","crv":"X25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#,
        #"{"kty":"OKP","crv":"Ed448","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#,
        #"{"kty":"RSA","n":"AQAB"}"#,
        #"{"kty":"RSA","n":"AQAB","e":"AQAB"}"#,
        #"{"kty":"foo"}"#, #"{}"#, #"{"kty":1}"#,
        #"{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","kid":1}"#,
        #"{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","key_ops":"verify"}"#,
        #"{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","key_ops":["verify","verify"]}"#,
    ])
    func malformedOrUnsupportedJWKIsRefused(_ text: String) {
        let error = #expect(throws: JOSEError.self) { try JWK.parse(Array(text.utf8)) }
        #expect(error?.code == .invalidKey)
    }

    @Test func duplicateMemberInJWKIsRefused() {
        let text = #"{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","x":"AAAA"}"#
        let error = #expect(throws: JOSEError.self) { try JWK.parse(Array(text.utf8)) }
        #expect(error?.code == .duplicateMember)
    }

    @Test func exportRoundTripsAndHasNoPrivateMembers() throws {
        for kind in [KeyKind.rsa(bits: 2048), .ec(.p256), .ec(.p384), .ec(.p521), .ed25519] {
            let key = try PrivateKey.generate(kind)
            let jwk = JWK(
                publicKey: key.publicKey,
                keyID: "k1",
                use: "sig",
                algorithm: .es256,
                keyOperations: ["verify"]
            )
            let object = jwk.jsonObject
            #expect(Set(object.names).isDisjoint(with: JWK.privateMemberNames))
            #expect(object["kid"] == "k1" && object["use"] == "sig" && object["alg"] == "ES256")
            let reparsed = try JWK.parse(JSONValue.object(object).serialized())
            #expect(try reparsed.publicKey.subjectPublicKeyInfoDER() == key.publicKey.subjectPublicKeyInfoDER())
            #expect(reparsed.thumbprint() == jwk.thumbprint())
            #expect(reparsed.keyOperations == ["verify"])
        }
    }

    @Test func thumbprintIgnoresOptionalMembers() throws {
        let bare = try JWK.parse(Fixtures.bytes(Self.rfc7520EC))
        let other = JWK(publicKey: bare.publicKey, keyID: "different", use: "enc", algorithm: .es512)
        #expect(bare.thumbprintBase64URL() == other.thumbprintBase64URL())
        #expect(bare.thumbprint(digest: .sha384).count == 48)
    }

    /// RFC 8725 §3.1: one key, one algorithm. An RSA key without `alg` serves the PSS family
    /// only, so a PKCS#1 v1.5 signature is never accepted under a key published for PSS.
    @Test func rsaKeyWithoutAlgIsForThePSSFamilyOnly() throws {
        let bare = JWK(publicKey: TestKeys.rsa.publicKey, keyID: "r")
        #expect(bare.usableAlgorithms == [.ps256, .ps384, .ps512])
        for algorithm in [JWSAlgorithm.ps256, .ps384, .ps512] {
            #expect(throws: Never.self) { try bare.check(algorithm) }
        }
        for algorithm in [JWSAlgorithm.rs256, .rs384, .rs512] {
            let error = #expect(throws: JOSEError.self) { try bare.check(algorithm) }
            #expect(error?.code == .keyAlgorithmMismatch)
        }
        // With alg, exactly that algorithm.
        let declared = JWK(publicKey: TestKeys.rsa.publicKey, keyID: "r", algorithm: .rs256)
        #expect(declared.usableAlgorithms == [.rs256])
        #expect(throws: Never.self) { try declared.check(.rs256) }
        let other = #expect(throws: JOSEError.self) { try declared.check(.ps256) }
        #expect(other?.code == .keyAlgorithmMismatch)
        // And through a set and a token: an RS256 token under an alg-less RSA key is refused.
        let token = try JWSSigner(key: TestKeys.rsa, algorithm: .rs256, keyID: "r").sign(
            payload: Array(claimsJSON.utf8)
        )
        let lookup = #expect(throws: JOSEError.self) {
            try UnverifiedJWS(compact: token).verify(using: JWKSet(keys: [bare]), allowedAlgorithms: [.rs256])
        }
        #expect(lookup?.code == .keyAlgorithmMismatch)
        #expect(throws: Never.self) {
            try UnverifiedJWS(compact: token).verify(using: JWKSet(keys: [declared]), allowedAlgorithms: [.rs256])
        }
    }

    @Test func usableAlgorithmsOfEachKeyType() throws {
        #expect(JWK(publicKey: TestKeys.es256.publicKey, keyID: nil).usableAlgorithms == [.es256])
        #expect(JWK(publicKey: TestKeys.es384.publicKey, keyID: nil).usableAlgorithms == [.es384])
        #expect(JWK(publicKey: TestKeys.es512.publicKey, keyID: nil).usableAlgorithms == [.es512])
        #expect(JWK(publicKey: TestKeys.ed25519.publicKey, keyID: nil).usableAlgorithms == [.edDSA])
        // An alg that does not fit the key, or that this library does not implement: nothing.
        #expect(JWK(publicKey: TestKeys.es256.publicKey, keyID: nil, algorithm: .es384).usableAlgorithms.isEmpty)
        let encryption = try JWK.parse(
            Array(
                #"{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","alg":"ECDH-ES"}"#.utf8
            )
        )
        #expect(encryption.usableAlgorithms.isEmpty)
    }

    @Test func keyUseRestrictionsApply() throws {
        let key = TestKeys.es256.publicKey
        #expect(throws: Never.self) { try JWK(publicKey: key, keyID: "a").check(.es256) }
        let cases: [JWK] = [
            JWK(publicKey: key, keyID: "a", use: "enc"),
            JWK(publicKey: key, keyID: "a", use: nil, algorithm: .es384),
            JWK(publicKey: key, keyID: "a", use: nil, keyOperations: ["sign"]),
        ]
        for jwk in cases {
            let error = #expect(throws: JOSEError.self) { try jwk.check(.es256) }
            #expect(error?.code == .keyAlgorithmMismatch)
        }
    }
}

@Suite struct JWKSetTests {
    static func jwk(_ key: PrivateKey, _ kid: String?, alg: JWSAlgorithm? = nil, use: String? = "sig") -> JWK {
        JWK(publicKey: key.publicKey, keyID: kid, use: use, algorithm: alg)
    }

    @Test func lookupByKIDAndAlgorithm() throws {
        let set = JWKSet(keys: [
            Self.jwk(TestKeys.es256, "ec"), Self.jwk(TestKeys.rsa, "rsa"), Self.jwk(TestKeys.ed25519, "ed"),
        ])
        #expect(try set.key(forKID: "ec", algorithm: .es256).keyID == "ec")
        #expect(try set.key(forKID: "rsa", algorithm: .ps256).keyID == "rsa")
        #expect(try set.key(forKID: "ed", algorithm: .edDSA).keyID == "ed")
    }

    @Test func missingKIDIsNotFoundAndNeverFallsBack() {
        let set = JWKSet(keys: [Self.jwk(TestKeys.es256, "ec")])
        let noKID = #expect(throws: JOSEError.self) { try set.key(forKID: nil, algorithm: .es256) }
        #expect(noKID?.code == .keyNotFound)
        let unknown = #expect(throws: JOSEError.self) { try set.key(forKID: "other", algorithm: .es256) }
        #expect(unknown?.code == .keyNotFound)
        let noKIDInSet = JWKSet(keys: [Self.jwk(TestKeys.es256, nil)])
        let unnamed = #expect(throws: JOSEError.self) { try noKIDInSet.key(forKID: nil, algorithm: .es256) }
        #expect(unnamed?.code == .keyNotFound)
    }

    @Test func ambiguousKIDIsRefused() {
        let set = JWKSet(keys: [Self.jwk(TestKeys.es256, "same"), Self.jwk(TestKeys.make(.ec(.p256)), "same")])
        let error = #expect(throws: JOSEError.self) { try set.key(forKID: "same", algorithm: .es256) }
        #expect(error?.code == .ambiguousKey)
    }

    /// RFC 7517 §4.5 allows one kid on keys of different types; the algorithm then decides.
    @Test func sameKIDDifferentTypesIsResolvedByAlgorithm() throws {
        let set = JWKSet(keys: [Self.jwk(TestKeys.es256, "same"), Self.jwk(TestKeys.rsa, "same")])
        #expect(try set.key(forKID: "same", algorithm: .es256).publicKey.kind == .ec(.p256))
        #expect(try set.key(forKID: "same", algorithm: .ps256).publicKey.kind == .rsa(bits: 2048))
        let error = #expect(throws: JOSEError.self) { try set.key(forKID: "same", algorithm: .edDSA) }
        #expect(error?.code == .keyAlgorithmMismatch)
    }

    @Test func encryptionKeyIsNotUsedForSignatures() {
        let set = JWKSet(keys: [Self.jwk(TestKeys.rsa, "enc", use: "enc")])
        let error = #expect(throws: JOSEError.self) { try set.key(forKID: "enc", algorithm: .ps256) }
        #expect(error?.code == .keyAlgorithmMismatch)
    }

    @Test func soleKeyOnlyWithExactlyOneEntry() throws {
        let one = JWKSet(keys: [Self.jwk(TestKeys.es256, nil)])
        #expect(try one.soleKey(algorithm: .es256).publicKey.kind == .ec(.p256))
        let two = JWKSet(keys: [Self.jwk(TestKeys.es256, nil), Self.jwk(TestKeys.es256, "b")])
        let error = #expect(throws: JOSEError.self) { try two.soleKey(algorithm: .es256) }
        #expect(error?.code == .ambiguousKey)
    }

    @Test func parsedSetKeepsUnusableEntriesAside() throws {
        let text = """
            {"keys":[
              {"kty":"EC","crv":"P-256","kid":"good","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"},
              {"kty":"OKP","crv":"X25519","kid":"x","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"},
              {"kty":"EC","crv":"P-256","kid":"good","x":"AA","y":"AA"}
            ]}
            """
        let set = try JWKSet.parse(Array(text.utf8))
        #expect(set.keys.count == 1)
        #expect(set.skipped.count == 2)
        let unusable = #expect(throws: JOSEError.self) { try set.key(forKID: "x", algorithm: .edDSA) }
        #expect(unusable?.code == .invalidKey)
        // "good" also names a broken entry: refused rather than guessed.
        let shadowed = #expect(throws: JOSEError.self) { try set.key(forKID: "good", algorithm: .es256) }
        #expect(shadowed?.code == .ambiguousKey)
    }

    @Test(arguments: [#"[]"#, #"{}"#, #"{"keys":{}}"#, #"{"keys":[1]}"#, #"{"keys":["a"]}"#, "{\"keys\":[]} x"])
    func malformedSetIsRefused(_ text: String) {
        #expect(throws: JOSEError.self) { try JWKSet.parse(Array(text.utf8)) }
    }

    @Test func exportedSetReparses() throws {
        let set = JWKSet(keys: [
            Self.jwk(TestKeys.es256, "ec", alg: .es256), Self.jwk(TestKeys.rsa, "rsa", alg: .ps256),
        ])
        let text = JSONValue.object(set.jsonObject).serialized()
        let reparsed = try JWKSet.parse(text)
        #expect(reparsed.keys.map(\.keyID) == ["ec", "rsa"])
        #expect(reparsed.keys.map(\.algorithm) == ["ES256", "PS256"])
        #expect(!String(decoding: text, as: UTF8.self).contains("\"d\""))
    }
}
