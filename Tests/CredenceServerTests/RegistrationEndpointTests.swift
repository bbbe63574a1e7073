import CredenceCore
import CredenceJOSE
import CredenceJSON
import CredenceServer
import CredenceTesting
import Foundation
import Logging
import OpenSSLCrypto
import Testing

/// A trust registry double: statements by their text, as the real verifier would return them.
struct StatementVerifierDouble: SoftwareStatementVerifying {
    let statements: [String: VerifiedSoftwareStatement]
    /// Statements refused with the error the real registry gives (its description names the rule).
    var refusals: [String: OAuthError] = [:]

    func verify(_ statement: String, now: Date) throws -> VerifiedSoftwareStatement {
        if let refusal = refusals[statement] { throw refusal }
        guard let verified = statements[statement] else {
            throw OAuthError.invalidSoftwareStatement("the software statement does not verify")
        }
        return verified
    }
}

/// A signed-request verifier double: requests by their text.
struct SignedRequestVerifierDouble: SignedRegistrationRequestVerifying {
    let requests: [String: VerifiedRegistrationRequest]
    /// Requests whose statement verifies and which are then refused (their own signature, say).
    var lateRefusals: [String: (statement: VerifiedSoftwareStatement, error: OAuthError)] = [:]

    func verify(
        _ request: String,
        now: Date,
        statementVerified: (VerifiedSoftwareStatement) -> Void
    ) throws -> VerifiedRegistrationRequest {
        if let late = lateRefusals[request] {
            statementVerified(late.statement)
            throw late.error
        }
        let verified = try verify(request, now: now)
        statementVerified(verified.statement)
        return verified
    }

    func verify(_ request: String, now: Date) throws -> VerifiedRegistrationRequest {
        if let late = lateRefusals[request] { throw late.error }
        guard let verified = requests[request] else {
            throw OAuthError.invalidClientMetadata("the registration request does not verify")
        }
        return verified
    }
}

/// Statements and requests for the doubles.
enum RegistrationFixtures {
    static let directory = "https://directory.example"
    /// `leaf-client.pem`'s CN, used as the software id so the certificate binding can match.
    static let softwareID = "0015800001HQQrZAAX"
    static let now = Date(timeIntervalSince1970: 1_767_225_600)
    /// The directory's transport CAs: `mtls.trusted_ca_file`'s bundle, which issues `leaf-client.pem`.
    static let transportCAs = try! CertificateTrustStore(contentsOfFile: TokenTestPKI.trustedCAFile)
    /// Another directory's transport CA (`Tests/CredenceCoreTests/Fixtures/directory`), which
    /// issues `tpp-transport.pem` and not `leaf-client.pem`.
    static let otherDirectoryFixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../CredenceCoreTests/Fixtures/directory").standardized.path
    static let otherTransportCAs = try! CertificateTrustStore(
        contentsOfFile: otherDirectoryFixtures + "/directory-ca.pem"
    )

    static let issuerPolicy: RegistrationPolicy = {
        var policy = RegistrationPolicy.default
        policy.scopesByRole = ["AISP": ["accounts"], "PISP": ["payments"]]
        policy.allowedGrantTypes = ["client_credentials"]
        return policy
    }()

    static func statement(
        _ text: String = "ssa-1",
        softwareID: String = softwareID,
        jti: String? = "ssa-jti-1",
        roles: [String] = ["AISP"],
        policy: RegistrationPolicy = issuerPolicy,
        issuer: String = directory,
        transport: CertificateTrustStore? = transportCAs,
        extra: JSONObject = [:]
    ) -> VerifiedSoftwareStatement {
        var claims: JSONObject = [
            "iss": .string(issuer),
            "software_id": .string(softwareID),
            "org_id": "org-42",
            "org_name": "TPP Ltd",
            "software_client_name": "TPP App",
            "software_redirect_uris": ["https://tpp.example/cb", "https://tpp.example/cb2"],
            "software_roles": JSONValue(roles),
            "iat": JSONValue(Int64(now.timeIntervalSince1970) - 60),
            "exp": JSONValue(Int64(now.timeIntervalSince1970) + 3600),
        ]
        if let jti { claims["jti"] = .string(jti) }
        for (name, value) in extra { claims[name] = value }
        return VerifiedSoftwareStatement(
            statement: text,
            issuer: issuer,
            claims: claims,
            softwareID: softwareID,
            organizationID: "org-42",
            jti: jti,
            expiresAt: now + 3600,
            policy: policy,
            transportCertificateAuthorities: transport
        )
    }
}

/// `POST /register` and `/register/{client_id}` through the router, with in-memory stores and
/// doubles of the trust registry.
@Suite struct RegistrationEndpointTests {
    let clock = FixedClock()
    let services = TestServices()
    let application: CredenceApplication
    let responder: CredenceResponder

