internal import COpenSSL
import Foundation

/// A password that opens an encrypted private key or a PKCS#12 file: held in wiped memory,
/// never printed, and handed to OpenSSL only.
public struct Passphrase: Sendable, CustomStringConvertible {
    /// The bytes and a terminating NUL (OpenSSL's PKCS#12 calls take C strings).
    let secret: SecretBytes
    /// The password's length, without the NUL.
    let count: Int

    /// Copies `bytes` and overwrites the caller's array with zeros. A password holding a NUL
    /// byte cannot be given to OpenSSL and is refused.
    public init(consuming bytes: inout [UInt8]) throws(CryptoError) {
        defer { for index in bytes.indices { bytes[index] = 0 } }
        guard !bytes.contains(0) else {
            throw CryptoError(.invalidKey, "a password cannot contain a NUL byte")
        }
        let secret = SecretBytes(count: bytes.count + 1)
        secret.withMutableBytes { buffer in
            for (index, byte) in bytes.enumerated() { buffer[index] = byte }
            buffer[bytes.count] = 0
        }
        self.secret = secret
        self.count = bytes.count
    }

    /// Never the password.
    public var description: String { "Passphrase(\(count) bytes)" }

    /// Runs `body` with the NUL-terminated password and its length.
    func withCString<R>(_ body: (UnsafePointer<CChar>, Int32) -> R) -> R {
        secret.withBytes { buffer in
            buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buffer.count) { body($0, Int32(count)) }
        }
    }
}

/// The keys and certificates of one file an operator hands over, whatever its form: a PEM or
/// DER public key (SubjectPublicKeyInfo, RFC 5280 §4.1.2.7, or PKCS#1 `RSA PUBLIC KEY`), a PEM
/// or DER certificate (a PEM file may hold its chain), a PEM or DER private key (PKCS#8,
/// RFC 5958, encrypted or not; PKCS#1 RSA; SEC1 EC, RFC 5915), or a PKCS#12 file (RFC 7292).
///
/// Every key passes the policy of ``PublicKey`` (RSA 2048–8192 bits, the JOSE curves, no
/// degenerate key). A password is asked for (through the closure) only when the file is
/// encrypted; a wrong one is ``CryptoError/Code/wrongPassword``, none at all
/// ``CryptoError/Code/encryptedKey``. Nothing of the file's material appears in an error.
public struct KeyFile: Sendable {
    /// How the file was encoded, for messages.
    public enum Form: String, Sendable, Hashable {
        case privateKeyPEM = "PEM private key"
        case privateKeyDER = "DER private key"
        case publicKeyPEM = "PEM public key"
        case publicKeyDER = "DER public key"
        case certificatePEM = "PEM certificate"
        case certificateDER = "DER certificate"
        case pkcs12 = "PKCS#12 file"
    }

    /// What the file was.
    public let form: Form
    /// The private key, for the private-key forms and a PKCS#12 file that holds one.
    public let privateKey: PrivateKey?
    /// The public key: of the private key, of the key file, or of the first certificate.
    public let publicKey: PublicKey
    /// The certificates, the one of ``publicKey`` first (then its chain in the file's order);
    /// empty for the bare key forms.
    public let certificates: [Certificate]

    /// The largest file read (a PKCS#12 file with a long chain is a few tens of KiB).
    public static let maximumLength = 1 << 20

    private static let privateKeyLabels: Set<String> = [
        "PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY", "ENCRYPTED PRIVATE KEY",
    ]

    /// Reads `bytes`; `password` is called at most once, and only for an encrypted file.
    public init(_ bytes: [UInt8], password: () -> Passphrase?) throws(CryptoError) {
        guard !bytes.isEmpty else { throw CryptoError(.invalidKey, "the file is empty") }
        guard bytes.count <= Self.maximumLength else {
            throw CryptoError(.invalidKey, "the file is larger than \(Self.maximumLength) bytes")
        }
        var result: Result<KeyFile, CryptoError>?
        withoutActuallyEscaping(password) { escapable in
            let asker = PasswordAsker(escapable)
            do throws(CryptoError) {
                if let blocks = PEMBlocks(bytes) {
                    result = .success(try KeyFile(pem: bytes, blocks: blocks, asker: asker))
                } else {
                    result = .success(try KeyFile(der: bytes, asker: asker))
                }
            } catch {
                result = .failure(error)
            }
        }
        self = try result!.get()
    }

