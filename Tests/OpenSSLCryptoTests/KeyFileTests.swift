import Foundation
import OpenSSLToolSupport
import Testing

@testable import OpenSSLCrypto

/// Files made by the openssl command line at test time (nothing committed): one key pair of
/// each kind in every form an operator may hold it, and the refusals.
final class OpenSSLFiles: Sendable {
    let directory: String

    /// The process's files, or `nil` when openssl is missing or failed (the tests then fail).
    static let shared: OpenSSLFiles? = try? OpenSSLFiles()

    static let password = "correct horse battery"

    private init() throws {
        directory = "/tmp/openssl-keyfile-\(getpid())"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(atPath: "/tmp/openssl-keyfile-\(getpid())") }
        let password = "pass:\(Self.password)"
        try run("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", path("rsa.pem"))
        try run("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", path("ec.pem"))
        try run("genrsa", "-traditional", "-out", path("rsa-pkcs1.pem"), "2048")
        try run("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", path("ec-sec1.pem"))
        try run("genrsa", "-out", path("rsa1024.pem"), "1024")
        try run("pkey", "-in", path("rsa.pem"), "-outform", "DER", "-out", path("rsa.der"))
        try run("rsa", "-in", path("rsa-pkcs1.pem"), "-traditional", "-outform", "DER", "-out", path("rsa-pkcs1.der"))
        try run("ec", "-in", path("ec-sec1.pem"), "-outform", "DER", "-out", path("ec-sec1.der"))
        try run("pkey", "-in", path("ec.pem"), "-pubout", "-out", path("ec-public.pem"))
        try run("pkey", "-in", path("ec.pem"), "-pubout", "-outform", "DER", "-out", path("ec-public.der"))
        try run("rsa", "-in", path("rsa.pem"), "-RSAPublicKey_out", "-out", path("rsa-pkcs1-public.pem"))
        try run("pkey", "-in", path("ec.pem"), "-aes256", "-passout", password, "-out", path("ec-encrypted.pem"))
        try run(
            "pkcs8",
            "-topk8",
            "-in",
            path("rsa.pem"),
            "-v2",
            "aes256",
            "-passout",
            password,
            "-outform",
            "DER",
            "-out",
            path("rsa-encrypted.der")
        )
        try run(
            "ec",
            "-in",
            path("ec-sec1.pem"),
            "-aes256",
            "-passout",
            password,
            "-out",
            path("ec-legacy-encrypted.pem")
        )
        // A CA, the signer it issues (digitalSignature), and a certificate without it.
        try run(
            "req",
            "-x509",
            "-new",
            "-key",
            path("ec.pem"),
            "-subj",
            "/CN=KeyFile Test CA",
            "-days",
            "2",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign",
            "-out",
            path("ca.pem")
        )
        try run(
            "req",
            "-x509",
            "-new",
            "-key",
            path("rsa.pem"),
            "-subj",
            "/CN=KeyFile Test Signer",
            "-days",
            "2",
            "-CA",
            path("ca.pem"),
            "-CAkey",
            path("ec.pem"),
            "-addext",
            "keyUsage=critical,digitalSignature",
            "-out",
            path("signer.pem")
        )
        try run("x509", "-in", path("signer.pem"), "-outform", "DER", "-out", path("signer.der"))
        try run(
            "req",
            "-x509",
            "-new",
            "-key",
            path("rsa.pem"),
            "-subj",
            "/CN=KeyFile Test Encipherment",
            "-days",
            "2",
            "-addext",
            "keyUsage=critical,keyEncipherment",
            "-out",
            path("encipherment.pem")
        )
        try run(
            "req",
            "-x509",
            "-new",
            "-key",
            path("rsa1024.pem"),
            "-subj",
            "/CN=Weak",
            "-days",
            "2",
            "-out",
            path("weak.pem")
        )
        try
            (String(contentsOfFile: path("signer.pem"), encoding: .utf8)
            + String(contentsOfFile: path("ca.pem"), encoding: .utf8))
            .write(toFile: path("signer-chain.pem"), atomically: true, encoding: .utf8)
        // PKCS#12 as OpenSSL 3 exports it (AES-256-CBC, PBKDF2), with the chain; one without
        // a password; one holding only certificates.
        try run(
            "pkcs12",
            "-export",
            "-inkey",
            path("rsa.pem"),
            "-in",
            path("signer.pem"),
            "-certfile",
            path("ca.pem"),
            "-name",
            "signer",
            "-passout",
            password,
            "-out",
            path("signer.p12")
        )
        try run(
            "pkcs12",
            "-export",
            "-inkey",
            path("ec.pem"),
            "-in",
            path("ca.pem"),
            "-passout",
            "pass:",
            "-out",
            path("no-password.p12")
        )
        try run(
            "pkcs12",
            "-export",
            "-nokeys",
            "-in",
            path("signer.pem"),
            "-passout",
            password,
            "-out",
            path("certificates-only.p12")
        )
    }

    func path(_ name: String) -> String { "\(directory)/\(name)" }

    func bytes(_ name: String) throws -> [UInt8] { Array(try Data(contentsOf: URL(fileURLWithPath: path(name)))) }

    private func run(_ arguments: String...) throws {
        try OpenSSLTool.run(arguments)
    }
}