    init(
        statements: [VerifiedSoftwareStatement] = [
            RegistrationFixtures.statement(),
            RegistrationFixtures.statement("ssa-2", jti: "ssa-jti-2"),
            RegistrationFixtures.statement("ssa-3", jti: "ssa-jti-5"),
            RegistrationFixtures.statement("ssa-other", softwareID: "other-software", jti: "ssa-jti-3"),
            RegistrationFixtures.statement("ssa-pisp", softwareID: "pisp-software", jti: "ssa-jti-4", roles: ["PISP"]),
        ],
        requests: [VerifiedRegistrationRequest] = [],
        lateRequestRefusals: [String: (statement: VerifiedSoftwareStatement, error: OAuthError)] = [:],
        refusals: [String: OAuthError] = [:],
        softwareStatements: (any SoftwareStatementVerifying)? = nil,
        withVerifiers: Bool = true,
        defaultPolicy: RegistrationPolicy = .default,
        issuerPolicy: RegistrationPolicy = RegistrationFixtures.issuerPolicy
    ) throws {
        let configuration = try CredenceConfiguration.parse(
            yaml: TokenEndpointTests.configurationText(),
            environment: [:],
            readFile: { path in
                path == "/kek"
                    ? TokenEndpointTests.kek : FileManager.default.contents(atPath: path).map { [UInt8]($0) }
            }
        )
        var requestMap: [String: VerifiedRegistrationRequest] = [:]
        for (index, request) in requests.enumerated() { requestMap["signed-\(index + 1)"] = request }
        application = try CredenceApplication(
            configuration: configuration,
            clock: clock,
            softwareStatements: softwareStatements
                ?? (withVerifiers
                    ? StatementVerifierDouble(
                        statements: Dictionary(uniqueKeysWithValues: statements.map { ($0.statement, $0) }),
                        refusals: refusals
                    )
                    : nil),
            signedRegistrationRequests: withVerifiers
                ? SignedRequestVerifierDouble(requests: requestMap, lateRefusals: lateRequestRefusals) : nil,
            registrationPolicy: defaultPolicy,
            registrationPolicyForIssuer: { issuer in issuer == RegistrationFixtures.directory ? issuerPolicy : nil }
        )
        responder = application.makeResponder(services: services, logger: Logger(label: "test"))
        _ = try SigningKeyManager(
            store: services.store,
            encryptionKey: KeyEncryptionKey(bytes: TokenEndpointTests.kek),
            retiredKeyPublication: 360
        ).generate(algorithm: .es256, now: clock.now)
        try services.clients.insert(
            Client(
                clientID: "registrar",
                metadata: try ClientMetadata(json: [
                    "token_endpoint_auth_method": "client_secret_basic",
                    "scope": "DynamicClientRegistration accounts",
                ]),
                secretHash: application.clientSecrets.hash(TokenEndpointTests.secret),
                createdAt: clock.now
            )
        )
        try services.clients.insert(
            Client(
                clientID: "rs-client",
                metadata: try ClientMetadata(json: ["token_endpoint_auth_method": "client_secret_basic"]),
                secretHash: application.clientSecrets.hash(TokenEndpointTests.secret),
                createdAt: clock.now
            )
        )
    }

    // MARK: helpers

    func send(
        _ method: String,
        _ path: String,
        body: String? = nil,
        contentType: String? = "application/json",
        bearer: String? = nil,
        certificate: String? = nil,
        basic: (String, String)? = nil
    ) throws -> HTTPResponse {
        var headers: [String: String] = [:]
        if body != nil, let contentType { headers["content-type"] = contentType }
        if let bearer { headers["authorization"] = "Bearer " + bearer }
        if let basic { headers["authorization"] = TokenEndpointTests.basic(basic.0, basic.1) }
        // A bare name is a fixture of TokenTestPKI; a path is read as it is.
        let parameter = try certificate.map {
            try ClientCertificateParameter(
                certificate: $0.hasPrefix("/")
                    ? String(contentsOfFile: $0, encoding: .utf8) : TokenTestPKI.text("\($0).pem"),
                verify: "SUCCESS"
            )!
        }
        return responder.respond(
            to: HTTPRequest(
                method: method,
                path: path,
                headers: headers,
                body: Array((body ?? "").utf8),
                clientCertificate: parameter
            )
        )
    }

    func json(_ response: HTTPResponse) throws -> JSONObject { try JSONObject.parse(response.body) }

    func errorCode(_ response: HTTPResponse) throws -> String? { try json(response)["error"]?.stringValue }

    /// A token for `client` (client_secret_basic) with `scope`.
    func token(_ client: String = "registrar", scope: String = "DynamicClientRegistration") throws -> String {
        let response = try send(
            "POST",
            "/token",
            body: "grant_type=client_credentials&scope=" + scope,
            contentType: "application/x-www-form-urlencoded",
            basic: (client, TokenEndpointTests.secret)
        )
        try #require(response.status == 200, "\(String(decoding: response.body, as: UTF8.self))")
        return try #require(try json(response)["access_token"]?.stringValue)
    }

    func register(_ metadata: JSONObject, bearer: String?? = .none, certificate: String? = nil) throws -> HTTPResponse {
        let token: String? =
            switch bearer {
            case .none: try token()
            case .some(let value): value
            }
        return try send(
            "POST",
            "/register",
            body: JSONValue.object(metadata).serializedString(),
            bearer: token,
            certificate: certificate
        )
    }

    /// Registers and returns the 201 body.
    func registered(
        _ metadata: JSONObject = ["software_statement": "ssa-1"],
        certificate: String? = nil
    ) throws
        -> JSONObject
    {
        let response = try register(metadata, certificate: certificate)
        try #require(response.status == 201, "\(String(decoding: response.body, as: UTF8.self))")
        return try json(response)
    }

    // MARK: registration

