import CredenceCore
import CredenceJOSE
import CredenceJSON
import CredenceServer
import CredenceTesting
import Foundation
import Logging
import OpenSSLCrypto
import Testing

/// The committed test PKI of `Tests/OpenSSLCryptoTests/Fixtures/x509` (see its
/// `make-fixtures.sh`), valid 2020–2040; `FixedClock`'s 2026 instant lies inside it.
enum TokenTestPKI {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../OpenSSLCryptoTests/Fixtures/x509").standardized

    static func text(_ name: String) throws -> String {
        try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
    }

    /// `mtls.trusted_ca_file`: the issuing CA and its root in one bundle, written once per
    /// test process (web servers pass the leaf alone).
    static let trustedCAFile: String = {
        let path = NSTemporaryDirectory() + "credence-token-tests-ca-\(getpid()).pem"
        let bundle = (try? text("intermediate-ca.pem") + text("root-ca.pem")) ?? ""
        _ = FileManager.default.createFile(atPath: path, contents: Data(bundle.utf8))
        return path
    }()
}

/// `POST /token`, `/introspect` and `/revoke` through the router, with in-memory stores.
@Suite struct TokenEndpointTests {
    static let kek = [UInt8](repeating: 1, count: 32)
    static let secret = "Zm9yIHRlc3RzIG9ubHk6IGEgY2xpZW50IHNlY3JldA"

    static func configurationText(alias: Bool = false) -> String {
        """
        issuer: https://as.bank.example
        database: {url: dbname=credence}
        keys: {encryption_key_file: /kek}
        tokens:
          resource_servers: [rs-client]
          scopes_supported: [accounts, payments]
        mtls:
          trusted_ca_file: \(TokenTestPKI.trustedCAFile)
        """ + (alias ? "\n  alias_base_url: https://mtls.as.bank.example\n" : "\n")
    }

    static func application(alias: Bool = false, clock: FixedClock) throws -> CredenceApplication {
        let configuration = try CredenceConfiguration.parse(
            yaml: configurationText(alias: alias),
            environment: [:],
            readFile: { path in
                path == "/kek" ? kek : FileManager.default.contents(atPath: path).map { [UInt8]($0) }
            }
        )
        return try CredenceApplication(configuration: configuration, clock: clock)
    }

    let clock = FixedClock()
    let services = TestServices()
    let application: CredenceApplication
    let responder: CredenceResponder

    init() throws {
        application = try Self.application(clock: clock)
        responder = application.makeResponder(services: services, logger: Logger(label: "test"))
        _ = try SigningKeyManager(
            store: services.store,
            encryptionKey: KeyEncryptionKey(bytes: Self.kek),
            retiredKeyPublication: 360
        ).generate(algorithm: .es256, now: clock.now)
        try addSecretClient("basic-client", .clientSecretBasic)
        try addSecretClient("post-client", .clientSecretPost)
        try addSecretClient("rs-client", .clientSecretBasic)
        try addSecretClient(
            "bound-client",
            .clientSecretBasic,
            extra: ["tls_client_certificate_bound_access_tokens": true]
        )
        try addSecretClient("code-client", .clientSecretBasic, extra: ["grant_types": ["authorization_code"]])
        try addClient(
            "tls-client",
            [
                "token_endpoint_auth_method": "tls_client_auth", "scope": "accounts",
                "tls_client_auth_subject_dn": .string(
                    try TokenTestPKI.text("leaf-client.subject-rfc2253.txt").trimmingCharacters(
                        in: .whitespacesAndNewlines
                    )
                ),
                "tls_client_certificate_bound_access_tokens": true,
            ]
        )
    }

    func addClient(_ id: String, _ metadata: JSONObject, secret: String? = nil) throws {
        try services.clients.insert(
            Client(
                clientID: id,
                metadata: try ClientMetadata(json: metadata),
                secretHash: secret.map(application.clientSecrets.hash),
                createdAt: clock.now
            )
        )
    }

