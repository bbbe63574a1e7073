import ArgumentParser
import CredenceCore
import CredenceJOSE
import CredenceJSON
import CredenceServer
import Foundation
import OpenSSLCrypto

/// `credence ssa`: software statements (RFC 7591 §2.3, Open Banking UK SSAs) for operators:
/// sign a test statement or signed registration request, and check one against the trust
/// registry of the configuration before a TPP tries it.
struct SSACommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ssa",
        abstract: "Software statements: sign a test one (development), check one against the trust registry.",
        subcommands: [Sign.self, SSACheckCommand.self]
    )

    /// `credence ssa sign`: a development helper that signs a software statement, or an Open
    /// Banking UK signed registration request around one, from a private key (PEM, DER or
    /// PKCS#12, as ``KeyFiles`` reads them) and claims.
    struct Sign: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Sign a test software statement or signed registration request (development helper).",
            discussion: """
                A DEVELOPMENT HELPER: it plays the directory (or, with --request, the TPP) so that a trust registry can be tried without one. Production statements are signed by the directory, never by the bank.

                Signs a JWT (header typ JWT, alg, kid, and with --x5c the certificate chain) with the private key of --key, in PEM or DER: PKCS#8 (BEGIN PRIVATE KEY, or BEGIN ENCRYPTED PRIVATE KEY), traditional PKCS#1 / SEC1 (BEGIN RSA PRIVATE KEY, BEGIN EC PRIVATE KEY), or a PKCS#12 file (.p12, .pfx) as the seed document's directory holds its signing certificate. The password of an encrypted key or a PKCS#12 file comes from --password-file FILE (its first line) or --password-env NAME, or is asked for on the terminal; never from an argument. A key whose certificate (in the PKCS#12 or PEM file) lacks digitalSignature is refused; an expired one signs with a warning. The claims are those of --claims FILE (a JSON object), then each --claim name=value (the value is read as JSON when it parses as JSON, else taken as a string: --claim software_roles='["AISP"]' --claim org_id=0015800001041RACAR), then iat = now, exp = now + --expires-in and jti = a random value, each only where not given. Prints the compact JWS on one line; key material is never printed.

                With --request, the JWT is an Open Banking UK signed registration request (POST /register as application/jwt) signed with the TPP's key: software_statement = the content of --statement FILE and iss = that statement's software_id, unless given; add --claim aud=ISSUER (the server's issuer identifier) and the client metadata (--claim token_endpoint_auth_method=private_key_jwt ...).

                For example, a directory key and statement:

                  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out directory.key
                  credence ssa sign --key directory.key --alg ES256 --kid dir-1 \\
                      --claim iss='Example Directory' --claim software_id=app-1 \\
                      --claim org_id=org-1 > ssa.jwt

                or with the directory's PKCS#12 signing certificate (kid: the key's thumbprint, as `credence jwks convert` and a signer_certificates entry name it):

                  credence ssa sign --key signer.p12 --password-file signer.pass \\
                      --claim iss='Example Directory' --claim software_id=app-1 > ssa.jwt

                Exit status: 0 printed; 64 unusable command line or file (unreadable key, a wrong or missing password, an RSA key under 2048 bits or a degenerate key, a key that cannot sign --alg, claims that are not a JSON object), with nothing on standard output.
                """
        )

        @Option(
            help: ArgumentHelp(
                "Private key to sign with (required): PEM or DER (PKCS#8, PKCS#1, SEC1) or PKCS#12.",
                valueName: "file"
            )
        )
        var key: String

        @OptionGroup var password: PasswordOptions

        @Option(
            help: ArgumentHelp(
                "Signing algorithm: PS256 (RSA key) or ES256 (P-256 key); RS256, PS384, ES384, EdDSA... also sign, to try refusals. Default: PS256 for an RSA key, ES256 for P-256.",
                valueName: "alg"
            )
        )
        var alg: String?

        @Option(
            help: ArgumentHelp(
                "The kid header (default: the RFC 7638 SHA-256 thumbprint of the public key).",
                valueName: "kid"
            )
        )
        var kid: String?

        @Option(
            help: ArgumentHelp(
                "Certificate chain to put in the x5c header, the key's own certificate first (statements only): PEM, DER or PKCS#12 (it may be the --key file).",
                valueName: "file"
            )
        )
        var x5c: String?

        @Option(help: ArgumentHelp("JSON object file with the claims.", valueName: "file"))
        var claims: String?

        @Option(
            name: .customLong("claim"),
            help: ArgumentHelp(
                "One claim, name=value (value: JSON when it parses, else a string); repeat it. Wins over --claims.",
                valueName: "name=value"
            )
        )
        var claimArguments: [String] = []

        @Option(
            help: ArgumentHelp("Seconds from now to exp, when exp is not given (default 600).", valueName: "seconds")
        )
        var expiresIn = 600

        @Flag(help: "Sign an Open Banking UK signed registration request embedding --statement.")
        var request = false

        @Option(help: ArgumentHelp("The software statement a --request embeds.", valueName: "file"))
        var statement: String?

        func validate() throws {
            guard (1...31_536_000).contains(expiresIn) else {
                throw ValidationError("--expires-in must be between 1 and 31536000 seconds")
            }
            if request && statement == nil { throw ValidationError("--request needs --statement FILE") }
            if !request && statement != nil { throw ValidationError("--statement is only used with --request") }
            if request && x5c != nil {
                throw ValidationError(
                    "--x5c cannot be used with --request: a signed request's key comes from its software statement"
                )
            }
        }

        func run() throws {
            let keyFile = try KeyFiles.read(key, option: "--key", password: password)
            guard let privateKey = keyFile.privateKey else {
                throw usageFailure("--key \(key): a \(keyFile.form.rawValue) holds no private key to sign with")
            }
            if let certificate = keyFile.certificates.first {
                try KeyFiles.checkSigningCertificate(certificate, file: key, option: "--key")
            }
            let algorithm = try chooseAlgorithm(for: privateKey)
            let keyID = kid ?? JWK(publicKey: privateKey.publicKey, keyID: nil, use: nil).thumbprintBase64URL()
            let signer: JWSSigner
            do {
                signer = try JWSSigner(key: privateKey, algorithm: algorithm, keyID: keyID)
            } catch {
                throw usageFailure("--key \(key): \(error.reason)")
            }
            var header = JSONObject()
            if let x5c { header["x5c"] = try chain(x5c, matching: privateKey, keyFile: keyFile) }
            let payload = try claimSet()
            let jws: String
            do {
                jws = try signer.sign(payload: JSONValue.object(payload).serialized(), type: "JWT", extraHeader: header)
            } catch {
                printError("signing failed: \(error.reason)")
                throw CommandExit.failed
            }
            print(jws)
        }

        /// `--alg`, or the usual algorithm of the key; refused when the key cannot sign it.
        private func chooseAlgorithm(for privateKey: PrivateKey) throws -> JWSAlgorithm {
            guard let alg else {
                switch privateKey.kind {
                case .rsa: return .ps256
                case .ec(.p256): return .es256
                case .ec(.p384): return .es384
                case .ec(.p521): return .es512
                case .ed25519: return .edDSA
                }
            }
            guard let algorithm = JWSAlgorithm(rawValue: alg) else {
                throw usageFailure(
                    "--alg \(terminalSafe(alg)) is not a public-key JWS algorithm (\(JWSAlgorithm.allCases.map(\.rawValue).joined(separator: ", ")))"
                )
            }
            guard algorithm.fits(privateKey.kind) else {
                throw usageFailure(
                    "--key \(key) holds \(KeyFiles.describe(privateKey.kind)), which cannot sign \(algorithm)"
                )
            }
            return algorithm
        }

        /// The `x5c` value: the chain's DER certificates in standard base64 (RFC 7515 §4.1.6),
        /// the first one the certificate of the signing key.
        private func chain(_ path: String, matching privateKey: PrivateKey, keyFile: KeyFile) throws -> JSONValue {
            let certificates =
                path == key
                ? keyFile.certificates : try KeyFiles.read(path, option: "--x5c", password: password).certificates
            guard let first = certificates.first else {
                throw usageFailure("--x5c \(path): holds no certificate")
            }
            let keyInfo = try? privateKey.publicKey.subjectPublicKeyInfoDER()
            guard first.subjectPublicKeyInfoDER == keyInfo else {
                throw usageFailure("--x5c \(path): the first certificate is not the certificate of --key \(key)")
            }
            return .array(certificates.map { .string(Data($0.derEncoded).base64EncodedString()) })
        }

        /// The claims: the file, then `--claim`, then the defaults where absent.
        private func claimSet() throws -> JSONObject {
            var object = JSONObject()
            if let claims {
                let text = try SSAFiles.text(claims, option: "--claims")
                do {
                    object = try JSONObject.parse(text)
                } catch {
                    throw usageFailure("--claims \(claims): not a JSON object: \(error)")
                }
            }
            for argument in claimArguments {
                guard let equals = argument.firstIndex(of: "="), equals != argument.startIndex else {
                    throw usageFailure("--claim \(terminalSafe(argument)): expected name=value")
                }
                let name = String(argument[..<equals])
                let value = String(argument[argument.index(after: equals)...])
                object[name] = (try? JSONValue.parse(value)) ?? .string(value)
            }
            if request, let statement {
                let text = try SSAFiles.text(statement, option: "--statement")
                    .trimmingCharacters(in: .whitespacesAndNewlines)
                if object["software_statement"] == nil { object["software_statement"] = .string(text) }
                if object["iss"] == nil,
                    let softwareID = (try? UnverifiedJWS(compact: text))
                        .flatMap({ try? $0.unverifiedClaims() })?["software_id"]
                {
                    object["iss"] = softwareID
                }
            }
            let now = Int64(Date().timeIntervalSince1970.rounded(.down))
            if object["iat"] == nil { object["iat"] = JSONValue(now) }
            if object["exp"] == nil { object["exp"] = JSONValue(now + Int64(expiresIn)) }
            if object["jti"] == nil {
                do {
                    object["jti"] = .string(Base64URL.encode(try SecureRandom.bytes(count: 16)))
                } catch {
                    printError("no random bytes for the jti: \(error.reason)")
                    throw CommandExit.failed
                }
            }
            return object
        }
    }
}

/// Reading the files `credence ssa` names: each failure names the option and the file and exits
/// 64, with nothing on standard output.
enum SSAFiles {
    /// The largest file read (a statement, claims, a key or a chain is a few KiB).
    static let maximumBytes = 1 << 20

    /// The file's text; `-` is standard input.
    static func text(_ path: String, option: String) throws -> String {
        let named = option.isEmpty ? path : "\(option) \(path)"
        let bytes: [UInt8]
        if path == "-" {
            let data = FileHandle.standardInput.readData(ofLength: maximumBytes + 1)
            guard data.count <= maximumBytes else {
                throw usageFailure("\(named): larger than \(maximumBytes) bytes")
            }
            bytes = Array(data)
        } else {
            switch ConfigurationFiles.read(path, maximumBytes: maximumBytes) {
            case .success(let contents): bytes = contents.bytes
            case .failure(let error): throw usageFailure("\(named): cannot read: \(error.reason)")
            }
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw usageFailure("\(named): not UTF-8 text")
        }
        return text
    }
}