    @Test func aStatementRegistrationAnswers201WithEveryRFC7591Member() throws {
        let response = try register(["software_statement": "ssa-1", "client_name": "ignored", "x_custom": ["kept"]])
        #expect(response.status == 201)
        #expect(response.header("Cache-Control") == "no-store")
        let body = try json(response)
        let clientID = try #require(body["client_id"]?.stringValue)
        #expect(body["client_id_issued_at"]?.int64Value == Int64(clock.now.timeIntervalSince1970))
        #expect(body["client_secret"]?.stringValue?.utf8.count == 43)
        #expect(body["client_secret_expires_at"]?.intValue == 0)
        #expect(body["registration_access_token"]?.stringValue?.utf8.count == 43)
        #expect(body["registration_client_uri"]?.stringValue == "https://as.bank.example/register/\(clientID)")
        #expect(body["token_endpoint_auth_method"]?.stringValue == "client_secret_basic")
        #expect(body["grant_types"] == ["client_credentials"])
        // Statement claims win and are mapped and flattened; the statement is echoed.
        #expect(body["client_name"]?.stringValue == "TPP App")
        #expect(body["redirect_uris"] == ["https://tpp.example/cb", "https://tpp.example/cb2"])
        #expect(body["scope"]?.stringValue == "accounts")
        #expect(body["software_id"]?.stringValue == RegistrationFixtures.softwareID)
        #expect(body["org_id"]?.stringValue == "org-42")
        #expect(body["software_roles"] == ["AISP"])
        #expect(body["software_statement"]?.stringValue == "ssa-1")
        #expect(body["iss"] == nil && body["jti"] == nil)
        // Unknown metadata is kept and echoed.
        #expect(body["x_custom"] == ["kept"])

        // The client can use its secret at once, for the scope its role allows.
        let secret = try #require(body["client_secret"]?.stringValue)
        let tokenResponse = try send(
            "POST",
            "/token",
            body: "grant_type=client_credentials",
            contentType: "application/x-www-form-urlencoded",
            basic: (clientID, secret)
        )
        #expect(tokenResponse.status == 200)
        #expect(try json(tokenResponse)["scope"]?.stringValue == "accounts")

        // One audit row: who, what, no secret or token.
        let events = services.registrations.events
        #expect(events.map(\.type) == ["client.registered"])
        let details = events[0].details
        #expect(details["actor_client_id"]?.stringValue == "registrar")
        #expect(details["software_id"]?.stringValue == RegistrationFixtures.softwareID)
        #expect(details["statement_jti"]?.stringValue == "ssa-jti-1")
        #expect(details["statement_issuer"]?.stringValue == RegistrationFixtures.directory)
        let text = JSONValue.object(details).serializedString()
        #expect(!text.contains(secret))
        #expect(!text.contains(try #require(body["registration_access_token"]?.stringValue)))
        // Stored hashed, never in the clear.
        let stored = try #require(try services.clients.client(id: clientID))
        #expect(stored.secretHash != secret && stored.secretHash?.hasPrefix("hmac-sha256:") == true)
        #expect(stored.registrationAccessTokenHash?.hasPrefix("hmac-sha256:") == true)
    }

    @Test func theMetadataDocumentNamesTheRegistrationEndpoint() throws {
        let response = try send("GET", "/.well-known/openid-configuration")
        #expect(try json(response)["registration_endpoint"]?.stringValue == "https://as.bank.example/register")
    }

    @Test func withoutAnInitialAccessTokenItIs401WithABareChallenge() throws {
        let response = try register(["software_statement": "ssa-1"], bearer: .some(nil))
        #expect(response.status == 401)
        #expect(try errorCode(response) == "invalid_token")
        #expect(response.header("WWW-Authenticate") == "Bearer realm=\"credence\"")
        #expect(services.registrations.events.last?.details["rule"]?.stringValue == "initial_access_token")
        #expect(try services.clients.allClients().count == 2)
    }

    @Test func aBadInitialAccessTokenIs401InvalidToken() throws {
        // Garbage, a token without the registration scope, a revoked one.
        let withoutScope = try token(scope: "accounts")
        let revoked = try token()
        let revoke = try send(
            "POST",
            "/revoke",
            body: "token=" + revoked,
            contentType: "application/x-www-form-urlencoded",
            basic: ("registrar", TokenEndpointTests.secret)
        )
        #expect(revoke.status == 200)
        for bearer in ["not-a-token", withoutScope, revoked, ""] {
            let response = try register(["software_statement": "ssa-1"], bearer: .some(bearer))
            #expect(response.status == 401)
            #expect(try errorCode(response) == "invalid_token")
            #expect(response.header("WWW-Authenticate") == "Bearer realm=\"credence\", error=\"invalid_token\"")
        }
        // An expired one.
        let expiring = try token()
        clock.advance(by: 3600)
        let late = try register(["software_statement": "ssa-1"], bearer: .some(expiring))
        #expect(late.status == 401)
    }

    @Test func aPolicyWithoutInitialAccessTokenRegistersOnTheStatementAlone() throws {
        var policy = RegistrationFixtures.issuerPolicy
        policy.initialAccessToken = .none
        let tests = try RegistrationEndpointTests(issuerPolicy: policy)
        let statement = RegistrationFixtures.statement(policy: policy)
        let withPolicy = try RegistrationEndpointTests(statements: [statement])
        let response = try withPolicy.register(["software_statement": "ssa-1"], bearer: .some(nil))
        #expect(response.status == 201)
        _ = tests
    }

    @Test func withoutATrustRegistryEveryStatementIsUnapproved() throws {
        let tests = try RegistrationEndpointTests(withVerifiers: false)
        let plain = try tests.register(["software_statement": "ssa-1"])
        #expect(plain.status == 400)
        #expect(try errorCode(plain) == "unapproved_software_statement")
        let signed = try tests.send(
            "POST",
            "/register",
            body: "a.b.c",
            contentType: "application/jwt",
            bearer: try tests.token()
        )
        #expect(try errorCode(signed) == "unapproved_software_statement")
    }