    func addSecretClient(
        _ id: String,
        _ method: ClientAuthenticationMethod,
        secret: String = TokenEndpointTests.secret,
        extra: JSONObject = [:]
    ) throws {
        var metadata: JSONObject = [
            "token_endpoint_auth_method": .string(method.rawValue), "scope": "accounts payments",
        ]
        for (name, value) in extra { metadata[name] = value }
        try addClient(id, metadata, secret: secret)
    }

    // MARK: requests

    /// RFC 6749 §2.3.1 / Appendix B: form-encode, then join with `:` and base64.
    static func basic(_ id: String, _ secret: String) -> String {
        "Basic " + Data((formEncode(id) + ":" + formEncode(secret)).utf8).base64EncodedString()
    }

    static func formEncode(_ text: String) -> String {
        let unreserved = CharacterSet(
            charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.*"
        )
        return text.addingPercentEncoding(withAllowedCharacters: unreserved.union([" "]))!
            .replacingOccurrences(of: " ", with: "+")
    }

    static func form(_ parameters: [(String, String)]) -> String {
        parameters.map { formEncode($0.0) + "=" + formEncode($0.1) }.joined(separator: "&")
    }

    func post(
        _ path: String,
        body: String,
        contentType: String? = "application/x-www-form-urlencoded",
        authorization: String? = nil,
        certificate: String? = nil,
        verify: String = "SUCCESS"
    ) throws -> HTTPResponse {
        var headers: [String: String] = [:]
        if let contentType { headers["content-type"] = contentType }
        if let authorization { headers["authorization"] = authorization }
        let parameter = try certificate.map {
            try ClientCertificateParameter(certificate: TokenTestPKI.text("\($0).pem"), verify: verify)!
        }
        return responder.respond(
            to: HTTPRequest(
                method: "POST",
                path: path,
                headers: headers,
                body: Array(body.utf8),
                clientCertificate: parameter
            )
        )
    }

    func post(
        _ path: String,
        _ parameters: [(String, String)],
        basic: (String, String)? = nil,
        certificate: String? = nil
    ) throws -> HTTPResponse {
        try post(
            path,
            body: Self.form(parameters),
            authorization: basic.map { Self.basic($0.0, $0.1) },
            certificate: certificate
        )
    }

    func json(_ response: HTTPResponse) throws -> JSONValue { try JSONValue.parse(response.body) }

    func errorCode(_ response: HTTPResponse) throws -> String? { try json(response)["error"]?.stringValue }

    /// A token for `client` by client_secret_basic.
    func token(_ client: String = "basic-client", scope: String? = nil) throws -> String {
        var parameters = [("grant_type", "client_credentials")]
        if let scope { parameters.append(("scope", scope)) }
        let response = try post("/token", parameters, basic: (client, Self.secret))
        try #require(response.status == 200)
        return try #require(try json(response)["access_token"]?.stringValue)
    }

    func introspect(_ token: String, as client: String = "basic-client") throws -> JSONValue {
        // post-client is client_secret_post; every other one here is client_secret_basic.
        let response =
            client == "post-client"
            ? try post("/introspect", [("token", token), ("client_id", client), ("client_secret", Self.secret)])
            : try post("/introspect", [("token", token)], basic: (client, Self.secret))
        #expect(response.status == 200)
        #expect(response.header("Cache-Control") == "no-store")
        return try json(response)
    }

    func revoke(_ token: String, as client: String) throws -> HTTPResponse {
        try post("/revoke", [("token", token), ("token_type_hint", "access_token")], basic: (client, Self.secret))
    }

    // MARK: POST /token