    private init(form: Form, privateKey: PrivateKey?, publicKey: PublicKey, certificates: [Certificate]) {
        self.form = form
        self.privateKey = privateKey
        self.publicKey = publicKey
        self.certificates = certificates
    }

    // MARK: - PEM

    private init(pem bytes: [UInt8], blocks: PEMBlocks, asker: PasswordAsker) throws(CryptoError) {
        let certificates = try blocks.certificates()
        let privateLabels = blocks.labels.filter { Self.privateKeyLabels.contains($0) }
        if !privateLabels.isEmpty {
            guard privateLabels.count == 1 else {
                throw CryptoError(.invalidKey, "the file holds more than one private key")
            }
            let encrypted =
                privateLabels[0] == "ENCRYPTED PRIVATE KEY"
                || bytes.firstRange(of: Array("Proc-Type: 4,ENCRYPTED".utf8)) != nil
            let key = try Self.readPEMPrivateKey(bytes, encrypted: encrypted, asker: asker)
            self.init(
                form: .privateKeyPEM,
                privateKey: key,
                publicKey: key.publicKey,
                certificates: try Self.leafFirst(certificates, for: key.publicKey)
            )
            return
        }
        if blocks.labels.contains("PUBLIC KEY") || blocks.labels.contains("RSA PUBLIC KEY") {
            guard blocks.labels.filter({ $0.hasSuffix("PUBLIC KEY") }).count == 1 else {
                throw CryptoError(.invalidKey, "the file holds more than one public key")
            }
            let key =
                blocks.labels.contains("PUBLIC KEY")
                ? try PublicKey(pem: String(decoding: bytes, as: UTF8.self))
                : try Self.decodeRSAPublicKeyPEM(bytes)
            self.init(
                form: .publicKeyPEM,
                privateKey: nil,
                publicKey: key,
                certificates: try Self.leafFirst(certificates, for: key)
            )
            return
        }
        guard let first = certificates.first else {
            let label = blocks.labels.first ?? ""
            throw CryptoError(
                .invalidKey,
                "the PEM block \(label.isEmpty ? "" : "\(Self.printable(label)) ")is not a key or certificate"
            )
        }
        self.init(form: .certificatePEM, privateKey: nil, publicKey: try first.publicKey(), certificates: certificates)
    }

    private static func readPEMPrivateKey(
        _ bytes: [UInt8],
        encrypted: Bool,
        asker: PasswordAsker
    ) throws(CryptoError) -> PrivateKey {
        var passphrase: Passphrase?
        if encrypted {
            guard let given = asker.ask() else {
                throw .encryptedKey("the private key is encrypted (password-protected) and no password was given")
            }
            passphrase = given
        }
        let pointer: OpaquePointer? = withPassword(passphrase) { context in
            withNonNullBytes(bytes) { base, count in
                guard let bio = BIO_new_mem_buf(base, Int32(count)) else { return nil }
                defer { BIO_free(bio) }
                return PEM_read_bio_PrivateKey(bio, nil, passwordCallback, context)
            }
        }
        guard let pointer else {
            if encrypted { throw .wrongPassword("the password does not decrypt the private key") }
            throw .invalidKey("the PEM private key does not decode")
        }
        OpenSSLErrorQueue.clear()
        return try PrivateKey(handle: EVPKey(taking: pointer))
    }

    private static func decodeRSAPublicKeyPEM(_ bytes: [UInt8]) throws(CryptoError) -> PublicKey {
        var key: OpaquePointer? = nil
        guard
            let context = OSSL_DECODER_CTX_new_for_pkey(
                &key,
                "PEM",
                nil,
                "RSA",
                COpenSSL_EVP_PKEY_PUBLIC_KEY(),
                nil,
                nil
            )
        else { throw .internalFailure("no OpenSSL decoder for RSA public keys") }
        defer { OSSL_DECODER_CTX_free(context) }
        let decoded: Bool = bytes.withUnsafeBufferPointer { buffer in
            var data: UnsafePointer<UInt8>? = buffer.baseAddress
            var length = buffer.count
            return OSSL_DECODER_from_data(context, &data, &length) == 1
        }
        guard decoded, let key else {
            if let key { EVP_PKEY_free(key) }
            throw .invalidKey("the PEM RSA PUBLIC KEY does not decode")
        }
        return try PublicKey(handle: EVPKey(taking: key))
    }

