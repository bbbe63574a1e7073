import CredenceCore
import CredenceJOSE
import CredenceJSON
import Foundation
import OpenSSLCrypto
import Testing

/// `POST /register` with the real trust registry and an issuer trusted by its signing
/// certificate: registered while the certificate is valid, refused once it has expired, and
/// the audit trail names the rule that refused (`signer_certificate`), not only the step.
@Suite struct SignerCertificateRegistrationTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../CredenceCoreTests/Fixtures/directory").standardized

    static func fixture(_ name: String) throws -> String {
        try String(contentsOf: fixtures.appendingPathComponent(name), encoding: .utf8)
    }

    @Test func aStatementVerifiedAfterItsSignerCertificateExpiredIsRefusedAndAudited() throws {
        // ssa-signer.pem: valid 2020-01-01 .. 2040-01-01, digitalSignature.
        let signer = try TrustedIssuer.SignerCertificate(
            certificate: Certificate(pemEncoded: Self.fixture("ssa-signer.pem")),
            keyID: nil
        )
        let key = try PrivateKey(pkcs8PEM: Self.fixture("ssa-signer.key"))
        let registry = try TrustRegistry(
            issuers: [
                TrustedIssuer(
                    issuer: RegistrationFixtures.directory,
                    signerCertificates: [signer],
                    policy: RegistrationFixtures.issuerPolicy
                )
            ],
            clockSkewSeconds: 60,
            remoteKeys: nil
        )
        let tests = try RegistrationEndpointTests(softwareStatements: registry)
        let cases = [
            ("software-valid", signer.certificate.notValidAfter.addingTimeInterval(-86_400), 201),
            ("software-expired", signer.certificate.notValidAfter.addingTimeInterval(60), 400),
        ]
        for (softwareID, instant, status) in cases {
            tests.clock.set(instant)
            let seconds = Int64(instant.timeIntervalSince1970)
            let claims: JSONObject = [
                "iss": .string(RegistrationFixtures.directory), "software_id": .string(softwareID),
                "iat": JSONValue(seconds - 10), "exp": JSONValue(seconds + 600), "jti": .string(softwareID),
                "software_roles": ["AISP"], "software_redirect_uris": ["https://tpp.example/cb"],
            ]
            let statement = try JWSSigner(key: key, algorithm: .ps256, keyID: signer.keyID)
                .sign(payload: JSONValue.object(claims).serialized(), type: "JWT")
            let response = try tests.register(["software_statement": .string(statement)])
            #expect(response.status == status, "\(softwareID)")
            let event = try #require(tests.services.registrations.events.last)
            if status == 201 {
                #expect(event.details["decision"]?.stringValue == "registered")
            } else {
                #expect(try tests.errorCode(response) == "invalid_software_statement")
                #expect(event.details["decision"]?.stringValue == "refused")
                #expect(event.details["rule"]?.stringValue == "signer_certificate")
            }
        }
    }
}
