import CredenceCore
import CredenceJOSE
import CredenceJSON
import CredenceTesting
import Foundation
import OpenSSLCrypto
import Testing

/// Open Banking UK signed registration requests: the statement first, then the request with the
/// software key the statement names; every refusal with its error code and rule.
@Suite struct SignedRegistrationRequestTests {
    static let audience = "https://as.bank.example"
    static let softwareKey = TestKeys.es256A

    let fetcher = InMemoryJWKSetFetcher()
    let verifier: SignedRegistrationRequest

    init() throws {
        fetcher.serve(Self.softwareJWKS([(Self.softwareKey, "tpp-1")]), at: Directory.softwareJWKSEndpoint)
        verifier = SignedRegistrationRequest(
            registry: try Directory.registry(fetcher: fetcher),
            audience: Self.audience
        )
    }

    static func softwareJWKS(_ keys: [(PrivateKey, String)]) -> String {
        JSONValue.object(JWKSet(keys: keys.map { JWK(publicKey: $0.0.publicKey, keyID: $0.1) }).jsonObject)
            .serializedString()
    }

    /// Request claims: the metadata, the statement, and the envelope; `changes` replace or (with
    /// `.null`) remove members.
    static func request(statement: String, _ changes: JSONObject = [:]) -> JSONObject {
        var claims: JSONObject = [
            "iss": "software-42",
            "aud": .string(audience),
            "iat": JSONValue(Directory.nowSeconds - 10),
            "exp": JSONValue(Directory.nowSeconds + 300),
            "jti": "request-1",
            "redirect_uris": .array(["https://tpp.example/cb"]),
            "token_endpoint_auth_method": "private_key_jwt",
            "grant_types": .array(["client_credentials"]),
            "software_statement": .string(statement),
        ]
        for (name, value) in changes {
            if value == .null { claims[name] = nil } else { claims[name] = value }
        }
        return claims
    }

    static func sign(
        _ claims: JSONObject,
        key: PrivateKey = SignedRegistrationRequestTests.softwareKey,
        kid: String? = "tpp-1",
        header: JSONObject = [:]
    ) throws -> [UInt8] {
        Array(try Directory.sign(claims, key: key, algorithm: .es256, kid: kid, header: header).utf8)
    }

    static func body(_ changes: JSONObject = [:], statement: JSONObject = [:]) throws -> [UInt8] {
        try sign(request(statement: Directory.statement(statement), changes))
    }