    // MARK: - DER

    private init(der bytes: [UInt8], asker: PasswordAsker) throws(CryptoError) {
        if Self.parsesCompletely(bytes, { d2i_X509(nil, &$0, $1).map { X509_free($0) } != nil }) {
            let certificate: Certificate
            do {
                certificate = try Certificate(derEncoded: bytes)
            } catch {
                throw CryptoError(.invalidKey, "the DER certificate is not usable: \(error)")
            }
            self.init(
                form: .certificateDER,
                privateKey: nil,
                publicKey: try certificate.publicKey(),
                certificates: [certificate]
            )
            return
        }
        if Self.parsesCompletely(bytes, { d2i_PUBKEY(nil, &$0, $1).map { EVP_PKEY_free($0) } != nil }) {
            self.init(
                form: .publicKeyDER,
                privateKey: nil,
                publicKey: try PublicKey(subjectPublicKeyInfoDER: bytes),
                certificates: []
            )
            return
        }
        if Self.parsesCompletely(bytes, { d2i_PKCS12(nil, &$0, $1).map { PKCS12_free($0) } != nil }) {
            try self.init(pkcs12: bytes, asker: asker)
            return
        }
        if Self.parsesCompletely(bytes, { d2i_X509_SIG(nil, &$0, $1).map { X509_SIG_free($0) } != nil }) {
            // PKCS#8 EncryptedPrivateKeyInfo (RFC 5958 §3).
            guard let passphrase = asker.ask() else {
                throw .encryptedKey("the private key is encrypted (password-protected) and no password was given")
            }
            let pointer: OpaquePointer? = withPassword(passphrase) { context in
                bytes.withUnsafeBufferPointer { buffer in
                    guard let bio = BIO_new_mem_buf(buffer.baseAddress, Int32(buffer.count)) else { return nil }
                    defer { BIO_free(bio) }
                    return d2i_PKCS8PrivateKey_bio(bio, nil, passwordCallback, context)
                }
            }
            guard let pointer else { throw .wrongPassword("the password does not decrypt the private key") }
            OpenSSLErrorQueue.clear()
            let key = try PrivateKey(handle: EVPKey(taking: pointer))
            self.init(form: .privateKeyDER, privateKey: key, publicKey: key.publicKey, certificates: [])
            return
        }
        // PKCS#8 PrivateKeyInfo, PKCS#1 RSAPrivateKey or SEC1 ECPrivateKey.
        var parsed: OpaquePointer? = nil
        let complete = Self.parsesCompletely(bytes) { cursor, count in
            parsed = d2i_AutoPrivateKey(nil, &cursor, count)
            return parsed != nil
        }
        guard let pointer = parsed else {
            OpenSSLErrorQueue.clear()
            throw CryptoError(
                .invalidKey,
                "not a key, certificate or PKCS#12 file (PEM or DER: PUBLIC KEY, CERTIFICATE, PRIVATE KEY, RSA/EC PRIVATE KEY, ENCRYPTED PRIVATE KEY, PKCS#12)"
            )
        }
        let handle = EVPKey(taking: pointer)
        guard complete else { throw .invalidKey("bytes after the DER private key") }
        OpenSSLErrorQueue.clear()
        let key = try PrivateKey(handle: handle)
        self.init(form: .privateKeyDER, privateKey: key, publicKey: key.publicKey, certificates: [])
    }

    // MARK: - PKCS#12

