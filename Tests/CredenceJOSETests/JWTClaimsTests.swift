import CredenceJOSE
import CredenceJSON
import Foundation
import Testing

@Suite struct JWTClaimsTests {
    static let now: Int64 = 1_800_000_000

    static func claims(_ json: String) throws -> JWTClaims { try JWTClaims(JSONObject.parse(json)) }

    static let rules = JWTValidationRules(
        expectedIssuer: "https://issuer.example",
        acceptedAudiences: ["https://as.example", "https://as.example/token"],
        requiredClaims: ["exp", "iat", "jti"]
    )

    func code(_ json: String, rules: JWTValidationRules = rules, now: Int64 = now) -> JOSEError.Code? {
        do {
            try Self.claims(json).validate(nowSeconds: now, rules: rules)
            return nil
        } catch let error as JOSEError {
            return error.code
        } catch {
            Issue.record("unexpected error \(error)")
            return nil
        }
    }

    @Test func typedAccessors() throws {
        let claims = try Self.claims(
            #"{"iss":"i","sub":"s","aud":["a","b"],"exp":1800000100,"nbf":1799999900,"iat":1799999950.7,"jti":"j","scope":"x"}"#
        )
        #expect(claims.issuer == "i")
        #expect(claims.subject == "s")
        #expect(claims.audience == ["a", "b"])
        #expect(claims.expiresAt == 1_800_000_100)
        #expect(claims.notBefore == 1_799_999_900)
        #expect(claims.issuedAt == 1_799_999_950)
        #expect(claims.jwtID == "j")
        #expect(claims["scope"] == "x")
        #expect(try Self.claims(#"{"aud":"one"}"#).audience == ["one"])
        #expect(try Self.claims(#"{}"#).audience == [])
    }

    @Test func validClaimsPass() {
        #expect(
            code(
                #"{"iss":"https://issuer.example","aud":"https://as.example","exp":1800000100,"iat":1800000000,"jti":"1"}"#
            ) == nil
        )
        // aud as an array with one accepted value among others.
        #expect(
            code(
                #"{"iss":"https://issuer.example","aud":["x","https://as.example/token"],"exp":1800000100,"iat":1800000000,"jti":"1"}"#
            ) == nil
        )
    }

    @Test func dateOverloadUsesTheGivenInstant() throws {
        let claims = try Self.claims(#"{"exp":1800000100}"#)
        #expect(throws: Never.self) {
            try claims.validate(now: Date(timeIntervalSince1970: 1_800_000_000), rules: JWTValidationRules())
        }
        let error = #expect(throws: JOSEError.self) {
            try claims.validate(now: Date(timeIntervalSince1970: 1_800_000_200), rules: JWTValidationRules())
        }
        #expect(error?.code == .expired)
    }

    @Test func expiryHonoursTheSkew() {
        let base = #"{"iss":"https://issuer.example","aud":"https://as.example","iat":1799999000,"jti":"1","exp":"#
        #expect(code(base + "1799999941}") == nil)  // 59 s past exp, within 60 s skew
        #expect(code(base + "1799999940}") == .expired)  // exactly at exp + skew
        #expect(code(base + "1700000000}") == .expired)
        var strict = Self.rules
        strict.clockSkew = 0
        #expect(code(base + "1800000000}", rules: strict) == .expired)
        #expect(code(base + "1800000001}", rules: strict) == nil)
    }

    @Test func notBeforeAndIssuedAtHonourTheSkew() {
        let base = #"{"iss":"https://issuer.example","aud":"https://as.example","exp":1800001000,"jti":"1","#
        #expect(code(base + #""iat":1800000000,"nbf":1800000060}"#) == nil)
        #expect(code(base + #""iat":1800000000,"nbf":1800000061}"#) == .notYetValid)
        #expect(code(base + #""iat":1800000060}"#) == nil)
        #expect(code(base + #""iat":1800000061}"#) == .issuedInFuture)
    }

    @Test(arguments: ["exp", "iat", "jti"])
    func requiredClaimsMustBePresent(_ missing: String) throws {
        var object = try JSONObject.parse(
            #"{"iss":"https://issuer.example","aud":"https://as.example","exp":1800000100,"iat":1800000000,"jti":"1"}"#
        )
        object[missing] = nil
        let error = #expect(throws: JOSEError.self) {
            try JWTClaims(object).validate(nowSeconds: Self.now, rules: Self.rules)
        }
        #expect(error?.code == .missingClaim)
    }

    @Test func issuerMustMatch() {
        #expect(
            code(
                #"{"iss":"https://evil.example","aud":"https://as.example","exp":1800000100,"iat":1800000000,"jti":"1"}"#
            ) == .issuerMismatch
        )
        #expect(code(#"{"aud":"https://as.example","exp":1800000100,"iat":1800000000,"jti":"1"}"#) == .issuerMismatch)
        #expect(
            code(
                #"{"iss":"https://issuer.example/","aud":"https://as.example","exp":1800000100,"iat":1800000000,"jti":"1"}"#
            ) == .issuerMismatch
        )
    }

    @Test func audienceMustMatch() {
        #expect(
            code(
                #"{"iss":"https://issuer.example","aud":"https://other.example","exp":1800000100,"iat":1800000000,"jti":"1"}"#
            ) == .audienceMismatch
        )
        #expect(
            code(#"{"iss":"https://issuer.example","aud":[],"exp":1800000100,"iat":1800000000,"jti":"1"}"#)
                == .audienceMismatch
        )
        #expect(
            code(#"{"iss":"https://issuer.example","exp":1800000100,"iat":1800000000,"jti":"1"}"#) == .audienceMismatch
        )
    }

    @Test func lifetimeLimit() {
        var rules = Self.rules
        rules.maximumLifetime = 300
        #expect(
            code(
                #"{"iss":"https://issuer.example","aud":"https://as.example","exp":1800000300,"iat":1800000000,"jti":"1"}"#,
                rules: rules
            ) == nil
        )
        #expect(
            code(
                #"{"iss":"https://issuer.example","aud":"https://as.example","exp":1800000301,"iat":1800000000,"jti":"1"}"#,
                rules: rules
            ) == .lifetimeTooLong
        )
    }

    @Test(arguments: [
        #"{"iss":1}"#, #"{"sub":null}"#, #"{"aud":1}"#, #"{"aud":["a",2]}"#, #"{"aud":{"a":1}}"#,
        #"{"exp":"1800000000"}"#,
        #"{"nbf":true}"#, #"{"iat":[1]}"#, #"{"jti":7}"#, #"{"exp":1e300}"#,
    ])
    func wronglyTypedRegisteredClaimsAreRefused(_ json: String) {
        let error = #expect(throws: JOSEError.self) { try Self.claims(json) }
        #expect(error?.code == .invalidClaim)
    }

    @Test func builderRefusesRepeatedClaims() throws {
        let error = #expect(throws: JOSEError.self) {
            try JWTClaims(issuer: "a", other: ["iss": "b"])
        }
        #expect(error?.code == .duplicateMember)
        let built = try JWTClaims(
            issuer: "i",
            subject: "s",
            audience: ["a"],
            expiresAt: 10,
            issuedAt: 5,
            jwtID: "j",
            other: ["scope": "x y"]
        )
        #expect(
            String(decoding: built.serialized(), as: UTF8.self)
                == #"{"iss":"i","sub":"s","aud":"a","exp":10,"iat":5,"jti":"j","scope":"x y"}"#
        )
    }
}