    @Test func clientSecretBasicGetsABearerJWT() throws {
        let response = try post("/token", [("grant_type", "client_credentials")], basic: ("basic-client", Self.secret))
        #expect(response.status == 200)
        #expect(response.header("Content-Type") == "application/json")
        #expect(response.header("Cache-Control") == "no-store")
        #expect(response.header("Pragma") == "no-cache")
        let body = try #require(try json(response).objectValue)
        #expect(Set(body.map(\.name)) == ["access_token", "token_type", "expires_in", "scope"])
        #expect(body["token_type"]?.stringValue == "Bearer")
        #expect(body["expires_in"]?.intValue == 300)
        #expect(body["scope"]?.stringValue == "accounts payments")

        // The token verifies with the published JWKS.
        let jwks = try JWKSet.parse(responder.respond(to: HTTPRequest(method: "GET", path: "/jwks")).body)
        let token = try #require(body["access_token"]?.stringValue)
        let jws = try UnverifiedJWS(compact: token)
        #expect(jws.header.type == "at+jwt")
        let claims = try jws.verify(using: jwks, allowedAlgorithms: [.es256]).claims()
        #expect(claims.issuer == "https://as.bank.example")
        #expect(claims.subject == "basic-client")
        #expect(claims.audience == ["https://as.bank.example"])
        #expect(claims["client_id"]?.stringValue == "basic-client")
        #expect(claims["cnf"] == nil)
    }

    @Test func clientSecretPostGetsTheScopeItAskedFor() throws {
        let response = try post(
            "/token",
            [
                ("grant_type", "client_credentials"), ("client_id", "post-client"), ("client_secret", Self.secret),
                ("scope", "payments"),
            ]
        )
        #expect(response.status == 200)
        #expect(try json(response)["scope"]?.stringValue == "payments")
    }

    @Test func basicCredentialsAreFormDecoded() throws {
        let id = "tpp client:1/é"
        let secret = "s+cr%t:with spaces&more"
        try addSecretClient(id, .clientSecretBasic, secret: secret)
        let response = try post("/token", [("grant_type", "client_credentials")], basic: (id, secret))
        #expect(response.status == 200)
        // The raw, unencoded pair splits at the id's own colon and fails.
        let raw = "Basic " + Data("\(id):\(secret)".utf8).base64EncodedString()
        let refused = try post("/token", body: "grant_type=client_credentials", authorization: raw)
        #expect(refused.status == 401)
    }

    @Test(arguments: [nil, "application/json", "text/plain", "multipart/form-data; boundary=x"] as [String?])
    func aBodyThatIsNotAFormIsInvalidRequest(contentType: String?) throws {
        let response = try post(
            "/token",
            body: "grant_type=client_credentials",
            contentType: contentType,
            authorization: Self.basic("basic-client", Self.secret)
        )
        #expect(response.status == 400)
        #expect(try errorCode(response) == "invalid_request")
    }

    @Test func aFormContentTypeWithACharsetIsAccepted() throws {
        let response = try post(
            "/token",
            body: "grant_type=client_credentials",
            contentType: "Application/X-WWW-Form-Urlencoded; charset=UTF-8",
            authorization: Self.basic("basic-client", Self.secret)
        )
        #expect(response.status == 200)
    }

    @Test(arguments: [
        "grant_type=client_credentials&grant_type=client_credentials",
        "grant_type=client_credentials&scope=accounts&scope=payments",
        "grant_type=client_credentials&grant%5Ftype=client_credentials",
        "grant_type=client_credentials&client_id=basic-client&client_id=basic-client",
    ])
    func aRepeatedParameterIsInvalidRequest(body: String) throws {
        let response = try post("/token", body: body, authorization: Self.basic("basic-client", Self.secret))
        #expect(response.status == 400)
        #expect(try errorCode(response) == "invalid_request")
    }

    @Test(arguments: ["", "scope=accounts", "grant_type=", "grant_type=client_credentials&%zz=1", "grant_type=%C3%28"])
    func aMissingOrMalformedParameterIsInvalidRequest(body: String) throws {
        let response = try post("/token", body: body, authorization: Self.basic("basic-client", Self.secret))
        #expect(response.status == 400)
        #expect(try errorCode(response) == "invalid_request")
    }

    @Test func tooManyParametersIsInvalidRequest() throws {
        let body = "grant_type=client_credentials" + (1...64).map { "&p\($0)=x" }.joined()
        let response = try post("/token", body: body, authorization: Self.basic("basic-client", Self.secret))
        #expect(response.status == 400)
        #expect(try errorCode(response) == "invalid_request")
    }

