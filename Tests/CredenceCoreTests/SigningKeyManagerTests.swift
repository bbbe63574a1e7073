import CredenceCore
import CredenceJOSE
import CredenceJSON
import CredenceTesting
import Foundation
import OpenSSLCrypto
import Testing

@Suite struct SigningKeyManagerTests {
    let store = InMemorySigningKeyStore()
    let clock = FixedClock()
    let encryptionKey: KeyEncryptionKey
    let manager: SigningKeyManager

    init() throws {
        encryptionKey = try KeyEncryptionKey(bytes: Array(repeating: 42, count: 32))
        manager = SigningKeyManager(store: store, encryptionKey: encryptionKey, retiredKeyPublication: 360)
    }

    @Test(arguments: [JWSAlgorithm.es256, .ps256])
    func firstKeyIsActiveAndSigns(algorithm: JWSAlgorithm) throws {
        let record = try manager.generate(algorithm: algorithm, now: clock.now)
        #expect(record.state == .active)
        #expect(try store.allKeys().map(\.state) == [.active])
        let jwk = try JWK.parse(Array(record.publicJWK.utf8))
        #expect(jwk.keyID == record.kid)
        #expect(jwk.thumbprintBase64URL() == record.kid)
        #expect(jwk.algorithm == algorithm.rawValue)
        #expect(jwk.use == "sig")
        let published = try #require(try JSONValue.parse(record.publicJWK).objectValue)
        #expect(!published.names.contains { JWK.privateMemberNames.contains($0) })

        let signer = try manager.signer(for: record)
        let token = try signer.sign(payload: Array(#"{"sub":"x"}"#.utf8), type: "at+jwt")
        let verified = try UnverifiedJWS(compact: token).verify(using: jwk, allowedAlgorithms: [algorithm])
        #expect(verified.keyID == record.kid)
    }

    @Test func laterKeysArePublishedAsNextUntilRotation() throws {
        let first = try manager.generate(algorithm: .es256, now: clock.now)
        clock.advance(by: 10)
        let second = try manager.generate(algorithm: .es256, now: clock.now)
        #expect(second.state == .next)
        #expect(try store.publishedKeys(at: clock.now).count == 2)

        clock.advance(by: 89)
        let error = #expect(throws: KeyManagementError.self) {
            try manager.rotate(algorithm: .es256, now: clock.now, prePublication: 90)
        }
        #expect(error?.description.contains("1 s") == true)
        #expect(try store.allKeys().first { $0.state == .active }?.kid == first.kid)
        clock.advance(by: 1)
        let rotation = try manager.rotate(algorithm: .es256, now: clock.now, prePublication: 90)
        #expect(rotation.active.kid == second.kid)
        #expect(rotation.retiredKID == first.kid)
        let keys = try manager.list()
        #expect(keys.map(\.state) == [.retired, .active])
        #expect(keys[0].kid == first.kid)
        #expect(keys[0].publishUntil == clock.now.addingTimeInterval(360))
        #expect(keys[1].activatedAt == clock.now)

        clock.advance(by: 359)
        #expect(try store.publishedKeys(at: clock.now).count == 2)
        #expect(try manager.prune(now: clock.now) == 0)
        clock.advance(by: 1)
        #expect(try store.publishedKeys(at: clock.now).map(\.kid) == [second.kid])
        #expect(try manager.prune(now: clock.now) == 1)
    }

    @Test func rotateWithoutANextKeyIsRefusedUnlessForced() throws {
        let first = try manager.generate(algorithm: .es256, now: clock.now)
        #expect(throws: KeyManagementError.self) {
            try manager.rotate(algorithm: .ps256, now: clock.now, prePublication: 90)
        }
        #expect(try store.allKeys().count == 1)
        let rotation = try manager.rotate(algorithm: .ps256, now: clock.now, prePublication: 90, force: true)
        #expect(rotation.retiredKID == first.kid)
        #expect(rotation.active.algorithm == "PS256")
        #expect(try store.allKeys().filter { $0.state == .active }.count == 1)
    }

    @Test func aWrongKeyEncryptionKeyCannotOpenTheKey() throws {
        let record = try manager.generate(algorithm: .es256, now: clock.now)
        let other = SigningKeyManager(
            store: store,
            encryptionKey: try KeyEncryptionKey(bytes: Array(repeating: 43, count: 32)),
            retiredKeyPublication: 360
        )
        #expect(throws: (any Error).self) { try other.signer(for: record) }
    }

    @Test func aSealedKeyMovedToAnotherKidCannotBeOpened() throws {
        let first = try manager.generate(algorithm: .es256, now: clock.now)
        var swapped = try manager.generate(algorithm: .es256, now: clock.now)
        swapped.sealedPrivateKey = first.sealedPrivateKey
        #expect(throws: (any Error).self) { try manager.signer(for: swapped) }
    }

