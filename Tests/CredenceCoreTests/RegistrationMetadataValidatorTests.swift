import CredenceJSON
import Foundation
import OpenSSLCrypto
import Testing

@testable import CredenceCore

/// The registration rules one by one: every refusal with its exact error code and rule, the
/// statement's precedence and mapping, the `replace` policies, and the DN forms.
@Suite struct RegistrationMetadataValidatorTests {
    static let validator = RegistrationMetadataValidator(capabilities: RegistrationCapabilities())

    static let policy: RegistrationPolicy = {
        var policy = RegistrationPolicy.default
        policy.scopesByRole = ["AISP": ["accounts"], "PISP": ["payments"]]
        policy.allowedAuthenticationMethods = ["client_secret_basic", "private_key_jwt", "tls_client_auth"]
        return policy
    }()

    static func statement(policy: RegistrationPolicy = policy, extra: JSONObject = [:]) -> VerifiedSoftwareStatement {
        var claims: JSONObject = [
            "iss": "https://directory.example", "jti": "j", "software_id": "soft-1", "org_id": "org-1",
            "software_client_name": "TPP", "software_redirect_uris": ["https://tpp.example/cb"],
            "software_roles": ["AISP", "PISP"],
        ]
        for (name, value) in extra { claims[name] = value }
        return VerifiedSoftwareStatement(
            statement: "s",
            issuer: "https://directory.example",
            claims: claims,
            softwareID: "soft-1",
            organizationID: "org-1",
            jti: "j",
            expiresAt: nil,
            policy: policy
        )
    }

    func validate(
        _ request: JSONObject,
        statement: VerifiedSoftwareStatement? = statement(),
        policy: RegistrationPolicy = policy,
        certificate: RegistrationCertificate = .none
    ) throws(RegistrationRefusal) -> ValidatedRegistration {
        try Self.validator.validate(
            request: request,
            statement: statement,
            policy: policy,
            certificate: certificate,
            now: Date(timeIntervalSince1970: 1_767_225_600)
        )
    }

    static let refusals: [(JSONObject, String, String)] = [
        (["client_id": "mine"], "server_managed_fields", "invalid_client_metadata"),
        (["client_secret": "mine"], "server_managed_fields", "invalid_client_metadata"),
        (["registration_access_token": "x"], "server_managed_fields", "invalid_client_metadata"),
        (["token_endpoint_auth_method": "none"], "token_endpoint_auth_method", "invalid_client_metadata"),
        (["token_endpoint_auth_method": "client_secret_post"], "token_endpoint_auth_method", "invalid_client_metadata"),
        (["token_endpoint_auth_method": 7], "token_endpoint_auth_method", "invalid_client_metadata"),
        (
            ["token_endpoint_auth_method": "private_key_jwt", "jwks_uri": "https://k.example/j"],
            "token_endpoint_auth_signing_alg", "invalid_client_metadata"
        ),
        (
            [
                "token_endpoint_auth_method": "private_key_jwt", "jwks_uri": "https://k.example/j",
                "token_endpoint_auth_signing_alg": "HS256",
            ], "token_endpoint_auth_signing_alg", "invalid_client_metadata"
        ),
        (["grant_types": ["authorization_code"]], "grant_types", "invalid_client_metadata"),
        (["grant_types": []], "grant_types", "invalid_client_metadata"),
        (["grant_types": "client_credentials"], "grant_types", "invalid_client_metadata"),
        (["response_types": ["code"]], "response_types", "invalid_client_metadata"),
        (["redirect_uris": ["http://tpp.example/cb"]], "redirect_uris", "invalid_redirect_uri"),
        (["redirect_uris": ["https://tpp.example/cb#frag"]], "redirect_uris", "invalid_redirect_uri"),
        (["redirect_uris": ["https://user:pw@tpp.example/cb"]], "redirect_uris", "invalid_redirect_uri"),
        (["redirect_uris": ["https://tpp.example/c\u{0001}b"]], "redirect_uris", "invalid_redirect_uri"),
        (["redirect_uris": ["/relative"]], "redirect_uris", "invalid_redirect_uri"),
        (["redirect_uris": ["https://tpp.example/other"]], "redirect_uris", "invalid_redirect_uri"),
        (["redirect_uris": []], "redirect_uris", "invalid_redirect_uri"),
        (
            ["token_endpoint_auth_method": "private_key_jwt", "token_endpoint_auth_signing_alg": "PS256"],
            "jwks", "invalid_client_metadata"
        ),
        (["jwks": ["keys": [["kty": "EC", "d": "secret"]]]], "jwks", "invalid_client_metadata"),
        (["jwks": ["nokeys": true]], "jwks", "invalid_client_metadata"),
        (["jwks_uri": "http://keys.example/jwks"], "jwks", "invalid_client_metadata"),
        (["token_endpoint_auth_method": "tls_client_auth"], "tls_client_auth_subject_dn", "invalid_client_metadata"),
        (
            [
                "token_endpoint_auth_method": "tls_client_auth", "tls_client_auth_subject_dn": "CN=a",
                "tls_client_auth_san_dns": "a.example",
            ], "tls_client_auth_subject_dn", "invalid_client_metadata"
        ),
        (["tls_client_auth_subject_dn": "CN=a"], "tls_client_auth_subject_dn", "invalid_client_metadata"),
        (
            ["token_endpoint_auth_method": "tls_client_auth", "tls_client_auth_subject_dn": "CN=a;O=b"],
            "tls_client_auth_subject_dn", "invalid_client_metadata"
        ),
        (
            ["token_endpoint_auth_method": "tls_client_auth", "tls_client_auth_subject_dn": "/C=GB/CN=a"],
            "tls_client_auth_subject_dn", "invalid_client_metadata"
        ),
        (
            ["token_endpoint_auth_method": "tls_client_auth", "tls_client_auth_san_ip": "not-an-ip"],
            "tls_client_auth_subject_dn", "invalid_client_metadata"
        ),
        (["scope": "accounts admin"], "scope", "invalid_client_metadata"),
        (["scope": "accounts  payments"], "scope", "invalid_client_metadata"),
        (["application_type": "desktop"], "openid_metadata", "invalid_client_metadata"),
        (["id_token_signed_response_alg": "none"], "openid_metadata", "invalid_client_metadata"),
        (["request_object_signing_alg": "HS256"], "openid_metadata", "invalid_client_metadata"),
        (
            ["tls_client_certificate_bound_access_tokens": "yes"], "tls_client_certificate_bound_access_tokens",
            "invalid_client_metadata"
        ),
    ]