    @Test(arguments: [
        "password", "authorization_code", "refresh_token", "urn:ietf:params:oauth:grant-type:jwt-bearer",
        "Client_Credentials",
    ])
    func anotherGrantIsUnsupportedGrantType(grant: String) throws {
        let response = try post("/token", [("grant_type", grant)], basic: ("basic-client", Self.secret))
        #expect(response.status == 400)
        #expect(try errorCode(response) == "unsupported_grant_type")
    }

    @Test func aClientNotRegisteredForTheGrantIsUnauthorizedClient() throws {
        let response = try post("/token", [("grant_type", "client_credentials")], basic: ("code-client", Self.secret))
        #expect(response.status == 400)
        #expect(try errorCode(response) == "unauthorized_client")
    }

    @Test func aScopeOutsideTheClientsIsInvalidScope() throws {
        let response = try post(
            "/token",
            [("grant_type", "client_credentials"), ("scope", "accounts admin")],
            basic: ("basic-client", Self.secret)
        )
        #expect(response.status == 400)
        #expect(try errorCode(response) == "invalid_scope")
    }

    @Test func wrongSecretOverBasicIs401WithABasicChallenge() throws {
        let response = try post("/token", [("grant_type", "client_credentials")], basic: ("basic-client", "wrong"))
        #expect(response.status == 401)
        #expect(try errorCode(response) == "invalid_client")
        #expect(response.header("WWW-Authenticate")?.hasPrefix("Basic") == true)
        #expect(response.header("Cache-Control") == "no-store")
    }

    @Test func wrongSecretInTheFormIs401WithoutAChallenge() throws {
        let response = try post(
            "/token",
            [("grant_type", "client_credentials"), ("client_id", "post-client"), ("client_secret", "wrong")]
        )
        #expect(response.status == 401)
        #expect(try errorCode(response) == "invalid_client")
        #expect(response.header("WWW-Authenticate") == nil)
    }

    @Test(arguments: [
        "Basic !!!not-base64!!!",
        "Basic " + Data("no-colon-here".utf8).base64EncodedString(),
        "Basic " + Data("basic-client:%zz".utf8).base64EncodedString(),
        "Basic " + Data(":secret".utf8).base64EncodedString(),
        "Basic " + Data("basic-client:".utf8).base64EncodedString(),
        "Basic " + Data([0x62, 0x3A, 0xFF, 0xFE]).base64EncodedString(),
        "Basic",
        "Bearer some-token",
    ])
    func aBadAuthorizationHeaderIsInvalidClientWithABasicChallenge(authorization: String) throws {
        let response = try post("/token", body: "grant_type=client_credentials", authorization: authorization)
        #expect(response.status == 401)
        #expect(try errorCode(response) == "invalid_client")
        #expect(response.header("WWW-Authenticate")?.hasPrefix("Basic") == true)
    }

    @Test func basicPlusAClientAssertionIsInvalidRequest() throws {
        let response = try post(
            "/token",
            [
                ("grant_type", "client_credentials"),
                ("client_assertion_type", ClientAuthenticator.jwtBearerAssertionType), ("client_assertion", "a.b.c"),
            ],
            basic: ("basic-client", Self.secret)
        )
        #expect(response.status == 400)
        #expect(try errorCode(response) == "invalid_request")
    }

