import CredenceCore
import CredenceJOSE
import Foundation
import OpenSSLCrypto
import Testing

/// Keyed secret hashes (HMAC-SHA-256 under a key derived from the key-encryption key).
@Suite struct ClientSecretHasherTests {
    let encryptionKey = try! KeyEncryptionKey(bytes: Array(repeating: 42, count: 32))

    var hasher: ClientSecretHasher { try! ClientSecretHasher(encryptionKey: encryptionKey, purpose: "client-secret") }

    @Test func aHashVerifiesItsSecretOnly() throws {
        let secret = try ClientSecretHasher.generateSecret()
        let stored = hasher.hash(secret)
        #expect(stored.hasPrefix(ClientSecretHasher.scheme))
        #expect(!stored.contains(secret))
        #expect(hasher.verify(secret, against: stored))
        #expect(!hasher.verify(secret + "x", against: stored))
        #expect(!hasher.verify(String(secret.dropLast()), against: stored))
        #expect(!hasher.verify("", against: stored))
    }

    @Test func hashingIsDeterministicUnderOneKey() {
        #expect(hasher.hash("abc") == hasher.hash("abc"))
        #expect(hasher.hash("abc") != hasher.hash("abd"))
    }

    @Test func generatedSecretsCarry256RandomBits() throws {
        let secrets = try (0..<16).map { _ in try ClientSecretHasher.generateSecret() }
        #expect(Set(secrets).count == secrets.count)
        for secret in secrets {
            #expect(secret.count == 43)
            #expect(try Base64URL.decode(secret).count == ClientSecretHasher.secretByteCount)
        }
    }

    @Test func differentPurposesGiveDifferentHashes() throws {
        let registration = try ClientSecretHasher(encryptionKey: encryptionKey, purpose: "registration-access-token")
        #expect(hasher.hash("same secret") != registration.hash("same secret"))
        #expect(!registration.verify("same secret", against: hasher.hash("same secret")))
        #expect(!hasher.verify("same secret", against: registration.hash("same secret")))
    }

    @Test func anotherEncryptionKeyGivesAnotherHash() throws {
        let other = try ClientSecretHasher(
            encryptionKey: try KeyEncryptionKey(bytes: Array(repeating: 43, count: 32)),
            purpose: "client-secret"
        )
        #expect(!other.verify("s", against: hasher.hash("s")))
    }

    @Test func malformedStoredHashesNeverMatch() {
        let good = hasher.hash("s")
        let tag = String(good.dropFirst(ClientSecretHasher.scheme.count))
        let malformed = [
            "", ClientSecretHasher.scheme, tag, "sha256:" + tag, "HMAC-SHA256:" + tag,
            ClientSecretHasher.scheme + String(tag.dropLast()), ClientSecretHasher.scheme + tag + "A",
            ClientSecretHasher.scheme + tag + "=", ClientSecretHasher.scheme + "!" + tag.dropFirst(),
            ClientSecretHasher.scheme + " " + tag, "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA",
        ]
        for stored in malformed {
            #expect(!hasher.verify("s", against: stored), "\(stored)")
        }
    }
}

/// Identifiers compare by bytes (RFC 7519 §2, RFC 6749 §3.3), not by Unicode equivalence.
@Suite struct IdentifierTests {
    @Test func kelvinSignIsNotK() {
        #expect("\u{212A}" == "K")  // What Swift's String equality says…
        #expect(!Identifier.equal("\u{212A}", "K"))  // …and what an identifier decision must say.
        #expect(!Identifier.equal("client-\u{212A}", "client-K"))
        #expect(Identifier.equal("client-K", "client-K"))
    }

    @Test func composedAndDecomposedFormsDiffer() {
        #expect(!Identifier.equal("caf\u{E9}", "cafe\u{301}"))
    }

    @Test func nilIsEqualToNothing() {
        #expect(!Identifier.equal(nil, nil))
        #expect(!Identifier.equal("a", nil))
        #expect(!Identifier.equal(nil, "a"))
        #expect(Identifier.equal("", ""))
    }
}

@Suite struct ClientIDGeneratorTests {
    /// A generated id never starts with `-` (a command line would take it for an option) or `_`,
    /// and is 22 base64url characters; 2,000 draws meet a leading `-` or `_` with probability
    /// 1 − (62/64)^2000 ≈ 1 if the rule were missing.
    @Test func generatedIDsAreSafeOnACommandLine() throws {
        for _ in 0..<2000 {
            let id = try ClientIDGenerator.generate()
            #expect(id.utf8.count == 22)
            #expect(!id.hasPrefix("-") && !id.hasPrefix("_"))
            #expect(
                id.utf8.allSatisfy {
                    $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_")
                        || ($0 < 0x80 && Character(UnicodeScalar($0)).isLetter) || ($0 >= 0x30 && $0 <= 0x39)
                }
            )
        }
    }
}
