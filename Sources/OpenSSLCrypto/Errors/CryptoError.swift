/// The one error type of `OpenSSLCrypto`: a stable ``Code`` for callers and tests, a safe
/// `description`, and details (OpenSSL's error queue, file and line) in `debugDescription`.
///
/// A signature that does not verify is not an error: `verify` returns `false`.
public struct CryptoError: Error, Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// What went wrong, as an opaque value that compares by identity of the failure kind.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        let name: String

        /// Key material (components, DER, PEM) could not be decoded into a key.
        public static let invalidKey = Code(name: "invalid_key")
        /// A PEM private key is encrypted (PKCS#8 `ENCRYPTED PRIVATE KEY`, or a traditional key
        /// with `Proc-Type: 4,ENCRYPTED`): no passphrase is ever asked for, so it cannot be read.
        public static let encryptedKey = Code(name: "encrypted_key")
        /// The password given does not open an encrypted private key or a PKCS#12 file (its MAC
        /// does not verify, or the key does not decrypt).
        public static let wrongPassword = Code(name: "wrong_password")
        /// A key is well formed but refused by policy (RSA below 2048 bits, an unsupported curve).
        public static let unsupportedKey = Code(name: "unsupported_key")
        /// The signature scheme does not fit the key (an ES256 scheme with an RSA key, ...).
        public static let keySchemeMismatch = Code(name: "key_scheme_mismatch")
        /// Signing failed inside OpenSSL.
        public static let signingFailed = Code(name: "signing_failed")
        /// Authenticated decryption failed: wrong key, tampered data or wrong associated data.
        public static let authenticationFailed = Code(name: "authentication_failed")
        /// Sealed data is malformed: too short, or an unknown format version.
        public static let malformedSealedData = Code(name: "malformed_sealed_data")
        /// A key-encryption key must be exactly 32 bytes.
        public static let invalidKeyLength = Code(name: "invalid_key_length")
        /// The operating system's random source failed.
        public static let randomFailed = Code(name: "random_failed")
        /// An OpenSSL call failed for a reason not covered above.
        public static let internalFailure = Code(name: "internal_failure")

        /// The stable wire name of the code.
        public var description: String { name }
    }

    /// The kind of failure; compare this, never the strings.
    public let code: Code
    /// A message safe to show or log: never key material.
    public let reason: String
    let detail: String
    let file: String
    let line: Int

    init(_ code: Code, _ reason: String, detail: String = "", file: String = #fileID, line: Int = #line) {
        self.code = code
        self.reason = reason
        self.detail = detail
        self.file = file
        self.line = line
    }

    /// A safe, short description: the code and the reason.
    public var description: String { "CryptoError.\(code): \(reason)" }

    /// The description plus OpenSSL's queued errors and the place the error was raised.
    public var debugDescription: String {
        var text = "CryptoError.\(code): \(reason) (\(file):\(line))"
        if !detail.isEmpty { text += " [\(detail)]" }
        return text
    }
}

extension CryptoError {
    static func invalidKey(_ reason: String, file: String = #fileID, line: Int = #line) -> CryptoError {
        CryptoError(.invalidKey, reason, detail: OpenSSLErrorQueue.drain(), file: file, line: line)
    }
    static func unsupportedKey(_ reason: String, file: String = #fileID, line: Int = #line) -> CryptoError {
        CryptoError(.unsupportedKey, reason, detail: OpenSSLErrorQueue.drain(), file: file, line: line)
    }
    static func wrongPassword(_ reason: String, file: String = #fileID, line: Int = #line) -> CryptoError {
        CryptoError(.wrongPassword, reason, detail: OpenSSLErrorQueue.drain(), file: file, line: line)
    }
    static func encryptedKey(_ reason: String, file: String = #fileID, line: Int = #line) -> CryptoError {
        CryptoError(.encryptedKey, reason, detail: OpenSSLErrorQueue.drain(), file: file, line: line)
    }
    static func keySchemeMismatch(_ reason: String, file: String = #fileID, line: Int = #line) -> CryptoError {
        CryptoError(.keySchemeMismatch, reason, file: file, line: line)
    }
    static func signingFailed(_ reason: String, file: String = #fileID, line: Int = #line) -> CryptoError {
        CryptoError(.signingFailed, reason, detail: OpenSSLErrorQueue.drain(), file: file, line: line)
    }
    static func authenticationFailed(file: String = #fileID, line: Int = #line) -> CryptoError {
        CryptoError(
            .authenticationFailed,
            "authenticated decryption failed (wrong key, tampered data or wrong associated data)",
            detail: OpenSSLErrorQueue.drain(),
            file: file,
            line: line
        )
    }
    static func malformedSealedData(_ reason: String, file: String = #fileID, line: Int = #line) -> CryptoError {
        CryptoError(.malformedSealedData, reason, file: file, line: line)
    }
    static func internalFailure(_ reason: String, file: String = #fileID, line: Int = #line) -> CryptoError {
        CryptoError(.internalFailure, reason, detail: OpenSSLErrorQueue.drain(), file: file, line: line)
    }
}
