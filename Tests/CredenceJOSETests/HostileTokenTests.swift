import CredenceJOSE
import CredenceJSON
import OpenSSLCrypto
import Testing

/// Tokens an attacker would send; each must be refused with the code of the check it fails.
@Suite struct HostileTokenTests {
    static let es256 = TestKeys.es256
    static let es256JWK = JWK(publicKey: TestKeys.es256.publicKey, keyID: "ec-1")

    private func refusal(
        _ compact: String,
        key: PublicKey = es256.publicKey,
        allowed: Set<JWSAlgorithm> = [.es256],
        options: JWSParseOptions = .default
    ) -> JOSEError.Code? {
        do {
            _ = try UnverifiedJWS(compact: compact, options: options).verify(using: key, allowedAlgorithms: allowed)
            return nil
        } catch {
            return error.code
        }
    }

    @Test func control_aGoodTokenVerifies() throws {
        let token = try Forge.signed(
            header: #"{"alg":"ES256"}"#,
            payload: claimsJSON,
            key: Self.es256,
            scheme: .ecdsa(.sha256)
        )
        #expect(refusal(token) == nil)
    }

    @Test func algNoneIsRefused() {
        let token = Forge.b64(#"{"alg":"none"}"#) + "." + Forge.b64(claimsJSON) + "."
        #expect(refusal(token) == .malformedJWS)  // the empty signature part
        let withSignature = Forge.token(header: #"{"alg":"none"}"#, payload: claimsJSON)
        #expect(refusal(withSignature) == .unsupportedAlgorithm)
        for variant in ["None", "NONE", "nOnE"] {
            #expect(
                refusal(Forge.token(header: #"{"alg":"\#(variant)"}"#, payload: claimsJSON)) == .unsupportedAlgorithm
            )
        }
    }

    /// The classic key-confusion attack: HS256 with the RSA public key's bytes as HMAC secret.
    @Test func hs256WithThePublicKeyAsSecretIsRefused() throws {
        let rsa = TestKeys.rsa.publicKey
        let secret = try rsa.subjectPublicKeyInfoDER()
        let input = Forge.b64(#"{"alg":"HS256"}"#) + "." + Forge.b64(claimsJSON)
        let mac = hmacSHA256(key: secret, message: Array(input.utf8))
        let token = input + "." + Base64URL.encode(mac)
        #expect(refusal(token, key: rsa, allowed: Set(JWSAlgorithm.allCases)) == .unsupportedAlgorithm)
        let jwk = JWK(publicKey: rsa, keyID: "rsa")
        let error = #expect(throws: JOSEError.self) {
            try UnverifiedJWS(compact: token).verify(
                using: JWKSet(keys: [jwk]),
                allowedAlgorithms: Set(JWSAlgorithm.allCases)
            )
        }
        #expect(error?.code == .unsupportedAlgorithm)
        for hmac in ["HS384", "HS512"] {
            #expect(
                refusal(Forge.token(header: #"{"alg":"\#(hmac)"}"#, payload: claimsJSON), key: rsa)
                    == .unsupportedAlgorithm
            )
        }
    }

    /// CVE-2022-21449: an ES256 signature of r = s = 0 must never verify.
    @Test func es256WithZeroSignatureIsRefused() {
        let token = Forge.token(
            header: #"{"alg":"ES256"}"#,
            payload: claimsJSON,
            signature: [UInt8](repeating: 0, count: 64)
        )
        #expect(refusal(token) == .invalidSignature)
    }

    @Test func es256WithROrSAtOrAboveTheOrderIsRefused() throws {
        let n = [UInt8](hexString: "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551")
        let input = Forge.b64(#"{"alg":"ES256"}"#) + "." + Forge.b64(claimsJSON)
        let good = try Self.es256.sign(message: Array(input.utf8), scheme: .ecdsa(.sha256))
        #expect(refusal(input + "." + Base64URL.encode(good)) == nil)
        #expect(refusal(input + "." + Base64URL.encode(n + good.suffix(32))) == .invalidSignature)
        #expect(refusal(input + "." + Base64URL.encode(good.prefix(32) + n)) == .invalidSignature)
        let ff = [UInt8](repeating: 0xff, count: 32)
        #expect(refusal(input + "." + Base64URL.encode(ff + ff)) == .invalidSignature)
    }

    @Test(arguments: [0, 1, 32, 63, 65, 66, 72, 128])
    func es256SignatureOfWrongLengthIsRefused(_ length: Int) throws {
        let input = Forge.b64(#"{"alg":"ES256"}"#) + "." + Forge.b64(claimsJSON)
        let good = try Self.es256.sign(message: Array(input.utf8), scheme: .ecdsa(.sha256))
        let resized = length <= 64 ? Array(good.prefix(length)) : good + [UInt8](repeating: 0, count: length - 64)
        let token = input + "." + Base64URL.encode(resized)
        #expect(refusal(token) == (length == 0 ? .malformedJWS : .invalidSignature))
    }

    @Test func truncatedOrOverlongRSASignatureIsRefused() throws {
        let input = Forge.b64(#"{"alg":"PS256"}"#) + "." + Forge.b64(claimsJSON)
        let good = try TestKeys.rsa.sign(message: Array(input.utf8), scheme: .rsaPSS(.sha256))
        let key = TestKeys.rsa.publicKey
        #expect(refusal(input + "." + Base64URL.encode(good), key: key, allowed: [.ps256]) == nil)
        #expect(
            refusal(input + "." + Base64URL.encode(good.dropLast()), key: key, allowed: [.ps256]) == .invalidSignature
        )
        #expect(refusal(input + "." + Base64URL.encode(good + [0]), key: key, allowed: [.ps256]) == .invalidSignature)
        #expect(refusal(input + "." + Base64URL.encode([0] + good), key: key, allowed: [.ps256]) == .invalidSignature)
    }

    enum Mangle: String, CaseIterable, Sendable {
        case paddedHeader, paddedSignature, spaceBeforePayload, newlineAfterPayload, tabInSignature

        func apply(_ h: String, _ p: String, _ s: String) -> String {
            switch self {
            case .paddedHeader: h + "==." + p + "." + s
            case .paddedSignature: h + "." + p + "." + s + "="
            case .spaceBeforePayload: h + ". " + p + "." + s
            case .newlineAfterPayload: h + "." + p + "\n." + s
            case .tabInSignature: h + "." + p + "." + s.prefix(4) + "\t" + s.dropFirst(4)
            }
        }
    }

    @Test(arguments: Mangle.allCases)
    func paddingOrWhitespaceIsRefused(_ mangle: Mangle) throws {
        let token = try Forge.signed(
            header: #"{"alg":"ES256"}"#,
            payload: claimsJSON,
            key: Self.es256,
            scheme: .ecdsa(.sha256)
        )
        let parts = token.split(separator: ".").map(String.init)
        #expect(refusal(mangle.apply(parts[0], parts[1], parts[2])) == .invalidBase64URL)
    }

    @Test func standardBase64AlphabetIsRefused() throws {
        // A signature whose base64url form contains - or _: its standard-base64 form has + or /.
        var token: String
        repeat {
            token = try Forge.signed(
                header: #"{"alg":"ES256"}"#,
                payload: claimsJSON,
                key: Self.es256,
                scheme: .ecdsa(.sha256)
            )
        } while !token.split(separator: ".")[2].contains(where: { $0 == "-" || $0 == "_" })
        #expect(refusal(token) == nil)
        let plusSlash = String(token.map { $0 == "-" ? "+" : $0 == "_" ? "/" : $0 })
        #expect(refusal(plusSlash) == .invalidBase64URL)
    }

    @Test(arguments: [#"[]"#, #"["alg","ES256"]"#, #""ES256""#, "42", "null", "true"])
    func headerThatIsJSONButNotAnObjectIsRefused(_ header: String) {
        #expect(refusal(Forge.token(header: header, payload: claimsJSON)) == .invalidHeader)
    }

    @Test(arguments: ["", "{", "{\"alg\":\"ES256\",}", "{'alg':'ES256'}", "\u{feff}{\"alg\":\"ES256\"}"])
    func headerThatIsNotJSONIsRefused(_ header: String) {
        let code = refusal(Forge.token(header: header, payload: claimsJSON))
        #expect(code == (header.isEmpty ? .malformedJWS : .invalidJSON))
    }

    @Test func oneMebibyteTokenIsRefusedBeforeParsing() {
        let big = String(repeating: "A", count: 1 << 20)
        let token = Forge.b64(#"{"alg":"ES256"}"#) + "." + big + "." + big
        #expect(refusal(token) == .tooLarge)
        // Just over the 16 KiB default, too.
        let payload = #"{"x":""# + String(repeating: "a", count: 16 * 1024) + #""}"#
        #expect(refusal(Forge.token(header: #"{"alg":"ES256"}"#, payload: payload)) == .tooLarge)
        // And a configured limit applies.
        let small = JWSParseOptions(maxLength: 64)
        #expect(refusal(Forge.token(header: #"{"alg":"ES256"}"#, payload: claimsJSON), options: small) == .tooLarge)
    }

    @Test func deeplyNestedJSONIsRefused() throws {
        let deep = String(repeating: "[", count: 5000) + String(repeating: "]", count: 5000)
        let header = #"{"alg":"ES256","x":"# + deep + "}"
        #expect(refusal(Forge.token(header: header, payload: claimsJSON)) == .tooDeep)
        // In the payload: parsing succeeds (the payload is opaque), the claims do not.
        let payload = #"{"x":"# + String(repeating: "{\"a\":", count: 100) + "1" + String(repeating: "}", count: 101)
        let token = try Forge.signed(
            header: #"{"alg":"ES256"}"#,
            payload: payload,
            key: Self.es256,
            scheme: .ecdsa(.sha256)
        )
        let verified = try UnverifiedJWS(compact: token).verify(
            using: Self.es256.publicKey,
            allowedAlgorithms: [.es256]
        )
        let error = #expect(throws: JOSEError.self) { try verified.claims() }
        #expect(error?.code == .tooDeep)
    }

    @Test func unknownCritIsRefused() throws {
        let header = #"{"alg":"ES256","crit":["exp"],"exp":1}"#
        let token = try Forge.signed(header: header, payload: claimsJSON, key: Self.es256, scheme: .ecdsa(.sha256))
        #expect(refusal(token) == .unknownCriticalHeader)
        // RFC 7797's b64 is not implemented either.
        let b64 = try Forge.signed(
            header: #"{"alg":"ES256","crit":["b64"],"b64":false}"#,
            payload: claimsJSON,
            key: Self.es256,
            scheme: .ecdsa(.sha256)
        )
        #expect(refusal(b64) == .unknownCriticalHeader)
        // Understood by configuration, it passes.
        #expect(refusal(token, options: JWSParseOptions(understoodCriticalHeaders: ["exp"])) == nil)
    }

    /// RFC 7797 is not implemented: a `b64` member is refused whatever its value, and whether or
    /// not `crit` lists it or the caller claims to understand it. Before, `b64: false` without
    /// `crit` was verified as an ordinary JWS.
    @Test(arguments: [
        #"{"alg":"ES256","b64":false}"#, #"{"alg":"ES256","b64":true}"#, #"{"alg":"ES256","b64":"false"}"#,
        #"{"alg":"ES256","crit":["b64"],"b64":false}"#,
    ])
    func b64HeaderIsRefused(_ header: String) throws {
        let token = try Forge.signed(header: header, payload: claimsJSON, key: Self.es256, scheme: .ecdsa(.sha256))
        #expect(refusal(token, options: JWSParseOptions(understoodCriticalHeaders: ["b64"])) == .invalidHeader)
        #expect(refusal(token) == (header.contains("crit") ? .unknownCriticalHeader : .invalidHeader))
    }

    @Test func signerRefusesB64() throws {
        let signer = try JWSSigner(key: Self.es256, algorithm: .es256, keyID: nil)
        let error = #expect(throws: JOSEError.self) {
            try signer.sign(payload: Array(claimsJSON.utf8), extraHeader: ["b64": false])
        }
        #expect(error?.code == .invalidHeader)
    }

    /// A `crit` name that is only canonically equivalent to an understood name is not
    /// understood: the caller would look its member up by its own spelling and miss it.
    @Test func critComparesNamesByCodePoints() throws {
        let header = #"{"alg":"ES256","crit":["Kext"],"Kext":1}"#
        let token = try Forge.signed(header: header, payload: claimsJSON, key: Self.es256, scheme: .ecdsa(.sha256))
        #expect(
            refusal(token, options: JWSParseOptions(understoodCriticalHeaders: ["\u{212A}ext"]))
                == .unknownCriticalHeader
        )
        #expect(refusal(token, options: JWSParseOptions(understoodCriticalHeaders: ["Kext"])) == nil)
    }

    @Test(arguments: [
        #"{"alg":"ES256","crit":[]}"#, #"{"alg":"ES256","crit":"exp","exp":1}"#, #"{"alg":"ES256","crit":[1]}"#,
        #"{"alg":"ES256","crit":["alg"]}"#, #"{"alg":"ES256","crit":["exp"]}"#,
        #"{"alg":"ES256","crit":["exp","exp"],"exp":1}"#,
    ])
    func malformedCritIsRefused(_ header: String) throws {
        let token = try Forge.signed(header: header, payload: claimsJSON, key: Self.es256, scheme: .ecdsa(.sha256))
        #expect(refusal(token, options: JWSParseOptions(understoodCriticalHeaders: ["exp"])) == .invalidHeader)
    }

    @Test func duplicateHeaderMemberIsRefused() throws {
        let header = #"{"alg":"ES256","alg":"none"}"#
        let token = try Forge.signed(header: header, payload: claimsJSON, key: Self.es256, scheme: .ecdsa(.sha256))
        #expect(refusal(token) == .duplicateMember)
        let kid = #"{"alg":"ES256","kid":"a","kid":"b"}"#
        #expect(refusal(Forge.token(header: kid, payload: claimsJSON)) == .duplicateMember)
    }

    @Test func duplicateClaimIsRefused() throws {
        let payload = #"{"iss":"https://issuer.example","sub":"a","sub":"b","exp":2000000000}"#
        let token = try Forge.signed(
            header: #"{"alg":"ES256"}"#,
            payload: payload,
            key: Self.es256,
            scheme: .ecdsa(.sha256)
        )
        let verified = try UnverifiedJWS(compact: token).verify(
            using: Self.es256.publicKey,
            allowedAlgorithms: [.es256]
        )
        let error = #expect(throws: JOSEError.self) { try verified.claims() }
        #expect(error?.code == .duplicateMember)
        let peek = #expect(throws: JOSEError.self) { try UnverifiedJWS(compact: token).unverifiedClaims() }
        #expect(peek?.code == .duplicateMember)
    }

    @Test(arguments: [
        (JWSAlgorithm.es256, KeyKind.rsa(bits: 2048)), (.es256, .ec(.p384)), (.es384, .ec(.p256)), (.es512, .ec(.p256)),
        (.rs256, .ec(.p256)), (.ps256, .ed25519), (.edDSA, .ec(.p256)), (.es256, .ed25519),
    ])
    func keyTypeAlgorithmMismatchIsRefused(algorithm: JWSAlgorithm, kind: KeyKind) throws {
        let signingKey = TestKeys.key(for: algorithm)
        let token = try JWSSigner(key: signingKey, algorithm: algorithm, keyID: "k").sign(
            payload: Array(claimsJSON.utf8)
        )
        let wrongKey = kind == .rsa(bits: 2048) ? TestKeys.rsa : TestKeys.make(kind)
        #expect(refusal(token, key: wrongKey.publicKey, allowed: Set(JWSAlgorithm.allCases)) == .keyAlgorithmMismatch)
        let jwk = JWK(publicKey: wrongKey.publicKey, keyID: "k")
        let error = #expect(throws: JOSEError.self) {
            try UnverifiedJWS(compact: token).verify(
                using: JWKSet(keys: [jwk]),
                allowedAlgorithms: Set(JWSAlgorithm.allCases)
            )
        }
        #expect(error?.code == .keyAlgorithmMismatch)
    }

    @Test func rsa1024KeyIsRefused() throws {
        let jwkText = try Fixtures.string("keys/rsa1024.jwk.json")
        let error = #expect(throws: JOSEError.self) { try JWK.parse(Array(jwkText.utf8)) }
        #expect(error?.code == .invalidKey)
        // In a set, the entry is kept aside and its kid names the reason.
        let set = try JWKSet.parse(Array(#"{"keys":[\#(jwkText)]}"#.utf8))
        #expect(set.keys.isEmpty)
        #expect(set.skipped.count == 1)
        let lookup = #expect(throws: JOSEError.self) { try set.key(forKID: "rsa1024", algorithm: .rs256) }
        #expect(lookup?.code == .invalidKey)
        let pem = try Fixtures.string("keys/rsa1024-private.pem")
        let pemError = #expect(throws: CryptoError.self) { try PrivateKey(pkcs8PEM: pem) }
        #expect(pemError?.code == .unsupportedKey)
    }

    @Test func emptyAllowlistAcceptsNothing() throws {
        let token = try Forge.signed(
            header: #"{"alg":"ES256"}"#,
            payload: claimsJSON,
            key: Self.es256,
            scheme: .ecdsa(.sha256)
        )
        #expect(refusal(token, allowed: []) == .algorithmNotAllowed)
    }

    @Test(arguments: [
        "", ".", "..", "a.b", "a.b.c.d", "a.b.c.d.e", "...", "eyJhbGciOiJFUzI1NiJ9..c", "eyJhbGciOiJFUzI1NiJ9.b.",
    ])
    func malformedStructureIsRefused(_ token: String) {
        let code = refusal(token)
        #expect(code == .malformedJWS || code == .invalidBase64URL, "\(token)")
    }

    @Test(arguments: [
        #"{"kid":"x"}"#, #"{"alg":256}"#, #"{"alg":null}"#, #"{"alg":"ES256","kid":7}"#,
        #"{"alg":"ES256","typ":["JWT"]}"#,
    ])
    func badHeaderMembersAreRefused(_ header: String) {
        #expect(refusal(Forge.token(header: header, payload: claimsJSON)) == .invalidHeader)
    }

    @Test(arguments: ["RSA-OAEP", "ES256K", "Ed25519", "es256", "ES256 ", "PS256\u{0}"])
    func unknownAlgorithmsAreRefused(_ alg: String) {
        let header = JSONValue.object(["alg": .string(alg)]).serializedString()
        #expect(refusal(Forge.token(header: header, payload: claimsJSON)) == .unsupportedAlgorithm)
    }
}

extension [UInt8] {
    init(hexString: String) {
        var bytes: [UInt8] = []
        var iterator = hexString.makeIterator()
        while let high = iterator.next(), let low = iterator.next() {
            bytes.append(UInt8(String([high, low]), radix: 16) ?? 0)
        }
        self = bytes
    }
}

/// HMAC-SHA-256 (RFC 2104) over OpenSSLCrypto's digest, only to forge the HS256 attack token.
func hmacSHA256(key: [UInt8], message: [UInt8]) -> [UInt8] {
    var block = key.count > 64 ? Digest.sha256(key) : key
    block += [UInt8](repeating: 0, count: 64 - block.count)
    let inner = Digest.sha256(block.map { $0 ^ 0x36 } + message)
    return Digest.sha256(block.map { $0 ^ 0x5c } + inner)
}