    @Test func privateKeyJWTThroughTheRouter() throws {
        let key = try PrivateKey.generate(.ec(.p256))
        let signer = try JWSSigner(key: key, algorithm: .es256, keyID: "k1")
        try addClient(
            "jwt-client",
            [
                "token_endpoint_auth_method": "private_key_jwt",
                "jwks": .object(["keys": .array([.object(signer.publicJWK.jsonObject)])]),
            ]
        )
        let now = Int64(clock.now.timeIntervalSince1970)
        func assertion(aud: String, jti: String) throws -> String {
            try signer.sign(
                claims: JWTClaims(
                    issuer: "jwt-client",
                    subject: "jwt-client",
                    audience: [aud],
                    expiresAt: now + 60,
                    jwtID: jti
                )
            )
        }
        func request(_ assertion: String) throws -> HTTPResponse {
            try post(
                "/token",
                [
                    ("grant_type", "client_credentials"),
                    ("client_assertion_type", ClientAuthenticator.jwtBearerAssertionType),
                    ("client_assertion", assertion),
                ]
            )
        }
        let first = try assertion(aud: "https://as.bank.example/token", jti: "1")
        #expect(try request(first).status == 200)
        let replay = try request(first)
        #expect(replay.status == 401)
        #expect(try errorCode(replay) == "invalid_client")
        #expect(replay.header("WWW-Authenticate") == nil)
        // The introspection endpoint's URL is an accepted audience too; another host's is not.
        #expect(try request(assertion(aud: "https://as.bank.example/introspect", jti: "2")).status == 200)
        #expect(try request(assertion(aud: "https://mtls.as.bank.example/token", jti: "3")).status == 401)
    }

    @Test func tlsClientAuthGetsATokenBoundToItsCertificate() throws {
        let response = try post(
            "/token",
            [("grant_type", "client_credentials"), ("client_id", "tls-client")],
            certificate: "leaf-client"
        )
        #expect(response.status == 200)
        let token = try #require(try json(response)["access_token"]?.stringValue)
        let claims = try UnverifiedJWS(compact: token).unverifiedClaims()
        let x5t = try #require(claims["cnf"]?["x5t#S256"]?.stringValue)
        let expected = try TokenTestPKI.text("leaf-client.sha256.hex").trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(try Base64URL.decode(x5t).map { String(format: "%02x", $0) }.joined() == expected)
        // Introspection reports the binding.
        let answer = try post(
            "/introspect",
            [("token", token), ("client_id", "tls-client")],
            certificate: "leaf-client"
        )
        #expect(try json(answer)["active"] == .bool(true))
        #expect(try json(answer)["cnf"]?["x5t#S256"]?.stringValue == x5t)
    }

    @Test(arguments: [("untrusted-leaf", "SUCCESS"), ("leaf-client", "NONE"), ("self-signed-leaf", "GENEROUS")])
    func tlsClientAuthWithoutTheRightCertificateIsInvalidClient(certificate: String, verify: String) throws {
        let response = try post(
            "/token",
            body: "grant_type=client_credentials&client_id=tls-client",
            certificate: certificate,
            verify: verify
        )
        #expect(response.status == 401)
        #expect(try errorCode(response) == "invalid_client")
        let none = try post("/token", body: "grant_type=client_credentials&client_id=tls-client")
        #expect(none.status == 401)
    }

    @Test func aBoundClientWithoutACertificateIsInvalidRequest() throws {
        let response = try post("/token", [("grant_type", "client_credentials")], basic: ("bound-client", Self.secret))
        #expect(response.status == 400)
        #expect(try errorCode(response) == "invalid_request")
        // With a certificate (any: self-signed, FAILED verdict from optional_no_ca) it is bound.
        let bound = try post(
            "/token",
            body: "grant_type=client_credentials",
            authorization: Self.basic("bound-client", Self.secret),
            certificate: "self-signed-leaf",
            verify: "FAILED:self signed certificate"
        )
        #expect(bound.status == 200)
        let token = try #require(try json(bound)["access_token"]?.stringValue)
        #expect(try UnverifiedJWS(compact: token).unverifiedClaims()["cnf"] != nil)
    }

    @Test func tokenEndpointAnswersOnlyPOST() throws {
        let response = responder.respond(to: HTTPRequest(method: "GET", path: "/token"))
        #expect(response.status == 405)
        #expect(response.header("Allow") == "POST")
    }