@Suite struct KeyFileTests {
    static func files() throws -> OpenSSLFiles {
        try #require(OpenSSLFiles.shared, "openssl could not make the test files")
    }

    static func passphrase(_ text: String = OpenSSLFiles.password) -> Passphrase {
        var bytes = Array(text.utf8)
        return try! Passphrase(consuming: &bytes)
    }

    static func read(_ name: String, password: String? = nil) throws -> KeyFile {
        let files = try files()
        return try KeyFile(try files.bytes(name), password: { password.map { passphrase($0) } })
    }

    /// The SubjectPublicKeyInfo of the named private key file, as openssl reads it.
    static func spki(_ name: String) throws -> [UInt8] {
        try read(name).publicKey.subjectPublicKeyInfoDER()
    }

    @Test(arguments: [
        ("rsa.pem", KeyFile.Form.privateKeyPEM, "rsa.pem", true),
        ("rsa-pkcs1.pem", .privateKeyPEM, "rsa-pkcs1.pem", true),
        ("ec-sec1.pem", .privateKeyPEM, "ec-sec1.pem", true),
        ("rsa.der", .privateKeyDER, "rsa.pem", true),
        ("rsa-pkcs1.der", .privateKeyDER, "rsa-pkcs1.pem", true),
        ("ec-sec1.der", .privateKeyDER, "ec-sec1.pem", true),
        ("ec-public.pem", .publicKeyPEM, "ec.pem", false),
        ("ec-public.der", .publicKeyDER, "ec.pem", false),
        ("rsa-pkcs1-public.pem", .publicKeyPEM, "rsa.pem", false),
        ("signer.pem", .certificatePEM, "rsa.pem", false),
        ("signer.der", .certificateDER, "rsa.pem", false),
    ])
    func eachUnencryptedFormGivesTheKey(file: String, form: KeyFile.Form, keyOf: String, isPrivate: Bool) throws {
        let read = try Self.read(file)
        #expect(read.form == form)
        #expect(try read.publicKey.subjectPublicKeyInfoDER() == Self.spki(keyOf))
        #expect((read.privateKey != nil) == isPrivate)
        #expect(OpenSSLErrorQueue.isEmpty)
    }

    @Test func aPrivateKeyFromAFileSignsForItsPublicKey() throws {
        for file in ["rsa-pkcs1.der", "ec-sec1.der", "signer.p12"] {
            let read = try Self.read(file, password: OpenSSLFiles.password)
            let key = try #require(read.privateKey)
            let scheme: SignatureScheme = if case .rsa = key.kind { .rsaPSS(.sha256) } else { .ecdsa(.sha256) }
            let signature = try key.sign(message: Array("message".utf8), scheme: scheme)
            #expect(read.publicKey.verify(signature: signature, message: Array("message".utf8), scheme: scheme))
        }
    }

    @Test(arguments: ["ec-encrypted.pem", "rsa-encrypted.der", "ec-legacy-encrypted.pem"])
    func encryptedKeysOpenWithTheirPasswordOnly(_ file: String) throws {
        let read = try Self.read(file, password: OpenSSLFiles.password)
        #expect(read.privateKey != nil)
        let none = #expect(throws: CryptoError.self) { try Self.read(file) }
        #expect(none?.code == .encryptedKey)
        let wrong = #expect(throws: CryptoError.self) { try Self.read(file, password: "wrong") }
        #expect(wrong?.code == .wrongPassword)
        #expect(OpenSSLErrorQueue.isEmpty)
    }

