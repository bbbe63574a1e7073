import CredenceJSON
import CredenceTesting
import Foundation
import Testing

@testable import CredenceCore

/// RFC 6749 §4.4 and §3.3 scope rules, and RFC 8705 §3 certificate binding.
@Suite struct ClientCredentialsGrantTests {
    let clock = FixedClock()
    let grant = ClientCredentialsGrant(forceCertificateBinding: false)

    func client(
        scope: String? = "accounts payments fx",
        grantTypes: [String]? = nil,
        bound: Bool? = nil
    ) throws -> Client {
        var metadata: JSONObject = ["token_endpoint_auth_method": "client_secret_basic"]
        if let scope { metadata["scope"] = .string(scope) }
        if let grantTypes { metadata["grant_types"] = JSONValue(grantTypes) }
        if let bound { metadata["tls_client_certificate_bound_access_tokens"] = .bool(bound) }
        return try TestClients.make("c1", metadata, secret: "s", now: clock.now)
    }

    func authenticated(_ client: Client, certificate: PresentedClientCertificate?) -> AuthenticatedClient {
        AuthenticatedClient(client: client, method: .clientSecretBasic, certificate: certificate)
    }

    @Test func absentScopeGrantsEveryRegisteredScope() throws {
        #expect(try grant.scopes(requested: nil, client: client()) == ["accounts", "payments", "fx"])
        #expect(try grant.scopes(requested: nil, client: client(scope: nil)) == [])
    }

    @Test(arguments: ["accounts", "fx payments", "payments accounts fx", "accounts accounts"])
    func aSubsetIsGranted(requested: String) throws {
        let granted = try grant.scopes(requested: requested, client: client())
        let asked = Set(requested.split(separator: " ").map(String.init))
        #expect(Set(granted) == asked)
        #expect(granted.count == asked.count)
    }

    @Test(arguments: ["admin", "accounts admin", "Accounts", "account", "\u{212A}", "accounts payments fx openid"])
    func aScopeOutsideTheRegisteredOnesIsInvalidScope(requested: String) throws {
        let client = try client(scope: "accounts payments fx K")
        let error = oauthError { _ = try grant.scopes(requested: requested, client: client) }
        #expect(error == .invalidScope(""))
        #expect(error?.status == 400)
    }

    @Test(arguments: [
        " accounts", "accounts ", "accounts  payments", "accounts\tpayments", "acc\"ounts", "acc\\ounts",
        "accounts\u{7F}", "scopé",
    ])
    func aMalformedScopeStringIsInvalidScope(requested: String) throws {
        #expect(oauthError { _ = try grant.scopes(requested: requested, client: client()) } == .invalidScope(""))
    }

    @Test func theGrantMustBeRegistered() throws {
        #expect(throws: Never.self) { try grant.checkGrantAllowed(for: client()) }
        #expect(throws: Never.self) {
            try grant.checkGrantAllowed(for: client(grantTypes: ["authorization_code", "client_credentials"]))
        }
        let other = try client(grantTypes: ["authorization_code"])
        #expect(oauthError { try grant.checkGrantAllowed(for: other) } == .unauthorizedClient(""))
    }

    @Test func unboundClientsGetUnboundTokensEvenWithACertificate() throws {
        let certificate = try TestPKI.presented("leaf-client")
        #expect(try grant.certificateBinding(for: authenticated(client(), certificate: certificate)) == nil)
        #expect(try grant.certificateBinding(for: authenticated(client(bound: false), certificate: nil)) == nil)
    }

    @Test func boundClientsGetTheirCertificatesThumbprint() throws {
        let certificate = try TestPKI.presented("leaf-client")
        let binding = try grant.certificateBinding(for: authenticated(client(bound: true), certificate: certificate))
        #expect(binding == (try TestPKI.certificate("leaf-client")).sha256Thumbprint)
    }

    @Test func aBoundClientWithoutACertificateIsInvalidRequest() throws {
        let client = try client(bound: true)
        #expect(
            oauthError { _ = try grant.certificateBinding(for: authenticated(client, certificate: nil)) }
                == .invalidRequest("")
        )
    }

    @Test func forcedBindingBindsEveryClientAndNeedsACertificate() throws {
        let forced = ClientCredentialsGrant(forceCertificateBinding: true)
        let certificate = try TestPKI.presented("self-signed-leaf")
        let binding = try forced.certificateBinding(for: authenticated(client(bound: false), certificate: certificate))
        #expect(binding == certificate.sha256Thumbprint)
        let client = try client()
        #expect(
            oauthError { _ = try forced.certificateBinding(for: authenticated(client, certificate: nil)) }
                == .invalidRequest("")
        )
    }
}
