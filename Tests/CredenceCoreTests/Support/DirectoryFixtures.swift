import CredenceCore
import CredenceJOSE
import CredenceJSON
import CredenceTesting
import Foundation
import OpenSSLCrypto
import Testing

/// The software-statement directory PKI of `Fixtures/directory` (made by its
/// `make-fixtures.sh`, valid 2020–2040): a directory CA issuing the SSA signer and a TPP's
/// transport certificate, and an unrelated CA issuing a signer with the same subject.
enum DirectoryPKI {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../Fixtures/directory").standardized

    static func text(_ name: String) throws -> String {
        try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
    }

    static func certificate(_ name: String) throws -> Certificate {
        try Certificate(pemEncoded: text("\(name).pem"))
    }

    static func key(_ name: String) throws -> PrivateKey {
        try PrivateKey(pkcs8PEM: text("\(name).key"))
    }

    static func trustStore(_ name: String = "directory-ca") throws -> CertificateTrustStore {
        try CertificateTrustStore(trustAnchors: [certificate(name)])
    }

    /// The signer's subject as `openssl x509 -nameopt RFC2253` printed it.
    static func signerSubject() throws -> DistinguishedName {
        try DistinguishedName(
            rfc4514: text("ssa-signer.subject-rfc4514.txt").trimmingCharacters(in: .whitespacesAndNewlines)
        )
    }

    /// The signer's SPKI SHA-256 as `openssl dgst -sha256` computed it.
    static func signerSPKISHA256() throws -> [UInt8] {
        let hex = try text("ssa-signer.spki-sha256.hex").trimmingCharacters(in: .whitespacesAndNewlines)
        var bytes: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            bytes.append(UInt8(hex[index..<next], radix: 16)!)
            index = next
        }
        return bytes
    }

    /// `x5c` of `chain`, standard base64 DER (RFC 7515 §4.1.6).
    static func x5c(_ chain: [Certificate]) -> JSONValue {
        .array(chain.map { .string(Data($0.derEncoded).base64EncodedString()) })
    }
}

/// Statements and the registry they are checked by, at a pinned instant.
enum Directory {
    /// 2030-01-01T00:00:00Z, inside every fixture certificate's validity.
    static let now = Date(timeIntervalSince1970: 1_893_456_000)
    static let nowSeconds: Int64 = 1_893_456_000
    static let issuer = "https://directory.example/ssa"
    static let keystoreHost = "keystore.directory.example"
    static let softwareJWKSEndpoint = "https://keystore.directory.example/org-1/software-42.jwks"
    static let softwareRevokedEndpoint = "https://keystore.directory.example/org-1/software-42-revoked.jwks"

    /// The directory's keys: PS256 (RSA) as `dir-rsa`, ES256 as `dir-ec`.
    static let rsaKey = TestKeys.rsa
    static let ecKey = TestKeys.es256C

    static func keySet() -> JWKSet {
        JWKSet(keys: [
            JWK(publicKey: rsaKey.publicKey, keyID: "dir-rsa", use: "sig"),
            JWK(publicKey: ecKey.publicKey, keyID: "dir-ec", use: "sig"),
        ])
    }

    /// An entry trusting the directory's JWK Set, with software keys on the keystore host.
    static func entry(
        issuer: String = Directory.issuer,
        keys: JWKSet? = Directory.keySet(),
        policy: RegistrationPolicy = .default
    ) -> TrustedIssuer {
        TrustedIssuer(
            issuer: issuer,
            keys: keys,
            softwareJWKSHosts: JWKSHostAllowlist([keystoreHost])!,
            policy: policy
        )
    }

    static func registry(
        _ entries: [TrustedIssuer] = [Directory.entry()],
        fetcher: InMemoryJWKSetFetcher = InMemoryJWKSetFetcher()
    ) throws -> TrustRegistry {
        try TrustRegistry(
            issuers: entries,
            clockSkewSeconds: 60,
            remoteKeys: RemoteJWKSCache(policy: RemoteJWKSPolicy(allowedHosts: .empty), fetcher: fetcher)
        )
    }

    /// Open Banking UK style claims, issued a minute ago; `changes` replace or (with `.null`
    /// as a marker) remove members.
    static func claims(_ changes: JSONObject = [:]) -> JSONObject {
        var claims: JSONObject = [
            "iss": .string(issuer),
            "iat": JSONValue(nowSeconds - 60),
            "jti": .string(UUID().uuidString),
            "software_id": "software-42",
            "software_client_name": "Payments App",
            "software_roles": .array(["AISP", "PISP"]),
            "software_redirect_uris": .array(["https://tpp.example/cb"]),
            "software_jwks_endpoint": .string(softwareJWKSEndpoint),
            "org_id": "0015800001HQQrZAAX",
            "org_name": "TPP Ltd",
            "org_status": "Active",
        ]
        for (name, value) in changes {
            if value == .null { claims[name] = nil } else { claims[name] = value }
        }
        return claims
    }

    static func sign(
        _ claims: JSONObject,
        key: PrivateKey = Directory.rsaKey,
        algorithm: JWSAlgorithm = .ps256,
        kid: String? = "dir-rsa",
        header: JSONObject = [:]
    ) throws -> String {
        try JWSSigner(key: key, algorithm: algorithm, keyID: kid)
            .sign(payload: JSONValue.object(claims).serialized(), type: "JWT", extraHeader: header)
    }

    static func statement(_ changes: JSONObject = [:]) throws -> String {
        try sign(claims(changes))
    }
}

/// The refusal a throwing call made: its OAuth error, checked for `code` and for the rule its
/// log detail names (both codes, never the wording).
func expectRefusal(
    _ code: String,
    _ rule: TrustRule,
    sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () throws -> Void
) {
    do {
        try body()
        Issue.record("expected \(code) (\(rule)), but nothing was thrown", sourceLocation: sourceLocation)
    } catch let error as OAuthError {
        #expect(error.code == code, "\(error.debugDescription)", sourceLocation: sourceLocation)
        #expect(error.status == 400, sourceLocation: sourceLocation)
        #expect(
            error.logDetail?.split(separator: ";").first.map(String.init) == "rule=\(rule.rawValue)",
            "expected rule \(rule), got \(error.debugDescription)",
            sourceLocation: sourceLocation
        )
    } catch {
        Issue.record("expected an OAuthError, got \(error)", sourceLocation: sourceLocation)
    }
}