    @Test func pkcs12GivesTheKeyAndTheChainLeafFirst() throws {
        let read = try Self.read("signer.p12", password: OpenSSLFiles.password)
        #expect(read.form == .pkcs12)
        #expect(try read.publicKey.subjectPublicKeyInfoDER() == Self.spki("rsa.pem"))
        let files = try Self.files()
        let signer = try Certificate(pemEncoded: String(contentsOfFile: files.path("signer.pem"), encoding: .utf8))
        let ca = try Certificate(pemEncoded: String(contentsOfFile: files.path("ca.pem"), encoding: .utf8))
        #expect(read.certificates == [signer, ca])
    }

    @Test func pkcs12RefusesAWrongOrMissingPassword() throws {
        let wrong = #expect(throws: CryptoError.self) { try Self.read("signer.p12", password: "wrong") }
        #expect(wrong?.code == .wrongPassword)
        let none = #expect(throws: CryptoError.self) { try Self.read("signer.p12") }
        #expect(none?.code == .encryptedKey)
        #expect(OpenSSLErrorQueue.isEmpty)
    }

    @Test func pkcs12WithoutAPasswordNeverAsksForOne() throws {
        let files = try Self.files()
        var asked = false
        let read = try KeyFile(
            try files.bytes("no-password.p12"),
            password: {
                asked = true
                return nil
            }
        )
        #expect(!asked)
        #expect(read.privateKey != nil)
        #expect(try read.publicKey.subjectPublicKeyInfoDER() == Self.spki("ec.pem"))
    }

    @Test func pkcs12WithCertificatesOnlyGivesThePublicKey() throws {
        let read = try Self.read("certificates-only.p12", password: OpenSSLFiles.password)
        #expect(read.privateKey == nil)
        #expect(read.certificates.count == 1)
        #expect(try read.publicKey.subjectPublicKeyInfoDER() == Self.spki("rsa.pem"))
    }

    @Test func aPEMChainKeepsItsOrder() throws {
        let read = try Self.read("signer-chain.pem")
        #expect(read.certificates.count == 2)
        #expect(read.certificates[0].allowsDigitalSignature)
        #expect(read.certificates[1].isCA)
    }

    @Test(arguments: ["rsa1024.pem", "weak.pem"])
    func rsaBelow2048BitsIsRefused(_ file: String) throws {
        let error = #expect(throws: CryptoError.self) { try Self.read(file) }
        #expect(error?.code == .unsupportedKey)
    }

    @Test func aDegenerateKeyIsRefused() throws {
        let pem = try Fixtures.data("keys/rsa-prime-modulus-public.pem")
        let error = #expect(throws: CryptoError.self) { try KeyFile(Array(pem), password: { nil }) }
        #expect(error?.code == .invalidKey)
        let der = try PublicKeyValidationTests.der(fromPEM: String(decoding: pem, as: UTF8.self))
        let fromDER = #expect(throws: CryptoError.self) { try KeyFile(der, password: { nil }) }
        #expect(fromDER?.code == .invalidKey)
    }

    @Test(arguments: [
        Array("".utf8), Array("not a key".utf8), [0x30, 0x03, 0x02, 0x01, 0x01],
        Array("-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n".utf8),
    ])
    func garbageIsRefused(_ bytes: [UInt8]) {
        let error = #expect(throws: CryptoError.self) { try KeyFile(bytes, password: { nil }) }
        #expect(error?.code == .invalidKey)
        #expect(OpenSSLErrorQueue.isEmpty)
    }

    @Test func certificateKeyUsageAndValidity() throws {
        let files = try Self.files()
        let signer = try Certificate(pemEncoded: String(contentsOfFile: files.path("signer.pem"), encoding: .utf8))
        let encipherment = try Certificate(
            pemEncoded: String(contentsOfFile: files.path("encipherment.pem"), encoding: .utf8)
        )
        #expect(signer.allowsDigitalSignature)
        #expect(!encipherment.allowsDigitalSignature)
        #expect(signer.validity(at: Date()) == .valid)
        #expect(signer.validity(at: signer.notValidAfter.addingTimeInterval(1)) == .expired)
        #expect(signer.validity(at: signer.notValidBefore.addingTimeInterval(-1)) == .notYetValid)
        #expect(signer.validity(at: signer.notValidAfter) == .valid)
    }

    @Test func aPassphraseWipesItsSourceAndNeverPrints() throws {
        var bytes = Array("secret".utf8)
        let passphrase = try Passphrase(consuming: &bytes)
        #expect(bytes == [0, 0, 0, 0, 0, 0])
        #expect(!passphrase.description.contains("secret"))
        var withNUL: [UInt8] = [0x61, 0, 0x62]
        #expect(throws: CryptoError.self) { try Passphrase(consuming: &withNUL) }
    }
}