    @Test func aStatementThatDoesNotVerifyIsInvalidSoftwareStatement() throws {
        let response = try register(["software_statement": "forged"])
        #expect(response.status == 400)
        #expect(try errorCode(response) == "invalid_software_statement")
        #expect(try errorCode(register(["software_statement": 42])) == "invalid_software_statement")
    }

    @Test func withoutAStatementTheDefaultPolicyRefuses() throws {
        let response = try register(["token_endpoint_auth_method": "client_secret_basic"])
        #expect(response.status == 400)
        #expect(try errorCode(response) == "invalid_software_statement")
    }

    @Test func aPolicyAllowingNoStatementRegistersPlainMetadata() throws {
        var policy = RegistrationPolicy.default
        policy.allowWithoutStatement = true
        policy.defaultScopes = ["accounts"]
        let tests = try RegistrationEndpointTests(defaultPolicy: policy)
        let response = try tests.register(["token_endpoint_auth_method": "client_secret_post", "scope": "accounts"])
        #expect(response.status == 201)
        #expect(try tests.json(response)["scope"]?.stringValue == "accounts")
        #expect(try tests.errorCode(tests.register(["scope": "payments"])) == "invalid_client_metadata")
    }

    @Test(arguments: [nil, "text/plain", "application/x-www-form-urlencoded"] as [String?])
    func aBodyOfAnotherTypeIsInvalidRequest(contentType: String?) throws {
        let response = try send("POST", "/register", body: "{}", contentType: contentType, bearer: try token())
        #expect(response.status == 400)
        #expect(try errorCode(response) == "invalid_request")
    }

    @Test func malformedJSONIsInvalidRequest() throws {
        for body in ["{", "[]", #"{"a":1,"a":2}"#, String(repeating: "[", count: 40)] {
            let response = try send("POST", "/register", body: body, bearer: try token())
            #expect(response.status == 400)
            #expect(try errorCode(response) == "invalid_request")
        }
    }

    /// A signed request refused after its statement verified (its own signature, its key
    /// endpoint) is audited with the statement's software, organisation, jti and issuer.
    @Test func aLateSignedRequestRefusalIsAuditedWithItsStatement() throws {
        let statement = RegistrationFixtures.statement("ssa-late", softwareID: "late-software", jti: "late-jti")
        let tests = try RegistrationEndpointTests(
            lateRequestRefusals: [
                "signed-late": (statement, .invalidClientMetadata("the signed request's signature does not verify"))
            ]
        )
        let response = try tests.send(
            "POST",
            "/register",
            body: "signed-late",
            contentType: "application/jwt",
            bearer: try tests.token()
        )
        #expect(response.status == 400)
        #expect(try errorCode(response) == "invalid_client_metadata")
        let event = try #require(tests.services.registrations.events.last)
        #expect(event.type == "registration.refused")
        #expect(event.details["software_id"]?.stringValue == "late-software")
        #expect(event.details["statement_jti"]?.stringValue == "late-jti")
        #expect(event.details["statement_issuer"]?.stringValue == RegistrationFixtures.directory)
        #expect(event.details["org_id"] == statement.organizationID.map { .string($0) })
    }