    @Test func unsupportedAlgorithmsAreRefused() throws {
        #expect(throws: KeyManagementError.self) { try manager.generate(algorithm: .rs256, now: clock.now) }
        var record = try manager.generate(algorithm: .es256, now: clock.now)
        record.algorithm = "HS256"
        #expect(throws: KeyManagementError.self) { try manager.signer(for: record) }
    }

    @Test func everyRowTheManagerWritesVerifies() throws {
        clock.advance(by: 0.123_456_7)  // sub-millisecond instants are stored to the millisecond
        _ = try manager.generate(algorithm: .es256, now: clock.now)
        clock.advance(by: 100.000_3)
        _ = try manager.generate(algorithm: .ps256, now: clock.now)
        clock.advance(by: 100)
        let rotation = try manager.rotate(algorithm: .es256, now: clock.now, prePublication: 90)
        #expect(manager.integrity.check(rotation.active) == .verified)
        let keys = try store.allKeys()
        #expect(keys.map(\.state) == [.retired, .active])
        #expect(keys.allSatisfy { manager.integrity.check($0) == .verified })
    }

    @Test func theSignerRefusesARowWithAnotherPublicKey() throws {
        let genuine = try manager.generate(algorithm: .es256, now: clock.now)
        let other = try manager.generate(algorithm: .es256, now: clock.now)
        var tampered = genuine
        tampered.publicJWK = other.publicJWK
        let error = #expect(throws: KeyManagementError.self) { try manager.signer(for: tampered) }
        #expect(error?.description.contains("integrity") == true)
    }

    @Test func theSignerRefusesARowWithAnotherStateOrAlgorithm() throws {
        var record = try manager.generate(algorithm: .ps256, now: clock.now)
        record.state = .next
        #expect(throws: KeyManagementError.self) { try manager.signer(for: record) }
        record.state = .active
        #expect(throws: Never.self) { try manager.signer(for: record) }
        record.integrityTag = nil
        #expect(throws: KeyManagementError.self) { try manager.signer(for: record) }
    }

    @Test func theSignerChecksThePrivateKeyAgainstThePublicJWKEvenWhenTheTagVerifies() throws {
        // A row whose tag verifies but whose sealed key is another key's (only a holder of the
        // key-encryption key could write it): the signer still refuses it.
        let genuine = try manager.generate(algorithm: .es256, now: clock.now)
        let stranger = try PrivateKey.generate(.ec(.p256))
        var mixed = genuine
        mixed.sealedPrivateKey = try encryptionKey.seal(stranger, associatedData: Array(genuine.kid.utf8))
        mixed = try manager.integrity.tagged(mixed)
        let error = #expect(throws: KeyManagementError.self) { try manager.signer(for: mixed) }
        #expect(error?.description.contains("does not match") == true)
    }

    @Test func rotationRefusesATamperedNextKey() throws {
        _ = try manager.generate(algorithm: .es256, now: clock.now)
        var next = try manager.generate(algorithm: .es256, now: clock.now)
        next.publicJWK = try manager.generate(algorithm: .es256, now: clock.now).publicJWK
        store.overwrite(next)
        clock.advance(by: 100)
        #expect(throws: KeyManagementError.self) {
            try manager.rotate(algorithm: .es256, now: clock.now, prePublication: 90)
        }
        #expect(try store.allKeys().first { $0.state == .active }?.kid != next.kid)
    }

    @Test func upgradeTagsOnlyLegacyRowsWhoseKeyMatches() throws {
        let legacy = try manager.generate(algorithm: .es256, now: clock.now)
        let forged = try manager.generate(algorithm: .es256, now: clock.now)
        let tampered = try manager.generate(algorithm: .ps256, now: clock.now)
        let intact = try manager.generate(algorithm: .ps256, now: clock.now)
        // Rows as the previous version wrote them: no tag.
        var row = legacy
        row.integrityTag = nil
        store.overwrite(row)
        // A legacy row whose public JWK was replaced: its sealed key does not match it.
        row = forged
        row.integrityTag = nil
        row.publicJWK = intact.publicJWK
        store.overwrite(row)
        // A tagged row changed afterwards: never re-tagged.
        row = tampered
        row.state = .next
        row.algorithm = "ES256"
        store.overwrite(row)

        let report = try manager.upgrade()
        #expect(report.tagged == [legacy.kid])
        #expect(Set(report.refused) == [forged.kid, tampered.kid])
        #expect(report.alreadyVerified == [intact.kid])
        let stored = Dictionary(uniqueKeysWithValues: try store.allKeys().map { ($0.kid, $0) })
        #expect(manager.integrity.check(try #require(stored[legacy.kid])) == .verified)
        #expect(manager.integrity.check(try #require(stored[forged.kid])) == .untagged)
        #expect(manager.integrity.check(try #require(stored[tampered.kid])) == .mismatch)
        #expect(throws: Never.self) { try manager.signer(for: try #require(stored[legacy.kid])) }
    }
}
