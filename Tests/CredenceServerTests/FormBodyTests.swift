import CredenceCore
import CredenceServer
import Testing

/// The strict `application/x-www-form-urlencoded` reader of the token, introspection and
/// revocation endpoints (RFC 6749 §3.1, Appendix B).
@Suite struct FormBodyTests {
    func form(_ body: String) throws(OAuthError) -> FormBody { try FormBody(Array(body.utf8)) }

    func error(_ body: String) -> OAuthError? {
        do {
            _ = try form(body)
            return nil
        } catch {
            return error
        }
    }

    @Test func parametersAreDecoded() throws {
        let form = try form("grant_type=client_credentials&scope=accounts+payments&client_id=a%3Ab%2Bc%25")
        #expect(form["grant_type"] == "client_credentials")
        #expect(form["scope"] == "accounts payments")
        #expect(form["client_id"] == "a:b+c%")
        #expect(form["missing"] == nil)
    }

    @Test func anEmptyValueCountsAsOmitted() throws {
        let form = try form("scope=&token")
        #expect(form["scope"] == nil)
        #expect(form["token"] == nil)
    }

    @Test(arguments: ["a=1&a=2", "a=1&%61=2", "a=&a=1", "a+b=1&a%20b=2"])
    func aRepeatedNameIsInvalidRequest(body: String) {
        #expect(error(body) == .invalidRequest(""))
    }

    @Test(arguments: ["=1", "a=%zz", "a=%C3%28", "%FF=1", "a=%"])
    func malformedEncodingIsInvalidRequest(body: String) {
        #expect(error(body) == .invalidRequest(""))
    }

    /// Names are told apart by their bytes (U+212A KELVIN SIGN is not K), so each keeps its own
    /// value: Swift's `==` and `Hashable` would treat the two as one key.
    @Test func namesThatAreOnlyCanonicallyEquivalentStayApart() throws {
        let form = try form("K=first&%E2%84%AA=second")
        #expect(form["K"] == "first")
        #expect(form["\u{212A}"] == "second")
        let reversed = try self.form("%E2%84%AA=first&K=second")
        #expect(reversed["\u{212A}"] == "first")
        #expect(reversed["K"] == "second")
    }

    @Test func theNumberOfParametersIsBounded() throws {
        let body = (1...FormBody.maximumParameters).map { "p\($0)=x" }.joined(separator: "&")
        #expect(try form(body)["p64"] == "x")
        #expect(error(body + "&one=more") == .invalidRequest(""))
    }
}
