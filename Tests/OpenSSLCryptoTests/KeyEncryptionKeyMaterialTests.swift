import Foundation
import Testing

@testable import OpenSSLCrypto

/// Key material as operators write it, the record-authentication tags derived from the key,
/// and the wiping of the key's memory (issue 6, items 5 and 6).
@Suite struct KeyEncryptionKeyMaterialTests {
    static let keyBytes: [UInt8] = (0..<32).map { UInt8(($0 * 37 + 11) % 256) }

    /// Whether `key` opens what a key made of `bytes` sealed.
    func isKey(_ key: KeyEncryptionKey, _ bytes: [UInt8]) throws -> Bool {
        let sealed = try KeyEncryptionKey(bytes: bytes).seal(bytes: [9, 8, 7], associatedData: [1])
        return (try? key.open(sealed, associatedData: [1])) == [9, 8, 7]
    }

    @Test(arguments: ["", "\n", "  \n", "\r\n\t"])
    func base64WithSurroundingWhitespace(padding: String) throws {
        var material = Array((padding + Data(Self.keyBytes).base64EncodedString() + padding).utf8)
        let (key, encoding) = try KeyEncryptionKey.decode(material: &material)
        #expect(encoding == .base64)
        #expect(try isKey(key, Self.keyBytes))
        #expect(material.allSatisfy { $0 == 0 })
    }

    @Test func rawBytesThatAreNotText() throws {
        var material = Self.keyBytes
        let (key, encoding) = try KeyEncryptionKey.decode(material: &material)
        #expect(encoding == .raw)
        #expect(try isKey(key, Self.keyBytes))
        #expect(material.allSatisfy { $0 == 0 })
    }

    @Test(arguments: [
        "0123456789abcdef0123456789abcdef", "passwordpasswordpasswordpassword",
        String(repeating: "ab", count: 32), Data(repeating: 1, count: 31).base64EncodedString(),
        Data(repeating: 1, count: 33).base64EncodedString(),
        String(Data(repeating: 1, count: 32).base64EncodedString().dropLast()),
        "", "AAAA AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
    ])
    func textThatIsNotBase64OfThirtyTwoBytesIsRefused(text: String) {
        var material = Array(text.utf8)
        let error = #expect(throws: KeyEncryptionKeyMaterialError.self) {
            try KeyEncryptionKey.decode(material: &material)
        }
        #expect(error == .textIsNotBase64Key)
        #expect(material.allSatisfy { $0 == 0 })
    }

    @Test(arguments: [31, 33, 64])
    func binaryOfAnotherLengthIsRefused(count: Int) {
        var material = (0..<count).map { UInt8(($0 * 37 + 11) % 256) }
        let error = #expect(throws: KeyEncryptionKeyMaterialError.self) {
            try KeyEncryptionKey.decode(material: &material)
        }
        #expect(error == .wrongLength(count))
    }

    /// RFC 4231 §4.3 (test case 2), so the primitive under the tags is HMAC-SHA-256 itself.
    @Test func hmacMatchesRFC4231() throws {
        let key = Array("Jefe".utf8).withUnsafeBufferPointer { SecretBytes(copying: $0) }
        let tag = try HMACSHA256.tag(key: key, message: Array("what do ya want for nothing?".utf8))
        #expect(
            tag.map { String(format: "%02x", $0) }.joined()
                == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        )
    }

    @Test func tagsAreUnderADerivedKeyNotTheKeyItself() throws {
        let kek = try KeyEncryptionKey(bytes: Self.keyBytes)
        let message = Array("row".utf8)
        let tag = try kek.authenticationTag(for: message)
        #expect(tag.count == 32)
        #expect(try kek.authenticationTag(for: message) == tag)
        let plain = try HMACSHA256.tag(
            key: Self.keyBytes.withUnsafeBufferPointer { SecretBytes(copying: $0) },
            message: message
        )
        #expect(tag != plain)
        // HKDF-Expand with the key as PRK: T(1) = HMAC(KEK, label || 0x01), then HMAC under T(1).
        let derived = try HMACSHA256.tag(
            key: Self.keyBytes.withUnsafeBufferPointer { SecretBytes(copying: $0) },
            message: KeyEncryptionKey.recordAuthenticationLabel + [0x01]
        )
        #expect(
            try HMACSHA256.tag(key: derived.withUnsafeBufferPointer { SecretBytes(copying: $0) }, message: message)
                == tag
        )
    }

    @Test func isAuthenticRefusesAnythingElse() throws {
        let kek = try KeyEncryptionKey(bytes: Self.keyBytes)
        let message = Array("row".utf8)
        let tag = try kek.authenticationTag(for: message)
        #expect(kek.isAuthentic(message, tag: tag))
        #expect(!kek.isAuthentic(Array("rox".utf8), tag: tag))
        var flipped = tag
        flipped[31] ^= 1
        #expect(!kek.isAuthentic(message, tag: flipped))
        #expect(!kek.isAuthentic(message, tag: Array(tag.dropLast())))
        #expect(!kek.isAuthentic(message, tag: []))
        #expect(!(try KeyEncryptionKey.generate()).isAuthentic(message, tag: tag))
    }

    @Test func theKeyIsNeverPrinted() throws {
        let kek = try KeyEncryptionKey(bytes: Array(repeating: 0x41, count: 32))
        for text in [String(describing: kek), String(reflecting: kek), "\(kek)"] {
            #expect(!text.contains("65") && !text.contains("AAAA") && !text.contains("0x41"))
        }
        var dumped = ""
        dump(kek, to: &dumped)
        #expect(!dumped.contains("65"))
    }

    @Test func theKeyLivesInBuffersWipedAtExit() throws {
        let kek = try KeyEncryptionKey(bytes: Self.keyBytes)
        #expect(kek.isWipedAtExit)
        let copy = kek  // a copy shares the one buffer
        #expect(copy.isWipedAtExit)
    }

    @Test func wipingZeroesTheBufferAndReleaseUnregistersIt() {
        var secret: SecretBytes? = SecretBytes(count: 16)
        secret?.withMutableBytes { $0.initialize(repeating: 0xAB) }
        secret?.wipeAtExit()
        #expect(secret?.isWipedAtExit == true)
        secret?.wipe()
        #expect(secret?.withBytes { $0.allSatisfy { $0 == 0 } } == true)
        let address = secret.map { $0.withBytes { UInt(bitPattern: $0.baseAddress) } }
        secret = nil
        // A new buffer at the same address is not registered by its predecessor.
        let next = SecretBytes(count: 16)
        if next.withBytes({ UInt(bitPattern: $0.baseAddress) }) == address { #expect(!next.isWipedAtExit) }
    }
}
