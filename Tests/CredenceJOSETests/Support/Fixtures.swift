import CredenceJOSE
import CredenceJSON
import Foundation
import OpenSSLCrypto

/// Reads files from this test target's `Fixtures` folder.
enum Fixtures {
    static func url(_ path: String) throws -> URL {
        guard let base = Bundle.module.resourceURL?.appendingPathComponent("Fixtures") else {
            throw FixtureError.missing(path)
        }
        let url = base.appendingPathComponent(path)
        guard FileManager.default.fileExists(atPath: url.path) else { throw FixtureError.missing(path) }
        return url
    }

    static func bytes(_ path: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: url(path))) }

    static func string(_ path: String) throws -> String { String(decoding: try bytes(path), as: UTF8.self) }

    static func object(_ path: String) throws -> JSONObject { try JSONObject.parse(bytes(path)) }

    enum FixtureError: Error { case missing(String), shape(String) }
}

extension JSONObject {
    func string(_ name: String) throws -> String {
        guard case .string(let value)? = self[name] else { throw Fixtures.FixtureError.shape(name) }
        return value
    }

    func object(_ name: String) throws -> JSONObject {
        guard case .object(let value)? = self[name] else { throw Fixtures.FixtureError.shape(name) }
        return value
    }
}

/// Builds compact JWS by hand, for hostile input that no signer would produce.
enum Forge {
    static func b64(_ text: String) -> String { Base64URL.encode(Array(text.utf8)) }

    static func token(header: String, payload: String, signature: [UInt8] = [1, 2, 3]) -> String {
        b64(header) + "." + b64(payload) + "." + Base64URL.encode(signature)
    }

    /// A correctly signed token over a hand-written header and payload.
    static func signed(header: String, payload: String, key: PrivateKey, scheme: SignatureScheme) throws -> String {
        let input = b64(header) + "." + b64(payload)
        let signature = try key.sign(message: Array(input.utf8), scheme: scheme)
        return input + "." + Base64URL.encode(signature)
    }
}

/// Keys generated once per test process.
enum TestKeys {
    static let es256: PrivateKey = make(.ec(.p256))
    static let es384: PrivateKey = make(.ec(.p384))
    static let es512: PrivateKey = make(.ec(.p521))
    static let rsa: PrivateKey = make(.rsa(bits: 2048))
    static let ed25519: PrivateKey = make(.ed25519)

    static func make(_ kind: KeyKind) -> PrivateKey {
        do {
            return try PrivateKey.generate(kind)
        } catch {
            preconditionFailure("test key generation failed: \(error)")
        }
    }

    static func key(for algorithm: JWSAlgorithm) -> PrivateKey {
        switch algorithm {
        case .rs256, .rs384, .rs512, .ps256, .ps384, .ps512: rsa
        case .es256: es256
        case .es384: es384
        case .es512: es512
        case .edDSA: ed25519
        }
    }
}

let claimsJSON =
    #"{"iss":"https://issuer.example","sub":"client-1","aud":"https://as.example","exp":2000000000,"iat":1999999000,"jti":"abc"}"#
