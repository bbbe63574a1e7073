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
        #expect(try set.key(forKID: "same", algorithm: .rs256).publicKey.kind == .rsa(bits: 2048))
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
