import OpenSSLCrypto
import Testing

@Suite struct KeyEncryptionKeyTests {
    static let kid: [UInt8] = Array("key-2026-01".utf8)

    @Test(arguments: [KeyKind.ec(.p256), .rsa(bits: 2048), .ed25519, .ec(.p521)])
    func sealThenUnsealSignsTheSame(_ kind: KeyKind) throws {
        let kek = try KeyEncryptionKey.generate()
        let key = try PrivateKey.generate(kind)
        let sealed = try kek.seal(key, associatedData: Self.kid)
        #expect(sealed.first == 0x01)
        let opened = try kek.unseal(sealed, associatedData: Self.kid)
        #expect(try opened.publicKey.subjectPublicKeyInfoDER() == key.publicKey.subjectPublicKeyInfoDER())
        let scheme: SignatureScheme =
            switch kind {
            case .rsa: .rsaPSS(.sha256)
            case .ec(let curve): .ecdsa(curve.digest)
            case .ed25519: .ed25519
            }
        let signature = try opened.sign(message: [1, 2, 3], scheme: scheme)
        #expect(key.publicKey.verify(signature: signature, message: [1, 2, 3], scheme: scheme))
    }

    @Test func sealingTwiceGivesDifferentBytes() throws {
        let kek = try KeyEncryptionKey.generate()
        let key = try PrivateKey.generate(.ec(.p256))
        #expect(try kek.seal(key, associatedData: Self.kid) != kek.seal(key, associatedData: Self.kid))
    }

    @Test func wrongKeyFails() throws {
        let key = try PrivateKey.generate(.ec(.p256))
        let sealed = try KeyEncryptionKey.generate().seal(key, associatedData: Self.kid)
        let error = #expect(throws: CryptoError.self) {
            try KeyEncryptionKey.generate().unseal(sealed, associatedData: Self.kid)
        }
        #expect(error?.code == .authenticationFailed)
    }

    @Test func wrongAssociatedDataFails() throws {
        let kek = try KeyEncryptionKey.generate()
        let sealed = try kek.seal(try PrivateKey.generate(.ec(.p256)), associatedData: Self.kid)
        for other in [Array("key-2026-02".utf8), [], Self.kid + [0]] {
            let error = #expect(throws: CryptoError.self) { try kek.unseal(sealed, associatedData: other) }
            #expect(error?.code == .authenticationFailed)
        }
    }

    @Test func everyTamperedByteFails() throws {
        let kek = try KeyEncryptionKey.generate()
        let sealed = try kek.seal(bytes: Array("a stored secret".utf8), associatedData: Self.kid)
        for index in sealed.indices {
            var tampered = sealed
            tampered[index] ^= 0x80
            let error = #expect(throws: CryptoError.self) { try kek.open(tampered, associatedData: Self.kid) }
            let expected: CryptoError.Code = index == 0 ? .malformedSealedData : .authenticationFailed
            #expect(error?.code == expected, "byte \(index)")
        }
    }

    @Test func truncatedOrExtendedFails() throws {
        let kek = try KeyEncryptionKey.generate()
        let sealed = try kek.seal(bytes: Array("a stored secret".utf8), associatedData: Self.kid)
        for length in [0, 1, 12, 28, sealed.count - 1] {
            #expect(throws: CryptoError.self) { try kek.open(Array(sealed.prefix(length)), associatedData: Self.kid) }
        }
        #expect(throws: CryptoError.self) { try kek.open(sealed + [0], associatedData: Self.kid) }
    }

    /// A sealed private key cannot be opened as bytes and sealed bytes cannot become a key.
    @Test func versionsDoNotCross() throws {
        let kek = try KeyEncryptionKey.generate()
        let sealedKey = try kek.seal(try PrivateKey.generate(.ec(.p256)), associatedData: Self.kid)
        let keyError = #expect(throws: CryptoError.self) { try kek.open(sealedKey, associatedData: Self.kid) }
        #expect(keyError?.code == .malformedSealedData)
        let sealedBytes = try kek.seal(bytes: [1, 2, 3], associatedData: Self.kid)
        let bytesError = #expect(throws: CryptoError.self) { try kek.unseal(sealedBytes, associatedData: Self.kid) }
        #expect(bytesError?.code == .malformedSealedData)
        // Relabelling the version byte breaks authentication.
        var relabelled = sealedBytes
        relabelled[0] = 0x01
        let relabelError = #expect(throws: CryptoError.self) { try kek.unseal(relabelled, associatedData: Self.kid) }
        #expect(relabelError?.code == .authenticationFailed)
    }

    @Test func bytesRoundTripIncludingEmpty() throws {
        let kek = try KeyEncryptionKey(bytes: [UInt8](repeating: 0x42, count: 32))
        for plaintext in [[], [0], Array("secret".utf8), [UInt8](repeating: 9, count: 4096)] {
            let sealed = try kek.seal(bytes: plaintext, associatedData: [])
            #expect(sealed.count == plaintext.count + 29)
            #expect(try kek.open(sealed, associatedData: []) == plaintext)
        }
    }

    @Test(arguments: [0, 16, 31, 33, 64])
    func keyLengthMustBe32(_ length: Int) {
        let error = #expect(throws: CryptoError.self) {
            try KeyEncryptionKey(bytes: [UInt8](repeating: 1, count: length))
        }
        #expect(error?.code == .invalidKeyLength)
    }
}