    @Test func signedRequestsAreAcceptedAsJWTAndAsJOSE() throws {
        let requests = (1...3).map { index in
            VerifiedRegistrationRequest(
                claims: [
                    "iss": .string("software-\(index)"), "aud": "https://as.bank.example",
                    "jti": .string("req-\(index)"),
                    "token_endpoint_auth_method": "private_key_jwt", "token_endpoint_auth_signing_alg": "PS256",
                    "jwks_uri": "https://keys.tpp.example/jwks", "software_statement": .string("ssa-s\(index)"),
                ],
                statement: RegistrationFixtures.statement(
                    "ssa-s\(index)",
                    softwareID: "software-\(index)",
                    jti: "s-jti-\(index)"
                ),
                jti: "req-\(index)",
                expiresAt: RegistrationFixtures.now + 300
            )
        }
        let tests = try RegistrationEndpointTests(requests: requests)
        for (index, type) in ["application/jwt", "application/jose; charset=utf-8"].enumerated() {
            let response = try tests.send(
                "POST",
                "/register",
                body: "signed-\(index + 1)\n",
                contentType: type,
                bearer: try tests.token()
            )
            #expect(response.status == 201, "\(String(decoding: response.body, as: UTF8.self))")
            let body = try tests.json(response)
            #expect(body["token_endpoint_auth_method"]?.stringValue == "private_key_jwt")
            #expect(body["client_secret"] == nil)
            #expect(body["software_statement"]?.stringValue == "ssa-s\(index + 1)")
            #expect(body["aud"] == nil && body["jti"] == nil)
        }
        // The same signed request again: its jti is recorded.
        let replay = try tests.send(
            "POST",
            "/register",
            body: "signed-1",
            contentType: "application/jwt",
            bearer: try tests.token()
        )
        #expect(replay.status == 400)
        #expect(
            try tests.errorCode(replay) == "invalid_software_statement"
                || tests.errorCode(replay) == "invalid_client_metadata"
        )
        // A request that does not verify.
        let forged = try tests.send(
            "POST",
            "/register",
            body: "x.y.z",
            contentType: "application/jwt",
            bearer: try tests.token()
        )
        #expect(try tests.errorCode(forged) == "invalid_client_metadata")
    }

    @Test func aSignedRequestReplayedWithAFreshStatementIsRefusedByItsJTI() throws {
        let request = { (statement: String, statementJTI: String) in
            VerifiedRegistrationRequest(
                claims: ["jti": "req-same", "software_statement": .string(statement)],
                statement: RegistrationFixtures.statement(
                    statement,
                    softwareID: "software-r",
                    jti: statementJTI,
                    policy: {
                        var p = RegistrationFixtures.issuerPolicy
                        p.uniqueness = .many
                        return p
                    }()
                ),
                jti: "req-same",
                expiresAt: RegistrationFixtures.now + 300
            )
        }
        let tests = try RegistrationEndpointTests(requests: [request("ssa-a", "a"), request("ssa-b", "b")])
        let first = try tests.send(
            "POST",
            "/register",
            body: "signed-1",
            contentType: "application/jwt",
            bearer: try tests.token()
        )
        #expect(first.status == 201)
        let second = try tests.send(
            "POST",
            "/register",
            body: "signed-2",
            contentType: "application/jwt",
            bearer: try tests.token()
        )
        #expect(second.status == 400)
        #expect(try tests.errorCode(second) == "invalid_client_metadata")
        #expect(tests.services.registrations.events.last?.details["rule"]?.stringValue == "request_jti")
    }

    @Test func aStatementIsUsedOnceWhileUnexpired() throws {
        var policy = RegistrationFixtures.issuerPolicy
        policy.uniqueness = .many
        let tests = try RegistrationEndpointTests(statements: [RegistrationFixtures.statement(policy: policy)])
        #expect(try tests.register(["software_statement": "ssa-1"]).status == 201)
        let again = try tests.register(["software_statement": "ssa-1"])
        #expect(again.status == 400)
        #expect(try tests.errorCode(again) == "invalid_software_statement")
    }

    @Test func oneClientPerSoftwareIDUntilItIsDeleted() throws {
        let first = try registered()
        // Another statement (another jti) of the same software.
        let second = try register(["software_statement": "ssa-2"])
        #expect(second.status == 400)
        #expect(try errorCode(second) == "unapproved_software_statement")
        #expect(services.registrations.events.last?.details["rule"]?.stringValue == "uniqueness")
        // Other software is not affected.
        #expect(try register(["software_statement": "ssa-other"]).status == 201)
        // After a deletion the software registers again.
        let clientID = try #require(first["client_id"]?.stringValue)
        let token = try #require(first["registration_access_token"]?.stringValue)
        #expect(try send("DELETE", "/register/\(clientID)", bearer: token).status == 204)
        #expect(try register(["software_statement": "ssa-2"]).status == 201)
    }

    @Test func whenTheLastStepFailsNothingIsWritten() throws {
        services.registrations.failAuditWrites = true
        let response = try register(["software_statement": "ssa-1"])
        #expect(response.status == 500)
        #expect(try services.clients.allClients().map(\.clientID).sorted() == ["registrar", "rs-client"])
        #expect(services.registrations.usedJTICount == 0)
        services.registrations.failAuditWrites = false
        #expect(try register(["software_statement": "ssa-1"]).status == 201)
    }

    @Test func theRedirectURIsOutsideTheStatementAreRefusedOrDroppedPerPolicy() throws {
        let refused = try register(["software_statement": "ssa-1", "redirect_uris": ["https://evil.example/cb"]])
        #expect(refused.status == 400)
        #expect(try errorCode(refused) == "invalid_redirect_uri")

        var policy = RegistrationFixtures.issuerPolicy
        policy.redirectURIMismatch = .replace
        let tests = try RegistrationEndpointTests(statements: [RegistrationFixtures.statement(policy: policy)])
        let body = try tests.registered([
            "software_statement": "ssa-1", "redirect_uris": ["https://tpp.example/cb", "https://evil.example/cb"],
        ])
        #expect(body["redirect_uris"] == ["https://tpp.example/cb"])
        #expect(body["metadata_adjustments"]?.arrayValue?.count == 1)
    }

    // MARK: certificate binding and DN forms

    static let bindingPolicy: RegistrationPolicy = {
        var policy = RegistrationFixtures.issuerPolicy
        policy.certificateSubjectBinding = ["CN": "{software_id}", "UID": "tpp-{org_number}"]
        return policy
    }()

    @Test func theCertificateMustCarryTheStatementsSoftwareID() throws {
        let bound = RegistrationFixtures.statement(policy: Self.bindingPolicy, extra: ["org_number": "42"])
        let wrong = RegistrationFixtures.statement(
            "ssa-other",
            softwareID: "other-software",
            jti: "j-other",
            policy: Self.bindingPolicy,
            extra: ["org_number": "42"]
        )
        let tests = try RegistrationEndpointTests(statements: [bound, wrong])
        // No certificate, a certificate from an untrusted CA, another software's statement.
        #expect(try tests.errorCode(tests.register(["software_statement": "ssa-1"])) == "unapproved_software_statement")
        #expect(
            try tests.errorCode(tests.register(["software_statement": "ssa-1"], certificate: "untrusted-leaf"))
                == "unapproved_software_statement"
        )
        #expect(
            try tests.errorCode(tests.register(["software_statement": "ssa-other"], certificate: "leaf-client"))
                == "unapproved_software_statement"
        )
        let response = try tests.register(["software_statement": "ssa-1"], certificate: "leaf-client")
        #expect(response.status == 201)
        #expect(tests.services.registrations.events.last?.details["certificate_sha256"] != nil)
    }

    /// The binding is configuration, not code per country: a Brazil-shaped rule (UID and
    /// organizationIdentifier with a prefix) over `leaf-client.pem`'s subject
    /// (`UID=tpp-42`, `organizationIdentifier=PSDGB-OB-0015800001HQQrZAAX`).
    @Test func aBindingOverUIDAndAPrefixedOrganizationIdentifier() throws {
        var policy = RegistrationFixtures.issuerPolicy
        policy.certificateSubjectBinding = ["UID": "{software_id}", "organizationIdentifier": "PSDGB-OB-{org_id}"]
        let matching = RegistrationFixtures.statement(
            "br-1",
            softwareID: "tpp-42",
            jti: "br-1",
            policy: policy,
            extra: ["org_id": "0015800001HQQrZAAX"]
        )
        let otherOrganization = RegistrationFixtures.statement(
            "br-2",
            softwareID: "tpp-42",
            jti: "br-2",
            policy: policy,
            extra: ["org_id": "0015800001HQQrZAAY"]
        )
        let tests = try RegistrationEndpointTests(statements: [matching, otherOrganization])
        let refused = try tests.register(["software_statement": "br-2"], certificate: "leaf-client")
        #expect(try tests.errorCode(refused) == "unapproved_software_statement")
        #expect(tests.services.registrations.events.last?.details["rule"]?.stringValue == "certificate_binding")
        #expect(try tests.register(["software_statement": "br-1"], certificate: "leaf-client").status == 201)
    }

    /// Two trusted issuers, each with its own transport CA: a certificate must chain to the CA
    /// of the issuer whose statement it is bound to, not merely to `mtls.trusted_ca_file` or to
    /// another trusted issuer's CA.
    @Test func theCertificateMustChainToTheStatementIssuersOwnTransportCAs() throws {
        let otherDirectory = "https://other-directory.example"
        var binding = RegistrationFixtures.issuerPolicy
        binding.certificateSubjectBinding = ["CN": "{software_id}"]
        // leaf-client.pem: CN 0015800001HQQrZAAX, from mtls.trusted_ca_file's CA.
        // tpp-transport.pem: CN software-42, from the other directory's CA.
        let statements = [
            RegistrationFixtures.statement("a-leaf", jti: "a-1", policy: binding),
            RegistrationFixtures.statement("a-tpp", softwareID: "software-42", jti: "a-2", policy: binding),
            RegistrationFixtures.statement(
                "b-leaf",
                jti: "b-1",
                policy: binding,
                issuer: otherDirectory,
                transport: RegistrationFixtures.otherTransportCAs
            ),
            RegistrationFixtures.statement(
                "b-tpp",
                softwareID: "software-42",
                jti: "b-2",
                policy: binding,
                issuer: otherDirectory,
                transport: RegistrationFixtures.otherTransportCAs
            ),
            RegistrationFixtures.statement("no-transport", jti: "c-1", policy: binding, transport: nil),
        ]
        let tests = try RegistrationEndpointTests(statements: statements)
        let tpp = RegistrationFixtures.otherDirectoryFixtures + "/tpp-transport.pem"
        // The subject matches each time; only the issuing CA is wrong.
        for (statement, certificate) in [("b-leaf", "leaf-client"), ("a-tpp", tpp), ("no-transport", "leaf-client")] {
            let refused = try tests.register(["software_statement": .string(statement)], certificate: certificate)
            #expect(refused.status == 400, "\(statement)")
            #expect(try tests.errorCode(refused) == "unapproved_software_statement", "\(statement)")
            #expect(tests.services.registrations.events.last?.details["rule"]?.stringValue == "certificate_binding")
            #expect(tests.services.registrations.events.last?.type == "registration.refused")
        }
        #expect(!tests.services.registrations.events.contains { $0.type == "client.registered" })
        // Each issuer's own CA: accepted, also where mtls.trusted_ca_file does not know the CA.
        #expect(try tests.register(["software_statement": "a-leaf"], certificate: "leaf-client").status == 201)
        #expect(try tests.register(["software_statement": "b-tpp"], certificate: tpp).status == 201)
        #expect(tests.services.registrations.events.filter { $0.type == "client.registered" }.count == 2)
    }

    /// The audit trail records the trust rule that refused a statement (the registry's
    /// description names it), not only that the statement was refused.
    @Test func aTrustRegistryRefusalIsAuditedUnderTheRuleItNames() throws {
        let tests = try RegistrationEndpointTests(refusals: [
            "off-list": .unapprovedSoftwareStatement(
                "software_keys: the host of software_jwks_endpoint is not one this server fetches software keys from"
            ),
            "unnamed": .invalidSoftwareStatement("the software statement does not verify"),
        ])
        for (statement, code, rule) in [
            ("off-list", "unapproved_software_statement", "software_keys"),
            ("unnamed", "invalid_software_statement", "software_statement"),
        ] {
            let response = try tests.register(["software_statement": .string(statement)])
            #expect(try tests.errorCode(response) == code)
            #expect(tests.services.registrations.events.last?.details["rule"]?.stringValue == rule)
        }
    }

    static func leafSubject() throws -> String {
        try TokenTestPKI.text("leaf-client.subject-rfc2253.txt").trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// `leaf-client.pem`'s subject in encoding (X.500) order, comma-separated and slash form.
    static func reversedSubjects() throws -> (commas: String, slash: String) {
        let subject = try DistinguishedName(rfc4514: Self.leafSubject())
        let reversed = DistinguishedName(subject.relativeDistinguishedNames.reversed())
        let slash = subject.relativeDistinguishedNames.map { rdn in
            "/"
                + rdn.attributes.map { attribute -> String in
                    guard case .text(let text) = attribute.value else { return "" }
                    // The slash form escapes its own separators inside values.
                    let escaped = text.replacingOccurrences(of: "\\", with: "\\\\")
                        .replacingOccurrences(of: "/", with: "\\/").replacingOccurrences(of: "+", with: "\\+")
                    return (attribute.shortName ?? attribute.oid) + "=" + escaped
                }.joined(separator: "+")
        }.joined()
        return (reversed.rfc4514String, slash)
    }

    @Test func aReversedSubjectDNIsStoredInRFC4514OrderWhenItIsThePresentedCertificates() throws {
        let canonical = try Self.leafSubject()
        let forms = try Self.reversedSubjects()
        for (form, statement) in zip([forms.commas, forms.slash, canonical], ["ssa-1", "ssa-2", "ssa-3"]) {
            // A fresh statement each time: a statement's jti is used once while unexpired.
            let body = try registered(
                [
                    "software_statement": .string(statement), "token_endpoint_auth_method": "tls_client_auth",
                    "tls_client_auth_subject_dn": .string(form),
                ],
                certificate: "leaf-client"
            )
            let stored = try #require(body["tls_client_auth_subject_dn"]?.stringValue)
            #expect(try DistinguishedName(rfc4514: stored) == DistinguishedName(rfc4514: canonical))
            // The client authenticates with that certificate at once.
            let clientID = try #require(body["client_id"]?.stringValue)
            let response = try send(
                "POST",
                "/token",
                body: "grant_type=client_credentials&client_id=\(clientID)",
                contentType: "application/x-www-form-urlencoded",
                certificate: "leaf-client"
            )
            #expect(response.status == 200)
            let token = try #require(body["registration_access_token"]?.stringValue)
            #expect(try send("DELETE", "/register/\(clientID)", bearer: token).status == 204)
        }
        // The slash form without the certificate it names is refused.
        let refused = try register([
            "software_statement": "ssa-1", "token_endpoint_auth_method": "tls_client_auth",
            "tls_client_auth_subject_dn": .string(forms.slash),
        ])
        #expect(try errorCode(refused) == "invalid_client_metadata")
    }

    // MARK: management (RFC 7592, Open Banking UK)

    @Test func theRegistrationAccessTokenReadsTheRegistration() throws {
        let body = try registered()
        let clientID = try #require(body["client_id"]?.stringValue)
        let token = try #require(body["registration_access_token"]?.stringValue)
        let response = try send("GET", "/register/\(clientID)", bearer: token)
        #expect(response.status == 200)
        #expect(response.header("Cache-Control") == "no-store")
        let read = try json(response)
        #expect(read["client_id"]?.stringValue == clientID)
        #expect(read["client_secret"] == nil)
        #expect(read["registration_access_token"] == nil)
        #expect(read["software_statement"]?.stringValue == "ssa-1")
        #expect(read["registration_client_uri"] == body["registration_client_uri"])
    }

    @Test func aWrongTokenOrAnUnknownClientIs401NotFound() throws {
        let body = try registered()
        let clientID = try #require(body["client_id"]?.stringValue)
        let token = try #require(body["registration_access_token"]?.stringValue)
        for (path, bearer) in [
            ("/register/\(clientID)", "wrong"), ("/register/\(clientID)", ""), ("/register/unknown", token),
            ("/register/registrar", token),
        ] as [(String, String)] {
            for method in ["GET", "DELETE"] {
                let response = try send(method, path, bearer: bearer)
                #expect(response.status == 401)
                #expect(try errorCode(response) == "invalid_token")
            }
        }
        let missing = try send("GET", "/register/\(clientID)")
        #expect(missing.status == 401)
        #expect(services.registrations.events.last?.type == "management.refused")
    }

    @Test func theClientsOwnAccessTokenManagesItOpenBankingStyle() throws {
        let body = try registered()
        let clientID = try #require(body["client_id"]?.stringValue)
        let secret = try #require(body["client_secret"]?.stringValue)
        let tokenResponse = try send(
            "POST",
            "/token",
            body: "grant_type=client_credentials",
            contentType: "application/x-www-form-urlencoded",
            basic: (clientID, secret)
        )
        let accessToken = try #require(try json(tokenResponse)["access_token"]?.stringValue)
        #expect(try send("GET", "/register/\(clientID)", bearer: accessToken).status == 200)
        // Once expired (tokens live 300 s here, plus the clock skew), the same token is 401.
        clock.advance(by: 3600)
        let expired = try send("GET", "/register/\(clientID)", bearer: accessToken)
        #expect(expired.status == 401)
        #expect(try errorCode(expired) == "invalid_token")
        #expect(services.registrations.events.last?.type == "management.refused")
    }

    @Test func anotherClientsAccessTokenIs401AndRevokedAtOnce() throws {
        let body = try registered()
        let clientID = try #require(body["client_id"]?.stringValue)
        let foreign = try token()
        let response = try send("GET", "/register/\(clientID)", bearer: foreign)
        #expect(response.status == 401)
        #expect(try errorCode(response) == "invalid_token")
        // The registrar's token is now revoked: it no longer registers anything.
        #expect(try register(["software_statement": "ssa-other"], bearer: .some(foreign)).status == 401)
        #expect(services.revoked.count == 1)
        #expect(
            services.registrations.events.contains { $0.details["rule"]?.stringValue == "foreign_access_token" }
        )
    }

    @Test func aPutReplacesTheRegistration() throws {
        let body = try registered()
        let clientID = try #require(body["client_id"]?.stringValue)
        let token = try #require(body["registration_access_token"]?.stringValue)
        let update: JSONObject = [
            "client_id": .string(clientID), "software_statement": "ssa-1",
            "token_endpoint_auth_method": "private_key_jwt", "token_endpoint_auth_signing_alg": "ES256",
            "jwks_uri": "https://keys.tpp.example/jwks", "redirect_uris": ["https://tpp.example/cb2"],
        ]
        let response = try send(
            "PUT",
            "/register/\(clientID)",
            body: JSONValue.object(update).serializedString(),
            bearer: token
        )
        #expect(response.status == 200, "\(String(decoding: response.body, as: UTF8.self))")
        let replaced = try json(response)
        #expect(replaced["token_endpoint_auth_method"]?.stringValue == "private_key_jwt")
        #expect(replaced["redirect_uris"] == ["https://tpp.example/cb2"])
        #expect(replaced["client_id_issued_at"] == body["client_id_issued_at"])
        let stored = try #require(try services.clients.client(id: clientID))
        #expect(stored.secretHash == nil)
        #expect(stored.metadata.jwksURI == "https://keys.tpp.example/jwks")
        #expect(services.registrations.events.last?.type == "client.updated")
    }

    @Test func aPutThatChangesClientIDOrAddsAForbiddenGrantIsRefused() throws {
        let body = try registered()
        let clientID = try #require(body["client_id"]?.stringValue)
        let token = try #require(body["registration_access_token"]?.stringValue)
        let cases: [(JSONObject, String)] = [
            (["client_id": "another-id", "software_statement": "ssa-1"], "invalid_client_metadata"),
            (["software_statement": "ssa-1"], "invalid_client_metadata"),
            (
                [
                    "client_id": .string(clientID), "software_statement": "ssa-1",
                    "grant_types": ["client_credentials", "authorization_code"],
                ], "invalid_client_metadata"
            ),
            (
                ["client_id": .string(clientID), "software_statement": "ssa-1", "client_secret": "chosen"],
                "invalid_client_metadata"
            ),
            (
                ["client_id": .string(clientID), "software_statement": "ssa-1", "registration_access_token": "x"],
                "invalid_client_metadata"
            ),
            (["client_id": .string(clientID)], "invalid_software_statement"),
            (["client_id": .string(clientID), "software_statement": "ssa-other"], "invalid_software_statement"),
        ]
        for (update, code) in cases {
            let response = try send(
                "PUT",
                "/register/\(clientID)",
                body: JSONValue.object(update).serializedString(),
                bearer: token
            )
            #expect(response.status == 400)
            #expect(try errorCode(response) == code, "\(update)")
        }
        // Nothing changed.
        let stored = try #require(try services.clients.client(id: clientID))
        #expect(stored.metadata.grantTypes == ["client_credentials"])
    }

    @Test func aDeletedClientCannotAuthenticateAndItsTokensAreInactive() throws {
        let body = try registered()
        let clientID = try #require(body["client_id"]?.stringValue)
        let secret = try #require(body["client_secret"]?.stringValue)
        let token = try #require(body["registration_access_token"]?.stringValue)
        let tokenRequest = {
            try send(
                "POST",
                "/token",
                body: "grant_type=client_credentials",
                contentType: "application/x-www-form-urlencoded",
                basic: (clientID, secret)
            )
        }
        let accessToken = try #require(try json(tokenRequest())["access_token"]?.stringValue)
        let delete = try send("DELETE", "/register/\(clientID)", bearer: token)
        #expect(delete.status == 204)
        #expect(delete.body.isEmpty)
        #expect(try tokenRequest().status == 401)
        #expect(try send("GET", "/register/\(clientID)", bearer: token).status == 401)
        #expect(try send("DELETE", "/register/\(clientID)", bearer: token).status == 401)
        let introspection = try send(
            "POST",
            "/introspect",
            body: "token=" + accessToken,
            contentType: "application/x-www-form-urlencoded",
            basic: ("rs-client", TokenEndpointTests.secret)
        )
        #expect(try json(introspection)["active"] == .bool(false))
        #expect(services.registrations.events.map(\.type).contains("client.deleted"))
    }

    @Test func aRotatingPolicyIssuesANewRegistrationAccessTokenOnEachUse() throws {
        var policy = RegistrationFixtures.issuerPolicy
        policy.rotateRegistrationAccessToken = true
        let tests = try RegistrationEndpointTests(
            statements: [RegistrationFixtures.statement(policy: policy)],
            issuerPolicy: policy
        )
        let body = try tests.registered()
        let clientID = try #require(body["client_id"]?.stringValue)
        let first = try #require(body["registration_access_token"]?.stringValue)
        let read = try tests.send("GET", "/register/\(clientID)", bearer: first)
        #expect(read.status == 200)
        let second = try #require(try tests.json(read)["registration_access_token"]?.stringValue)
        #expect(second != first)
        #expect(try tests.send("GET", "/register/\(clientID)", bearer: first).status == 401)
        #expect(try tests.send("GET", "/register/\(clientID)", bearer: second).status == 200)
    }

    @Test func theRegistrationRoutesAnswerOnlyTheirMethods() throws {
        let response = try send("PATCH", "/register/abc")
        #expect(response.status == 405)
        #expect(try send("GET", "/register").status == 405)
    }
}
