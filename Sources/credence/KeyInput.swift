import ArgumentParser
import CredenceServer
import Foundation
import OpenSSLCrypto

#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// `--password-file` and `--password-env`: where the password of an encrypted private key or a
/// PKCS#12 file comes from. Never from an argument (the process list and the shell history
/// would show it); without either, it is asked for on the terminal when there is one.
struct PasswordOptions: ParsableArguments {
    @Option(
        name: .customLong("password-file"),
        help: ArgumentHelp(
            "File whose first line is the password of an encrypted key or PKCS#12 file.",
            valueName: "file"
        )
    )
    var passwordFile: String?

    @Option(
        name: .customLong("password-env"),
        help: ArgumentHelp(
            "Name of an environment variable holding that password (never the password itself).",
            valueName: "name"
        )
    )
    var passwordEnvironmentVariable: String?

    func validate() throws {
        if passwordFile != nil && passwordEnvironmentVariable != nil {
            throw ValidationError("give at most one of --password-file and --password-env")
        }
        if let name = passwordEnvironmentVariable, name.isEmpty || name.contains("=") {
            throw ValidationError("--password-env takes the NAME of an environment variable")
        }
    }

    /// The password source for `path`: the file's first line or the variable (read now, so
    /// that a missing one is a usage error), else a prompt on the terminal, asked only when the
    /// file turns out to be encrypted, or nothing.
    func source(for path: String) throws -> () -> Passphrase? {
        if let passwordFile {
            var bytes: [UInt8]
            switch ConfigurationFiles.read(passwordFile, maximumBytes: 4096) {
            case .success(let contents): bytes = contents.bytes
            case .failure(let error):
                throw usageFailure("--password-file \(passwordFile): cannot read: \(error.reason)")
            }
            if let newline = bytes.firstIndex(of: UInt8(ascii: "\n")) { bytes.removeSubrange(newline...) }
            if bytes.last == UInt8(ascii: "\r") { bytes.removeLast() }
            let passphrase = try Self.passphrase(&bytes, from: "--password-file \(passwordFile)")
            return { passphrase }
        }
        if let name = passwordEnvironmentVariable {
            guard let value = ProcessInfo.processInfo.environment[name] else {
                throw usageFailure("--password-env \(terminalSafe(name)): the variable is not set")
            }
            var bytes = Array(value.utf8)
            let passphrase = try Self.passphrase(&bytes, from: "--password-env \(terminalSafe(name))")
            return { passphrase }
        }
        return { isatty(STDIN_FILENO) == 1 ? Self.prompt("Password for \(path): ") : nil }
    }

    private static func passphrase(_ bytes: inout [UInt8], from what: String) throws -> Passphrase {
        do {
            return try Passphrase(consuming: &bytes)
        } catch {
            throw usageFailure("\(what): \(error.reason)")
        }
    }

    /// Reads one line from the terminal with echo off; `nil` without a terminal.
    private static func prompt(_ text: String) -> Passphrase? {
        let tty = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC)
        guard tty >= 0 else { return nil }
        defer { close(tty) }
        _ = Array(text.utf8).withUnsafeBytes { write(tty, $0.baseAddress, $0.count) }
        var saved = termios()
        let canSilence = tcgetattr(tty, &saved) == 0
        if canSilence {
            var silent = saved
            silent.c_lflag &= ~tcflag_t(ECHO)
            _ = tcsetattr(tty, TCSAFLUSH, &silent)
        }
        var bytes: [UInt8] = []
        var byte: UInt8 = 0
        while read(tty, &byte, 1) == 1, byte != UInt8(ascii: "\n"), bytes.count < 4096 { bytes.append(byte) }
        byte = 0
        if canSilence { _ = tcsetattr(tty, TCSAFLUSH, &saved) }
        _ = write(tty, "\n", 1)
        if bytes.last == UInt8(ascii: "\r") { bytes.removeLast() }
        return try? Passphrase(consuming: &bytes)
    }
}

/// Reading the key and certificate files of `credence jwks convert` and `credence ssa sign`: a
/// PEM or DER key (public, or private: PKCS#8 encrypted or not, PKCS#1, SEC1), a certificate
/// or chain, or a PKCS#12 file. Each failure names the file and the reason and exits 64 before
/// anything is written; no message quotes the file's material.
enum KeyFiles {
    static func read(_ path: String, option: String = "", password: PasswordOptions) throws -> KeyFile {
        let named = option.isEmpty ? path : "\(option) \(path)"
        let bytes: [UInt8]
        switch ConfigurationFiles.read(path, maximumBytes: KeyFile.maximumLength) {
        case .success(let contents): bytes = contents.bytes
        case .failure(let error): throw usageFailure("\(named): cannot read: \(error.reason)")
        }
        let source = try password.source(for: path)
        do {
            return try KeyFile(bytes, password: source)
        } catch  where error.code == .encryptedKey {
            throw usageFailure(
                "\(named): \(error.reason); give --password-file FILE or --password-env NAME (or run on a terminal to be asked)"
            )
        } catch  where error.code == .wrongPassword {
            throw usageFailure("\(named): wrong password: \(error.reason)")
        } catch  where error.code == .unsupportedKey {
            throw usageFailure("\(named): the key is refused: \(error.reason)")
        } catch {
            throw usageFailure("\(named): \(error.reason)")
        }
    }

    /// Refuses a certificate whose keyUsage excludes digitalSignature (it may not sign, so its
    /// key signs no statement); warns on standard error when it is outside its validity period.
    static func checkSigningCertificate(_ certificate: Certificate, file: String, option: String = "") throws {
        let named = option.isEmpty ? file : "\(option) \(file)"
        guard certificate.allowsDigitalSignature else {
            throw usageFailure(
                "\(named): the certificate's keyUsage does not allow digitalSignature (\(certificate.subject.rfc4514String)): its key is not for signing"
            )
        }
        switch certificate.validity(at: Date()) {
        case .valid: break
        case .expired:
            printError(
                "warning: \(named): the certificate expired at \(certificate.notValidAfter.formatted(.iso8601)); a server that trusts it refuses what its key signs"
            )
        case .notYetValid:
            printError(
                "warning: \(named): the certificate is not valid before \(certificate.notValidBefore.formatted(.iso8601))"
            )
        }
    }

    /// "an RSA 2048-bit key", "a P-256 key", "an Ed25519 key".
    static func describe(_ kind: KeyKind) -> String {
        switch kind {
        case .rsa(let bits): "an RSA \(bits)-bit key"
        case .ec(.p256): "a P-256 key"
        case .ec(.p384): "a P-384 key"
        case .ec(.p521): "a P-521 key"
        case .ed25519: "an Ed25519 key"
        }
    }
}
