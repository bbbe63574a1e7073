import CredenceJOSE
import CredenceJSON
import Testing

/// Identifiers compare by code points (their UTF-8 bytes), never with Swift's `==`, which takes
/// canonically equivalent strings as equal: U+212A KELVIN SIGN would match the letter K, and a
/// token for one issuer, audience or key would pass for another.
@Suite struct IdentifierComparisonTests {
    static let kelvin = "\u{212A}"

    /// The premise: Swift's `==` does merge these, so each check below would fail with it.
    @Test func swiftStringEqualityMergesTheKelvinSign() {
        #expect(Self.kelvin == "K")
        #expect("e\u{301}" == "é")
        #expect(!Self.kelvin.hasSameCodePoints(as: "K"))
        #expect(!"e\u{301}".hasSameCodePoints(as: "é"))
        #expect("K".hasSameCodePoints(as: "K"))
    }

    static func validate(_ claims: String, _ rules: JWTValidationRules) -> JOSEError.Code? {
        do {
            try JWTClaims(JSONObject.parse(claims)).validate(nowSeconds: 1_800_000_000, rules: rules)
            return nil
        } catch let error as JOSEError {
            return error.code
        } catch {
            return nil
        }
    }

    @Test(arguments: ["K", "\u{212A}", "e\u{301}", "é"])
    func issuerMatchesOnlyItsOwnCodePoints(_ expected: String) {
        for claimed in ["K", "\u{212A}", "e\u{301}", "é"] {
            let claims = JSONValue.object(["iss": .string(claimed), "exp": 1_800_000_100]).serializedString()
            let code = Self.validate(claims, JWTValidationRules(expectedIssuer: expected))
            #expect(code == (claimed.hasSameCodePoints(as: expected) ? nil : .issuerMismatch), "\(claimed)")
        }
    }

    @Test func audienceMatchesOnlyItsOwnCodePoints() {
        let rules = JWTValidationRules(acceptedAudiences: ["K"])
        #expect(Self.validate(#"{"aud":"\u212A","exp":1800000100}"#, rules) == .audienceMismatch)
        #expect(Self.validate(#"{"aud":["x","\u212A"],"exp":1800000100}"#, rules) == .audienceMismatch)
        #expect(Self.validate(#"{"aud":["x","K"],"exp":1800000100}"#, rules) == nil)
        let kelvinRules = JWTValidationRules(acceptedAudiences: [Self.kelvin])
        #expect(Self.validate(#"{"aud":"K","exp":1800000100}"#, kelvinRules) == .audienceMismatch)
    }

    @Test func subjectMatchesOnlyItsOwnCodePoints() {
        let rules = JWTValidationRules(expectedSubject: "client-K")
        #expect(Self.validate(#"{"sub":"client-\u212A","exp":1800000100}"#, rules) == .subjectMismatch)
        #expect(Self.validate(#"{"exp":1800000100}"#, rules) == .subjectMismatch)
        #expect(Self.validate(#"{"sub":"client-K","exp":1800000100}"#, rules) == nil)
    }

    @Test func kidSelectsOnlyTheKeyWithTheSameCodePoints() throws {
        let set = JWKSet(keys: [JWK(publicKey: TestKeys.es256.publicKey, keyID: "K1")])
        let error = #expect(throws: JOSEError.self) { try set.key(forKID: "\(Self.kelvin)1", algorithm: .es256) }
        #expect(error?.code == .keyNotFound)
        #expect(try set.key(forKID: "K1", algorithm: .es256).keyID == "K1")
        // Through a token signed by the real key but naming the look-alike kid.
        let token = try JWSSigner(key: TestKeys.es256, algorithm: .es256, keyID: "\(Self.kelvin)1").sign(
            payload: Array(claimsJSON.utf8)
        )
        let verify = #expect(throws: JOSEError.self) {
            try UnverifiedJWS(compact: token).verify(using: set, allowedAlgorithms: [.es256])
        }
        #expect(verify?.code == .keyNotFound)
        // Two keys whose kids are only canonically equivalent are two keys, not an ambiguity.
        let both = JWKSet(keys: [
            JWK(publicKey: TestKeys.es256.publicKey, keyID: "K1"),
            JWK(publicKey: TestKeys.make(.ec(.p256)).publicKey, keyID: "\(Self.kelvin)1"),
        ])
        #expect(
            try both.key(forKID: "\(Self.kelvin)1", algorithm: .es256).keyID?.hasSameCodePoints(as: "\(Self.kelvin)1")
                == true
        )
    }

    @Test func codePointStringSetsKeepCanonicallyEquivalentStringsApart() {
        #expect(Set(["K", Self.kelvin]).count == 1)
        let exact = Set([CodePointString("K"), CodePointString(Self.kelvin)])
        #expect(exact.count == 2)
        #expect(exact.contains(CodePointString("K")))
        #expect(!Set([CodePointString("K")]).contains(CodePointString(Self.kelvin)))
    }
}