    @Test(arguments: refusals)
    func eachRuleRefusesWithItsCode(request: JSONObject, rule: String, code: String) {
        do {
            let result = try validate(request)
            Issue.record("accepted: \(result.metadata.json)")
        } catch {
            #expect(error.rule == rule)
            #expect(error.error.code == code)
            #expect(error.error.status == 400)
        }
    }

    @Test func theStatementWinsAndIsMapped() throws {
        let result = try validate(
            [
                "client_name": "mine", "software_id": "forged", "jwks_uri": "https://mine.example/jwks",
                "x_unknown": ["kept": true],
            ],
            statement: Self.statement(extra: ["software_jwks_endpoint": "https://directory.example/soft-1.jwks"])
        )
        let json = result.metadata.json
        #expect(json["client_name"]?.stringValue == "TPP")
        #expect(json["software_id"]?.stringValue == "soft-1")
        #expect(json["jwks_uri"]?.stringValue == "https://directory.example/soft-1.jwks")
        #expect(json["redirect_uris"] == ["https://tpp.example/cb"])
        #expect(json["scope"]?.stringValue == "accounts payments")
        #expect(json["token_endpoint_auth_method"]?.stringValue == "client_secret_basic")
        #expect(json["grant_types"] == ["client_credentials"])
        #expect(json["x_unknown"] == ["kept": true])
        #expect(json["iss"] == nil && json["jti"] == nil)
    }

    @Test func replacePoliciesNarrowAndSaySo() throws {
        var policy = Self.policy
        policy.unsupportedValues = .replace
        policy.redirectURIMismatch = .replace
        let result = try validate(
            [
                "grant_types": ["client_credentials", "authorization_code"], "response_types": ["code"],
                "token_endpoint_auth_method": "client_secret_post",
                "redirect_uris": ["https://tpp.example/cb", "https://evil.example/cb"],
            ],
            statement: Self.statement(policy: policy),
            policy: policy
        )
        let json = result.metadata.json
        #expect(json["grant_types"] == ["client_credentials"])
        #expect(json["response_types"] == [])
        #expect(json["token_endpoint_auth_method"]?.stringValue == "client_secret_basic")
        #expect(json["redirect_uris"] == ["https://tpp.example/cb"])
        #expect(result.adjustments.count == 4)
    }

    @Test func forcedCertificateBindingIsRegistered() throws {
        var policy = Self.policy
        policy.forceCertificateBoundTokens = true
        let result = try validate(["tls_client_certificate_bound_access_tokens": false], policy: policy)
        #expect(result.metadata.certificateBoundAccessTokens)
        #expect(result.adjustments.count == 1)
    }

    @Test func withoutRolesTheDefaultScopesApply() throws {
        var policy = Self.policy
        policy.defaultScopes = ["openid"]
        let statement = VerifiedSoftwareStatement(
            statement: "s",
            issuer: "i",
            claims: ["software_id": "x"],
            softwareID: "x",
            organizationID: nil,
            jti: nil,
            expiresAt: nil,
            policy: policy
        )
        #expect(try validate([:], statement: statement, policy: policy).metadata.scopes == ["openid"])
        #expect(throws: RegistrationRefusal.self) {
            try validate(["scope": "accounts"], statement: statement, policy: policy)
        }
    }

    // MARK: DN forms

    @Test func aDNIsStoredInCanonicalRFC4514Form() throws {
        #expect(try SubjectDNForms.canonical("commonName=a, O=b", certificate: nil) == "CN=a,O=b")
        // OID=#hex values are read (a UTF8String "abc").
        #expect(try SubjectDNForms.canonical("2.5.4.3=#0C03616263,O=b", certificate: nil) == "CN=abc,O=b")
        #expect(try SubjectDNForms.canonical("OID.2.5.4.3=abc", certificate: nil) == "CN=abc")
        // Without a certificate, a DN in either order is stored as written: no reordering.
        #expect(try SubjectDNForms.canonical("C=GB,O=b,CN=a", certificate: nil) == "C=GB,O=b,CN=a")
    }

    @Test func theSlashFormParsesInEncodingOrder() throws {
        let name = try #require(SubjectDNForms.slashForm("/C=GB/O=Acme\\/Sub/CN=a+UID=b"))
        #expect(name.rfc4514String == "UID=b+CN=a,O=Acme/Sub,C=GB")
        #expect(SubjectDNForms.slashForm("/C=GB/nonsense") == nil)
        #expect(SubjectDNForms.slashForm("/C=GB/X=1") == nil)
    }
}
