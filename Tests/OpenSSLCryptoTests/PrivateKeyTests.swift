import OpenSSLCrypto
import Testing

@Suite struct PrivateKeyTests {
    @Test(arguments: [KeyKind.rsa(bits: 1024), .rsa(bits: 1536), .rsa(bits: 16384)])
    func generateRefusesRSASizesOutsidePolicy(_ kind: KeyKind) {
        let error = #expect(throws: CryptoError.self) { try PrivateKey.generate(kind) }
        #expect(error?.code == .unsupportedKey)
    }

    @Test(arguments: [KeyKind.rsa(bits: 2048), .ec(.p256), .ec(.p384), .ec(.p521), .ed25519])
    func generateMakesTheRequestedKind(_ kind: KeyKind) throws {
        let key = try PrivateKey.generate(kind)
        #expect(key.kind == kind)
        #expect(key.publicKey.kind == kind)
    }

    @Test func pemImportSignsLikeTheOriginal() throws {
        let pem = """
            -----BEGIN PRIVATE KEY-----
            MC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g
            -----END PRIVATE KEY-----
            """
        // RFC 8037 §A.1 private key d = nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A, as PKCS#8.
        let key = try PrivateKey(pkcs8PEM: pem)
        #expect(key.kind == .ed25519)
        guard case .ed25519(let x) = key.publicKey.components else {
            Issue.record("not Ed25519")
            return
        }
        // RFC 8037 §A.2: x = 11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo
        #expect(x == [UInt8](hex: "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"))
    }

    @Test func rsa1024PEMIsRefused() throws {
        let pem = try Fixtures.string("keys/rsa1024-private.pem")
        let error = #expect(throws: CryptoError.self) { try PrivateKey(pkcs8PEM: pem) }
        #expect(error?.code == .unsupportedKey)
    }

    @Test func encryptedPEMIsRefusedWithoutPrompting() throws {
        let pem = try Fixtures.string("keys/p256-encrypted-private.pem")
        let error = #expect(throws: CryptoError.self) { try PrivateKey(pkcs8PEM: pem) }
        #expect(error?.code == .encryptedKey)
    }

    @Test func legacyEncryptedPEMIsRefusedAsEncrypted() {
        // `openssl ec -aes256` output: a traditional key with RFC 1421 encryption headers.
        let pem = """
            -----BEGIN EC PRIVATE KEY-----
            Proc-Type: 4,ENCRYPTED
            DEK-Info: AES-256-CBC,0123456789ABCDEF0123456789ABCDEF

            AAAA
            -----END EC PRIVATE KEY-----
            """
        let error = #expect(throws: CryptoError.self) { try PrivateKey(pkcs8PEM: pem) }
        #expect(error?.code == .encryptedKey)
    }

    @Test(arguments: ["", "garbage", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"])
    func garbagePEMIsRefused(_ pem: String) {
        let error = #expect(throws: CryptoError.self) { try PrivateKey(pkcs8PEM: pem) }
        #expect(error?.code == .invalidKey)
    }

    @Test func descriptionShowsNoMaterial() throws {
        let key = try PrivateKey.generate(.ec(.p256))
        #expect(String(describing: key) == "PrivateKey(ec(OpenSSLCrypto.EllipticCurve.p256))")
    }
}