    private init(pkcs12 bytes: [UInt8], asker: PasswordAsker) throws(CryptoError) {
        let parsed: OpaquePointer? = bytes.withUnsafeBufferPointer { buffer in
            var cursor: UnsafePointer<UInt8>? = buffer.baseAddress
            return d2i_PKCS12(nil, &cursor, buffer.count)
        }
        guard let p12 = parsed else { throw .invalidKey("the PKCS#12 file does not decode") }
        defer { PKCS12_free(p12) }
        // A file without a password (RFC 7292 allows an empty one, NULL or "" in OpenSSL).
        var passphrase: Passphrase?
        if PKCS12_mac_present(p12) == 1, PKCS12_verify_mac(p12, nil, 0) != 1, PKCS12_verify_mac(p12, "", 0) != 1 {
            OpenSSLErrorQueue.clear()
            guard let given = asker.ask() else {
                throw .encryptedKey("the PKCS#12 file is password-protected and no password was given")
            }
            guard given.withCString({ PKCS12_verify_mac(p12, $0, $1) }) == 1 else {
                throw .wrongPassword("the password does not open the PKCS#12 file (its MAC does not verify)")
            }
            passphrase = given
        }
        OpenSSLErrorQueue.clear()
        var keyPointer: OpaquePointer? = nil
        var certificatePointer: OpaquePointer? = nil
        var others: OpaquePointer? = nil
        let parsedOK: Bool =
            if let passphrase {
                passphrase.withCString { password, _ in
                    PKCS12_parse(p12, password, &keyPointer, &certificatePointer, &others) == 1
                }
            } else {
                PKCS12_parse(p12, nil, &keyPointer, &certificatePointer, &others) == 1
            }
        let key = keyPointer.map(EVPKey.init(taking:))
        defer {
            if let certificatePointer { X509_free(certificatePointer) }
            if let others { COpenSSL_sk_X509_pop_free(others) }
        }
        guard parsedOK else {
            throw .invalidKey(
                "the PKCS#12 file's contents do not decrypt (a legacy algorithm such as RC2-40? export it again with OpenSSL 3's `openssl pkcs12 -export`)"
            )
        }
        var certificates: [Certificate] = []
        do {
            if let certificatePointer { certificates.append(try Self.certificate(certificatePointer)) }
            if let others {
                for index in 0..<COpenSSL_sk_X509_num(others) {
                    if let x509 = COpenSSL_sk_X509_value(others, index) {
                        certificates.append(try Self.certificate(x509))
                    }
                }
            }
        } catch {
            throw CryptoError(.invalidKey, "a certificate in the PKCS#12 file is not usable: \(error)")
        }
        if let key {
            let privateKey = try PrivateKey(handle: key)
            self.init(
                form: .pkcs12,
                privateKey: privateKey,
                publicKey: privateKey.publicKey,
                certificates: Self.chainOrder(try Self.leafFirst(certificates, for: privateKey.publicKey))
            )
        } else {
            guard let first = certificates.first else {
                throw .invalidKey("the PKCS#12 file holds neither a key nor a certificate")
            }
            self.init(
                form: .pkcs12,
                privateKey: nil,
                publicKey: try first.publicKey(),
                certificates: Self.chainOrder(certificates)
            )
        }
    }

    private static func certificate(_ x509: OpaquePointer) throws -> Certificate {
        guard let der = X509DER.encode({ i2d_X509(x509, $0) }) else {
            throw CertificateError.openSSL(.malformedDER, "the certificate does not encode")
        }
        return try Certificate(derEncoded: der)
    }

    // MARK: - Helpers

    /// `certificates` with the one whose key is `key` first; empty stays empty; none of them
    /// for that key is an error (a key file with someone else's certificate).
    private static func leafFirst(
        _ certificates: [Certificate],
        for key: PublicKey
    ) throws(CryptoError) -> [Certificate] {
        guard !certificates.isEmpty else { return [] }
        let info = try key.subjectPublicKeyInfoDER()
        guard let index = certificates.firstIndex(where: { $0.subjectPublicKeyInfoDER == info }) else {
            throw CryptoError(.invalidKey, "no certificate in the file is for its key")
        }
        var ordered = certificates
        ordered.insert(ordered.remove(at: index), at: 0)
        return ordered
    }

    /// The leaf, then each certificate's issuer where the file holds it, then the rest.
    private static func chainOrder(_ certificates: [Certificate]) -> [Certificate] {
        guard var current = certificates.first else { return [] }
        var ordered = [current]
        var rest = Array(certificates.dropFirst())
        while !current.isSelfIssued, let index = rest.firstIndex(where: { $0.subject == current.issuer }) {
            current = rest.remove(at: index)
            ordered.append(current)
        }
        return ordered + rest
    }