    @Test func aSignedRequestIsVerifiedWithTheSoftwareKeyFromTheStatement() throws {
        let verified = try verifier.verify(Self.body(), now: Directory.now)
        #expect(verified.jti == "request-1")
        #expect(verified.statement.softwareID == "software-42")
        #expect(verified.issuedAt == Date(timeIntervalSince1970: TimeInterval(Directory.nowSeconds - 10)))
        #expect(verified.expiresAt == Date(timeIntervalSince1970: TimeInterval(Directory.nowSeconds + 300)))
        #expect(verified.metadata["token_endpoint_auth_method"] == "private_key_jwt")
        #expect(verified.metadata["software_statement"] == .string(verified.statement.statement))
        for name in SignedRegistrationRequest.envelopeClaims { #expect(verified.metadata[name] == nil) }
        #expect(verified.claims["jti"] == "request-1")
        #expect(fetcher.fetchCount(Directory.softwareJWKSEndpoint) == 1)
    }

    /// `curl --data-binary @request.jwt` keeps the file's final newline.
    @Test func surroundingWhitespaceIsIgnored() throws {
        _ = try verifier.verify([0x0A] + Self.body() + [0x0D, 0x0A], now: Directory.now)
    }

    @Test func anInlineSoftwareJWKSIsUsed() throws {
        let inline = try JSONValue.parse(Array(Self.softwareJWKS([(Self.softwareKey, "tpp-1")]).utf8))
        let body = try Self.body(statement: ["software_jwks": inline, "software_jwks_endpoint": .null])
        _ = try verifier.verify(body, now: Directory.now)
        #expect(fetcher.fetchCount(Directory.softwareJWKSEndpoint) == 0)
    }

    @Test func aStatementWithoutSoftwareKeysIsInvalid() throws {
        let body = try Self.body(statement: ["software_jwks_endpoint": .null])
        expectRefusal("invalid_software_statement", .softwareKeys) { _ = try verifier.verify(body, now: Directory.now) }
    }

    @Test func theStatementsOwnRefusalPassesThrough() throws {
        let unknown = try Self.body(statement: ["iss": "https://elsewhere.example"])
        expectRefusal("unapproved_software_statement", .trustedIssuer) {
            _ = try verifier.verify(unknown, now: Directory.now)
        }
        let expired = try Self.body(statement: ["exp": JSONValue(Directory.nowSeconds - 3600)])
        expectRefusal("invalid_software_statement", .statementExpiry) {
            _ = try verifier.verify(expired, now: Directory.now)
        }
    }

    @Test func aRequestWithoutAStatementIsRefused() throws {
        let missing = try Self.sign(Self.request(statement: "", ["software_statement": .null]))
        expectRefusal("invalid_software_statement", .softwareStatement) {
            _ = try verifier.verify(missing, now: Directory.now)
        }
        let notAString = try Self.sign(Self.request(statement: "", ["software_statement": JSONValue(1)]))
        expectRefusal("invalid_software_statement", .softwareStatement) {
            _ = try verifier.verify(notAString, now: Directory.now)
        }
    }

    @Test(arguments: ["", "application/json", "a.b.c", "eyJhbGciOiJub25lIn0.e30."])
    func aBodyThatIsNotACompactJWSIsRefused(_ text: String) {
        expectRefusal("invalid_client_metadata", .requestFormat) {
            _ = try verifier.verify(Array(text.utf8), now: Directory.now)
        }
    }

    /// The request may not name its own key: it would then vouch for itself.
    @Test(arguments: ["x5c", "x5u", "jku", "jwk"])
    func aHeaderNamingItsOwnKeyIsRefused(_ member: String) throws {
        let values: [String: JSONValue] = [
            "x5c": DirectoryPKI.x5c([try DirectoryPKI.certificate("tpp-transport")]),
            "x5u": "https://tpp.example/cert.pem",
            "jku": "https://tpp.example/keys.jwks",
            "jwk": .object(JWK(publicKey: Self.softwareKey.publicKey, keyID: "tpp-1").jsonObject),
        ]
        let body = try Self.sign(
            Self.request(statement: Directory.statement()),
            header: [member: try #require(values[member])]
        )
        expectRefusal("invalid_client_metadata", .requestHeader) { _ = try verifier.verify(body, now: Directory.now) }
    }

    /// A request refused after its statement verified reports the statement first (for the
    /// audit trail); one whose statement does not verify reports nothing.
    @Test func theStatementIsReportedBeforeTheRequestsOwnRefusal() throws {
        var seen: [String] = []
        let signedByAnother = try Self.sign(Self.request(statement: Directory.statement()), key: TestKeys.es256B)
        expectRefusal("invalid_client_metadata", .requestSignature) {
            _ = try verifier.verify(signedByAnother, now: Directory.now) { seen.append($0.softwareID) }
        }
        #expect(seen == ["software-42"])
        seen = []
        let unknownIssuer = try Self.body(statement: ["iss": "https://elsewhere.example"])
        expectRefusal("unapproved_software_statement", .trustedIssuer) {
            _ = try verifier.verify(unknownIssuer, now: Directory.now) { seen.append($0.softwareID) }
        }
        #expect(seen.isEmpty)
    }

    @Test func aSignatureByAnotherKeyIsRefused() throws {
        let body = try Self.sign(Self.request(statement: Directory.statement()), key: TestKeys.es256B)
        expectRefusal("invalid_client_metadata", .requestSignature) {
            _ = try verifier.verify(body, now: Directory.now)
        }
    }

    @Test func aKidTheSoftwareDoesNotHaveIsRefused() throws {
        let body = try Self.sign(Self.request(statement: Directory.statement()), kid: "tpp-unknown")
        expectRefusal("invalid_client_metadata", .requestKey) { _ = try verifier.verify(body, now: Directory.now) }
        let withoutKid = try Self.sign(Self.request(statement: Directory.statement()), kid: nil)
        expectRefusal("invalid_client_metadata", .requestKey) {
            _ = try verifier.verify(withoutKid, now: Directory.now)
        }
    }

    /// A directory key cannot sign the software's request either (it is not in the software's set).
    @Test func theDirectorysKeyIsNotTheSoftwaresKey() throws {
        let claims = Self.request(statement: try Directory.statement())
        let body = Array(try Directory.sign(claims).utf8)
        expectRefusal("invalid_client_metadata", .requestKey) { _ = try verifier.verify(body, now: Directory.now) }
    }

    @Test func anRS256RequestIsRefusedByDefault() throws {
        fetcher.serve(Self.softwareJWKS([(TestKeys.rsa, "tpp-rsa")]), at: Directory.softwareJWKSEndpoint)
        let body = Array(
            try Directory.sign(
                Self.request(statement: Directory.statement()),
                key: TestKeys.rsa,
                algorithm: .rs256,
                kid: "tpp-rsa"
            ).utf8
        )
        expectRefusal("invalid_client_metadata", .requestAlgorithm) {
            _ = try verifier.verify(body, now: Directory.now)
        }
    }

    @Test func issMustBeTheSoftwareID() throws {
        for iss: JSONValue in ["software-43", "SOFTWARE-42", .null] {
            let body = try Self.body(["iss": iss])
            expectRefusal("invalid_client_metadata", iss == .null ? .requestClaims : .requestIssuer) {
                _ = try verifier.verify(body, now: Directory.now)
            }
        }
    }

    @Test func audMustNameThisServerWhenThePolicySaysSo() throws {
        for aud: JSONValue in ["https://other.bank.example", .array(["https://other.bank.example"]), .null] {
            let body = try Self.body(["aud": aud])
            expectRefusal("invalid_client_metadata", .requestAudience) {
                _ = try verifier.verify(body, now: Directory.now)
            }
        }
        _ = try verifier.verify(
            Self.body(["aud": .array(["https://x.example", .string(Self.audience)])]),
            now: Directory.now
        )

        var lenient = RegistrationPolicy.default
        lenient.requireRequestAudience = false
        let registry = try Directory.registry([Directory.entry(policy: lenient)], fetcher: fetcher)
        _ = try SignedRegistrationRequest(registry: registry, audience: Self.audience)
            .verify(Self.body(["aud": "https://other.bank.example"]), now: Directory.now)
    }

    @Test(arguments: ["iat", "exp", "jti"])
    func aMissingEnvelopeClaimIsRefused(_ claim: String) throws {
        let body = try Self.body([claim: .null])
        expectRefusal("invalid_client_metadata", .requestClaims) { _ = try verifier.verify(body, now: Directory.now) }
    }

    @Test func anExpiredOrFutureRequestIsRefused() throws {
        let expired = try Self.body(["exp": JSONValue(Directory.nowSeconds - 61)])
        expectRefusal("invalid_client_metadata", .requestExpiry) {
            _ = try verifier.verify(expired, now: Directory.now)
        }
        let future = try Self.body(["iat": JSONValue(Directory.nowSeconds + 61)])
        expectRefusal("invalid_client_metadata", .requestIssuedAt) {
            _ = try verifier.verify(future, now: Directory.now)
        }
    }

    @Test func aSoftwareJWKSEndpointOffTheIssuersHostsIsUnapprovedAndNeverFetched() throws {
        let uri = "https://attacker.example/keys.jwks"
        fetcher.serve(Self.softwareJWKS([(Self.softwareKey, "tpp-1")]), at: uri)
        let body = try Self.body(statement: ["software_jwks_endpoint": .string(uri)])
        expectRefusal("unapproved_software_statement", .softwareKeys) {
            _ = try verifier.verify(body, now: Directory.now)
        }
        #expect(fetcher.fetchCount(uri) == 0)
        // Another port of an allowed host is another host.
        let port = "https://keystore.directory.example:8443/keys.jwks"
        let onPort = try Self.body(statement: ["software_jwks_endpoint": .string(port)])
        expectRefusal("unapproved_software_statement", .softwareKeys) {
            _ = try verifier.verify(onPort, now: Directory.now)
        }
        #expect(fetcher.fetchCount(port) == 0)
    }

    @Test func aSoftwareJWKSEndpointThatIsNotHTTPSIsInvalid() throws {
        let body = try Self.body(statement: ["software_jwks_endpoint": "http://keystore.directory.example/k.jwks"])
        expectRefusal("invalid_software_statement", .softwareKeys) { _ = try verifier.verify(body, now: Directory.now) }
    }

    @Test func aRequestSignedWithARevokedSoftwareKeyIsRefused() throws {
        fetcher.serve(Self.softwareJWKS([(Self.softwareKey, "tpp-1")]), at: Directory.softwareRevokedEndpoint)
        let body = try Self.body(statement: [
            "software_jwks_revoked_endpoint": .string(Directory.softwareRevokedEndpoint)
        ])
        expectRefusal("invalid_client_metadata", .revokedSoftwareKey) {
            _ = try verifier.verify(body, now: Directory.now)
        }
    }

    @Test func anUnrevokedSoftwareKeyIsAcceptedAndAnUnavailableListFailsClosed() throws {
        fetcher.serve(Self.softwareJWKS([(TestKeys.es256B, "tpp-0")]), at: Directory.softwareRevokedEndpoint)
        let body = try Self.body(statement: [
            "software_jwks_revoked_endpoint": .string(Directory.softwareRevokedEndpoint)
        ])
        _ = try verifier.verify(body, now: Directory.now)

        let down = InMemoryJWKSetFetcher()
        down.serve(Self.softwareJWKS([(Self.softwareKey, "tpp-1")]), at: Directory.softwareJWKSEndpoint)
        down.fail(Directory.softwareRevokedEndpoint)
        let verifier = SignedRegistrationRequest(
            registry: try Directory.registry(fetcher: down),
            audience: Self.audience
        )
        expectRefusal("invalid_software_statement", .revokedSoftwareKey) {
            _ = try verifier.verify(body, now: Directory.now)
        }
    }

    @Test func aRevokedEndpointOffTheIssuersHostsIsUnapproved() throws {
        let body = try Self.body(statement: ["software_jwks_revoked_endpoint": "https://attacker.example/revoked.jwks"])
        expectRefusal("unapproved_software_statement", .softwareKeys) {
            _ = try verifier.verify(body, now: Directory.now)
        }
    }
}
