import CredenceCore
import CredenceJOSE
import CredenceJSON
import Foundation
import OpenSSLCrypto
import Testing

/// The committed test PKI of `Tests/OpenSSLCryptoTests/Fixtures/x509` (made by its
/// `make-fixtures.sh`, valid 2020–2040), read from the source tree: ``FixedClock``'s default
/// instant (2026-01-01) lies inside every ordinary certificate's validity and after the
/// expired leaf's.
enum TestPKI {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../OpenSSLCryptoTests/Fixtures/x509").standardized

    static func text(_ name: String) throws -> String {
        try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
    }

    static func certificate(_ name: String) throws -> Certificate {
        try Certificate(pemEncoded: text("\(name).pem"))
    }

    static func presented(_ name: String) throws -> PresentedClientCertificate {
        PresentedClientCertificate(certificate: try certificate(name))
    }

    /// The issuing CA and its root: web servers pass the leaf alone, so both are anchors.
    static func trustStore() throws -> CertificateTrustStore {
        try CertificateTrustStore(trustAnchors: [certificate("root-ca"), certificate("intermediate-ca")])
    }

    /// `leaf-client.pem`'s subject as `openssl x509 -nameopt RFC2253` printed it.
    static func leafClientSubjectDN() throws -> String {
        try text("leaf-client.subject-rfc2253.txt").trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

/// Client keys made once per test process (RSA generation is slow).
enum TestKeys {
    static let es256A = try! PrivateKey.generate(.ec(.p256))
    static let es256B = try! PrivateKey.generate(.ec(.p256))
    static let es256C = try! PrivateKey.generate(.ec(.p256))
    static let rsa = try! PrivateKey.generate(.rsa(bits: 2048))

    static func signer(_ key: PrivateKey, _ algorithm: JWSAlgorithm = .es256, kid: String?) -> JWSSigner {
        try! JWSSigner(key: key, algorithm: algorithm, keyID: kid)
    }

    /// `{"keys":[…]}` of the public halves, each with its `kid`.
    static func jwks(_ entries: [(PrivateKey, String?)]) -> JSONValue {
        .object([
            "keys": .array(
                entries.map { key, kid in
                    .object(JWK(publicKey: key.publicKey, keyID: kid, use: nil, algorithm: nil).jsonObject)
                }
            )
        ])
    }
}

/// Builds clients the way the store would hold them.
enum TestClients {
    static let secrets = ClientSecretHasher(key: try! MACKey(bytes: Array(repeating: 7, count: 32)))

    /// A client with `metadata` (parsed by ``ClientMetadata``) and, for the secret methods,
    /// the hash of `secret`.
    static func make(
        _ clientID: String,
        _ metadata: JSONObject,
        secret: String? = nil,
        lifetime: Int? = nil,
        now: Date
    ) throws -> Client {
        Client(
            clientID: clientID,
            metadata: try ClientMetadata(json: metadata),
            secretHash: secret.map(secrets.hash),
            accessTokenLifetimeSeconds: lifetime,
            createdAt: now
        )
    }

    static func secretClient(
        _ clientID: String,
        method: ClientAuthenticationMethod,
        secret: String,
        scope: String = "accounts payments",
        now: Date
    ) throws -> Client {
        try make(
            clientID,
            ["token_endpoint_auth_method": .string(method.rawValue), "scope": .string(scope)],
            secret: secret,
            now: now
        )
    }
}

/// Hand-made compact JWS, for what no signer may produce (`none`, HMAC).
enum Forge {
    static func b64(_ text: String) -> String { Base64URL.encode(Array(text.utf8)) }

    static func claimsJSON(_ claims: JWTClaims) -> String {
        String(decoding: claims.serialized(), as: UTF8.self)
    }

    /// `alg: none`, empty signature (RFC 7519 §6.1's unsecured JWT).
    static func unsecured(_ claims: JWTClaims) -> String {
        b64(#"{"alg":"none","typ":"JWT"}"#) + "." + b64(claimsJSON(claims)) + "."
    }

    /// `alg: HS256` with a real HMAC-SHA-256 under `secret` (the attack: a client secret or a
    /// public key used as an HMAC key).
    static func hmac(_ claims: JWTClaims, secret: [UInt8], kid: String? = nil) throws -> String {
        let header = kid.map { #"{"alg":"HS256","kid":"\#($0)"}"# } ?? #"{"alg":"HS256"}"#
        let input = b64(header) + "." + b64(claimsJSON(claims))
        let tag = try MACKey(bytes: secret).authenticationCode(for: Array(input.utf8))
        return input + "." + Base64URL.encode(tag)
    }
}

/// The OAuth error code a throwing call threw (`nil` when it did not throw an `OAuthError`).
func oauthError(_ body: () throws -> Void) -> OAuthError? {
    do {
        try body()
        return nil
    } catch let error as OAuthError {
        return error
    } catch {
        Issue.record("unexpected error \(error)")
        return nil
    }
}
