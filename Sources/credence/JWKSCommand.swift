import ArgumentParser
import CredenceJOSE
import CredenceJSON
import Foundation
import OpenSSLCrypto

/// `credence jwks`: JSON Web Key Sets (RFC 7517 §5) made from the keys and certificates an
/// operator holds, offline, so that nobody pastes a key into an online converter.
struct JWKSCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jwks",
        abstract: "JSON Web Key Sets from keys and certificates, offline.",
        subcommands: [Convert.self]
    )

    /// `credence jwks convert FILE...`: the public keys of the files as one JWK Set on standard
    /// output; never a private member, whatever the input.
    struct Convert: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Convert keys, certificates and PKCS#12 files to a public JWK Set (offline).",
            discussion: """
                Reads each FILE and prints one JWK Set (RFC 7517 §5) of their public keys on standard output, one key per file, in order. Nothing leaves the machine, and no private member (d, p, q...) is ever written: a private key or PKCS#12 file gives its public half.

                Each FILE is, in PEM or DER: a public key (BEGIN PUBLIC KEY, or PKCS#1 BEGIN RSA PUBLIC KEY); a certificate (its key; a PEM file may hold the chain, the key's certificate first); a private key (PKCS#8 BEGIN PRIVATE KEY or BEGIN ENCRYPTED PRIVATE KEY, PKCS#1 BEGIN RSA PRIVATE KEY, SEC1 BEGIN EC PRIVATE KEY); or a PKCS#12 file (.p12, .pfx). The password of an encrypted key or a PKCS#12 file comes from --password-file or --password-env, or is asked for on the terminal; never from an argument.

                Each key gets kid (--kid, else its RFC 7638 SHA-256 thumbprint), use (--use, default sig) and, with --alg, alg. With --x5c a key from a certificate also gets x5c (the chain, standard base64 DER, RFC 7517 §4.7) and x5t#S256 (RFC 7517 §4.9). A certificate whose keyUsage lacks digitalSignature is refused for use sig; one outside its validity period is converted with a warning.

                Refused, naming the file and the reason, with nothing written to standard output and exit status 64: an unreadable or unrecognised file, a wrong or missing password, an RSA key under 2048 bits or a degenerate key, a key that cannot do --alg, two files with the same kid.

                For example, the seed document's signing certificate as PKCS#12:

                  credence jwks convert --x5c --password-file signer.pass signer.p12 > signer.jwks
                """
        )

        @Argument(help: ArgumentHelp("Key, certificate or PKCS#12 files (PEM or DER).", valueName: "file"))
        var files: [String]

        @Option(
            name: .customLong("kid"),
            help: ArgumentHelp(
                "The kid of each FILE's key, in order (give one per FILE, or none for the thumbprints).",
                valueName: "kid"
            )
        )
        var keyIDs: [String] = []

        @Option(
            help: ArgumentHelp(
                "The alg member of every key (PS256, ES256, ...); refused for a key that cannot do it. Default: none.",
                valueName: "alg"
            )
        )
        var alg: String?

        @Option(help: ArgumentHelp("The use member: sig (default) or enc.", valueName: "use"))
        var use = "sig"

        @Flag(help: "Add x5c and x5t#S256 from each file's certificate (every FILE must hold one).")
        var x5c = false

        @OptionGroup var password: PasswordOptions

        func validate() throws {
            guard !files.isEmpty else { throw ValidationError("give at least one FILE") }
            if !keyIDs.isEmpty && keyIDs.count != files.count {
                throw ValidationError("give one --kid per FILE (\(files.count)), or none")
            }
            if keyIDs.contains(where: \.isEmpty) { throw ValidationError("--kid must not be empty") }
            guard use == "sig" || use == "enc" else { throw ValidationError("--use is sig or enc") }
        }

        func run() throws {
            var algorithm: JWSAlgorithm?
            if let alg {
                guard let parsed = JWSAlgorithm(rawValue: alg) else {
                    throw usageFailure(
                        "--alg \(terminalSafe(alg)) is not a public-key JWS algorithm (\(JWSAlgorithm.allCases.map(\.rawValue).joined(separator: ", ")))"
                    )
                }
                algorithm = parsed
            }
            var keys: [JSONValue] = []
            var kidFiles: [String: String] = [:]
            for (index, file) in files.enumerated() {
                let read = try KeyFiles.read(file, password: password)
                if let algorithm, !algorithm.fits(read.publicKey.kind) {
                    throw usageFailure(
                        "\(file) holds \(KeyFiles.describe(read.publicKey.kind)), which cannot do --alg \(algorithm)"
                    )
                }
                if let leaf = read.certificates.first, use == "sig" {
                    try KeyFiles.checkSigningCertificate(leaf, file: file)
                }
                let jwk = JWK(
                    publicKey: read.publicKey,
                    keyID: keyIDs.isEmpty ? nil : keyIDs[index],
                    use: use,
                    algorithm: algorithm
                )
                let keyID = jwk.keyID ?? jwk.thumbprintBase64URL()
                if let other = kidFiles[keyID] {
                    throw usageFailure("\(file): the kid \(keyID) is already that of \(other) (the same key twice?)")
                }
                kidFiles[keyID] = file
                var object = JWK(publicKey: read.publicKey, keyID: keyID, use: use, algorithm: algorithm).jsonObject
                if x5c {
                    guard let leaf = read.certificates.first else {
                        throw usageFailure(
                            "\(file): --x5c needs a certificate, and this \(read.form.rawValue) holds none"
                        )
                    }
                    object["x5c"] = .array(read.certificates.map { .string(Data($0.derEncoded).base64EncodedString()) })
                    object["x5t#S256"] = .string(Base64URL.encode(leaf.sha256Thumbprint))
                }
                keys.append(.object(object))
            }
            printJSON(.object(["keys": .array(keys)]))
        }
    }
}