    /// Whether `parse` accepts `bytes` and consumes every one of them.
    private static func parsesCompletely(
        _ bytes: [UInt8],
        _ parse: (inout UnsafePointer<UInt8>?, Int) -> Bool
    ) -> Bool {
        let result: Bool = bytes.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return false }
            var cursor: UnsafePointer<UInt8>? = base
            guard parse(&cursor, buffer.count), let end = cursor else { return false }
            return end - base == buffer.count
        }
        OpenSSLErrorQueue.clear()
        return result
    }

    static func printable(_ text: String) -> String {
        String(
            text.unicodeScalars.prefix(40).map {
                $0.isASCII && $0.value >= 0x20 && $0.value < 0x7F ? Character($0) : "?"
            }
        )
    }
}

/// Asks for the password at most once.
private final class PasswordAsker {
    private let source: () -> Passphrase?
    private var asked = false
    private var answer: Passphrase?

    /// `source` must not outlive the ``KeyFile`` initializer that made this object.
    init(_ source: @escaping () -> Passphrase?) {
        self.source = source
    }

    func ask() -> Passphrase? {
        if !asked {
            answer = source()
            asked = true
        }
        return answer
    }
}

/// The password handed to OpenSSL's `pem_password_cb` through its user-data pointer.
private struct PasswordContext {
    var password: UnsafePointer<CChar>?
    var count: Int32
}

/// Runs `body` with a context pointer for ``passwordCallback``: the password, or none (the
/// callback then refuses, so OpenSSL never prompts on the terminal itself).
private func withPassword<R>(_ passphrase: Passphrase?, _ body: (UnsafeMutableRawPointer) -> R) -> R {
    guard let passphrase else {
        var context = PasswordContext(password: nil, count: 0)
        return withUnsafeMutablePointer(to: &context) { body(UnsafeMutableRawPointer($0)) }
    }
    return passphrase.withCString { password, count in
        var context = PasswordContext(password: password, count: count)
        return withUnsafeMutablePointer(to: &context) { body(UnsafeMutableRawPointer($0)) }
    }
}

/// OpenSSL's `pem_password_cb`: copies the context's password, or refuses (-1).
private let passwordCallback:
    @convention(c) (UnsafeMutablePointer<CChar>?, Int32, Int32, UnsafeMutableRawPointer?)
        -> Int32 = { buffer, size, _, user in
            guard let buffer, let user else { return -1 }
            let context = user.assumingMemoryBound(to: PasswordContext.self).pointee
            guard let password = context.password, context.count <= size else { return -1 }
            buffer.update(from: password, count: Int(context.count))
            return context.count
        }

/// The PEM armour of a file (RFC 7468): its block labels, and its certificates. `nil` when the
/// file has no BEGIN line (then it is DER).
private struct PEMBlocks {
    let labels: [String]
    private let certificateBodies: [[UInt8]]

    init?(_ bytes: [UInt8]) {
        guard bytes.firstRange(of: Array("-----BEGIN ".utf8)) != nil else { return nil }
        var labels: [String] = []
        var bodies: [[UInt8]] = []
        var current: [UInt8]?
        for raw in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            let line = String(decoding: raw, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            if line.hasPrefix("-----BEGIN "), line.hasSuffix("-----"), line.count > 16 {
                let label = String(line.dropFirst(11).dropLast(5))
                labels.append(label)
                current = label == "CERTIFICATE" ? [] : nil
            } else if line.hasPrefix("-----END ") {
                if let body = current { bodies.append(body) }
                current = nil
            } else if current != nil {
                current?.append(contentsOf: Array(line.utf8))
            }
        }
        self.labels = labels
        self.certificateBodies = bodies
    }

    func certificates() throws(CryptoError) -> [Certificate] {
        var result: [Certificate] = []
        for body in certificateBodies {
            guard let der = X509PEM.Base64.decode(body) else {
                throw CryptoError(.invalidKey, "a PEM certificate's body is not base64")
            }
            do {
                result.append(try Certificate(derEncoded: der))
            } catch {
                throw CryptoError(.invalidKey, "a certificate in the file is not usable: \(error)")
            }
        }
        return result
    }
}