    @Test func withoutAnActiveSigningKeyTheTokenEndpointIs503() throws {
        let bare = TestServices()
        try bare.clients.insert(try #require(try services.clients.client(id: "basic-client")))
        let responder = application.makeResponder(services: bare, logger: Logger(label: "test"))
        let response = responder.respond(
            to: HTTPRequest(
                method: "POST",
                path: "/token",
                headers: [
                    "content-type": "application/x-www-form-urlencoded",
                    "authorization": Self.basic("basic-client", Self.secret),
                ],
                body: Array("grant_type=client_credentials".utf8)
            )
        )
        #expect(response.status == 503)
        #expect(try errorCode(response) == "temporarily_unavailable")
    }

    // MARK: POST /introspect

    @Test func ownActiveTokenIntrospects() throws {
        let token = try token(scope: "accounts")
        let answer = try introspect(token)
        #expect(answer["active"] == .bool(true))
        #expect(answer["client_id"]?.stringValue == "basic-client")
        #expect(answer["scope"]?.stringValue == "accounts")
        #expect(answer["token_type"]?.stringValue == "Bearer")
        #expect(answer["iss"]?.stringValue == "https://as.bank.example")
        #expect(answer["sub"]?.stringValue == "basic-client")
        for name in ["exp", "iat", "aud", "jti"] { #expect(answer[name] != nil, "\(name)") }
        #expect(answer["cnf"] == nil)
    }

    @Test func expiredTokenIsInactive() throws {
        let token = try token()
        clock.advance(by: 299)
        #expect(try introspect(token)["active"] == .bool(true))
        clock.advance(by: 1)
        #expect(try introspect(token) == .object(["active": false]))
    }

    @Test func garbageIsInactive() throws {
        for garbage in ["garbage", "a.b.c", "eyJhbGciOiJub25lIn0.e30.", String(repeating: "x", count: 10_000)] {
            #expect(try introspect(garbage) == .object(["active": false]))
        }
    }

    @Test func anotherClientsTokenIsInactiveExceptForAResourceServer() throws {
        let token = try token()
        #expect(try introspect(token, as: "post-client") == .object(["active": false]))
        let answer = try introspect(token, as: "rs-client")
        #expect(answer["active"] == .bool(true))
        #expect(answer["client_id"]?.stringValue == "basic-client")
    }

    @Test func aDeletedClientsTokenIsInactive() throws {
        let token = try token()
        #expect(try introspect(token, as: "rs-client")["active"] == .bool(true))
        #expect(try services.clients.delete(id: "basic-client"))
        #expect(try introspect(token, as: "rs-client") == .object(["active": false]))
        // And the deleted client itself can no longer authenticate.
        let response = try post("/introspect", [("token", token)], basic: ("basic-client", Self.secret))
        #expect(response.status == 401)
    }

    @Test func aDeletedClientsTokenStaysInactiveWhenItsIDIsReused() throws {
        let old = try token()
        #expect(try services.clients.delete(id: "basic-client"))
        clock.advance(by: 1)
        try addSecretClient("basic-client", .clientSecretBasic)
        let new = try token()
        #expect(try introspect(new, as: "rs-client")["active"] == .bool(true))
        #expect(try introspect(old, as: "rs-client") == .object(["active": false]))
        #expect(try introspect(old) == .object(["active": false]))
        // The new client's own token, issued in the second it was created, is its own.
        #expect(try introspect(new)["active"] == .bool(true))
    }

    @Test func introspectionNeedsClientAuthenticationAndAToken() throws {
        let token = try token()
        let anonymous = try post("/introspect", body: "token=" + token)
        #expect(anonymous.status == 401)
        #expect(try errorCode(anonymous) == "invalid_client")
        let wrong = try post("/introspect", [("token", token)], basic: ("rs-client", "wrong"))
        #expect(wrong.status == 401)
        #expect(wrong.header("WWW-Authenticate")?.hasPrefix("Basic") == true)
        let missing = try post(
            "/introspect",
            [("token_type_hint", "access_token")],
            basic: ("basic-client", Self.secret)
        )
        #expect(missing.status == 400)
        #expect(try errorCode(missing) == "invalid_request")
    }

    // MARK: POST /revoke

    @Test func revokingOwnTokenMakesItInactive() throws {
        let token = try token()
        let response = try revoke(token, as: "basic-client")
        #expect(response.status == 200)
        #expect(try json(response) == .object([:]))
        #expect(try introspect(token) == .object(["active": false]))
        #expect(try introspect(token, as: "rs-client") == .object(["active": false]))
        // Revoking again is harmless.
        #expect(try revoke(token, as: "basic-client").status == 200)
        // Other tokens of the same client stay active.
        #expect(try introspect(self.token())["active"] == .bool(true))
    }

    @Test func revocationByAnotherClientHasNoEffect() throws {
        let token = try token()
        for other in ["post-client", "rs-client"] {
            let response: HTTPResponse
            if other == "post-client" {
                response = try post(
                    "/revoke",
                    [("token", token), ("client_id", "post-client"), ("client_secret", Self.secret)]
                )
            } else {
                response = try revoke(token, as: other)
            }
            #expect(response.status == 200)
        }
        #expect(services.revoked.count == 0)
        #expect(try introspect(token)["active"] == .bool(true))
    }

    @Test(arguments: ["unknown", "a.b.c", ""])
    func revokingAnUnknownTokenIs200(token: String) throws {
        let response = try post(
            "/revoke",
            body: "token=" + token,
            authorization: Self.basic("basic-client", Self.secret)
        )
        if token.isEmpty {
            #expect(response.status == 400)
            #expect(try errorCode(response) == "invalid_request")
        } else {
            #expect(response.status == 200)
        }
    }

    @Test func revocationNeedsClientAuthentication() throws {
        let token = try token()
        let response = try post("/revoke", body: "token=" + token)
        #expect(response.status == 401)
        #expect(try errorCode(response) == "invalid_client")
        #expect(try introspect(token)["active"] == .bool(true))
    }

    // MARK: metadata

    @Test func metadataListsTheTokenEndpoints() throws {
        let document = try json(
            responder.respond(to: HTTPRequest(method: "GET", path: "/.well-known/oauth-authorization-server"))
        )
        #expect(document["token_endpoint"]?.stringValue == "https://as.bank.example/token")
        #expect(document["introspection_endpoint"]?.stringValue == "https://as.bank.example/introspect")
        #expect(document["revocation_endpoint"]?.stringValue == "https://as.bank.example/revoke")
        #expect(document["grant_types_supported"] == JSONValue(["client_credentials"]))
        #expect(
            Set(document["token_endpoint_auth_methods_supported"]?.stringArrayValue ?? [])
                == Set(ClientAuthenticationMethod.allCases.map(\.rawValue))
        )
        #expect(document["token_endpoint_auth_signing_alg_values_supported"] == JSONValue(["PS256", "ES256"]))
        #expect(document["scopes_supported"] == JSONValue(["accounts", "payments"]))
        #expect(document["tls_client_certificate_bound_access_tokens"] == .bool(true))
        #expect(document["mtls_endpoint_aliases"] == nil)
    }

    @Test func metadataListsTheMTLSAliasesWhenConfigured() throws {
        let application = try Self.application(alias: true, clock: clock)
        let responder = application.makeResponder(services: services, logger: Logger(label: "test"))
        let document = try json(
            responder.respond(to: HTTPRequest(method: "GET", path: "/.well-known/openid-configuration"))
        )
        let aliases = try #require(document["mtls_endpoint_aliases"]?.objectValue)
        #expect(aliases["token_endpoint"]?.stringValue == "https://mtls.as.bank.example/token")
        #expect(aliases["introspection_endpoint"]?.stringValue == "https://mtls.as.bank.example/introspect")
        #expect(aliases["revocation_endpoint"]?.stringValue == "https://mtls.as.bank.example/revoke")
        #expect(aliases["registration_endpoint"]?.stringValue == "https://mtls.as.bank.example/register")
        #expect(document["token_endpoint"]?.stringValue == "https://as.bank.example/token")
        // An assertion addressed to the alias token endpoint is accepted there.
        #expect(
            application.clientAuthenticationPolicy.assertionAudiences.contains("https://mtls.as.bank.example/token")
        )
    }
}
