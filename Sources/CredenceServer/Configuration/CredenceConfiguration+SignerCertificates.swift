import CredenceCore
import CredenceJOSE
import Foundation
import OpenSSLCrypto
import Yams

extension CredenceConfiguration {
    /// One `signer_certificates` item as written: its file, and the `kid` given, if any.
    struct SignerCertificateItem {
        var file: String
        var keyID: String?
    }

    /// `signer_certificates` of a trusted issuer: a list whose items are a file name, or a
    /// mapping `{file: PATH, kid: KID}`. Each file is a PEM or DER certificate (the first of a
    /// PEM file is taken); it is refused, naming the file and the reason, when its keyUsage lacks
    /// digitalSignature or when its key is one the key policy refuses (RSA under 2048 bits, a
    /// degenerate key). A certificate outside its validity period is loaded, and reported by
    /// ``signerCertificateNotices(at:)``: its statements are refused when they are verified,
    /// while a directory's expired signer never keeps the token endpoint from starting.
    static func parseSignerCertificates(
        _ item: inout YAMLSection,
        files: (String) -> Result<ConfigurationFileContents, ConfigurationFileError>,
        now: Date,
        problems: inout [ConfigurationProblem]
    ) -> (signers: [TrustedIssuer.SignerCertificate], files: [String])? {
        guard let nodes = item.list("signer_certificates", problems: &problems) else { return nil }
        let listKey = item.keyPath("signer_certificates")
        if nodes.isEmpty { problems.append(item.problem("signer_certificates", "must name at least one file")) }
        var signers: [TrustedIssuer.SignerCertificate] = []
        var names: [String] = []
        for (index, node) in nodes.enumerated() {
            let key = "\(listKey)[\(index)]"
            func problem(_ message: String) {
                problems.append(ConfigurationProblem(key: key, message: message, line: node.mark?.line))
            }
            guard let parsed = signerItem(node, key: key, problems: &problems) else { continue }
            let contents: ConfigurationFileContents
            switch files(parsed.file) {
            case .success(let read): contents = read
            case .failure(let error):
                problem("cannot read \(parsed.file): \(error.reason)")
                continue
            }
            let read: KeyFile
            do {
                read = try KeyFile(contents.bytes, password: { nil })
            } catch {
                problem("\(parsed.file) is not a usable certificate: \(error.reason)")
                continue
            }
            guard read.form == .certificatePEM || read.form == .certificateDER,
                let certificate = read.certificates.first
            else {
                problem(
                    "\(parsed.file) is a \(read.form.rawValue), not a certificate: give the signer's certificate alone (PEM or DER), never its private key"
                )
                continue
            }
            let signer: TrustedIssuer.SignerCertificate
            do {
                signer = try TrustedIssuer.SignerCertificate(certificate: certificate, keyID: parsed.keyID)
            } catch {
                problem("\(parsed.file): the certificate's key is refused: \(error.reason)")
                continue
            }
            if let reason = signer.usageProblem {
                problem("\(parsed.file) (\(certificate.subject.rfc4514String)) cannot sign statements: \(reason)")
                continue
            }
            if let other = signers.firstIndex(where: { Identifier.equal($0.keyID, signer.keyID) }) {
                problem("\(parsed.file): the kid \(signer.keyID) is already that of \(names[other])")
                continue
            }
            signers.append(signer)
            names.append(parsed.file)
        }
        return (signers, names)
    }

    /// A trusted signing certificate outside its validity period at some instant: loaded, but
    /// each statement its key signed is refused while it stays so (rule `signer_certificate`).
    public struct SignerCertificateNotice: Sendable {
        /// Names the key, the issuer, the file and the dates.
        public var message: String
        /// Expired (for good), rather than not yet valid (a directory's next signer,
        /// configured ahead of its first day).
        public var hasExpired: Bool
    }

    /// Every trusted signing certificate outside its validity period at `now`. `serve` logs them
    /// as warnings and starts (a directory's expired signer must not stop the token endpoint);
    /// `check-config` refuses an expired one (remove or replace it) and warns of one not yet valid.
    public func signerCertificateNotices(at now: Date) -> [SignerCertificateNotice] {
        registration.trustedIssuers.enumerated().flatMap { issuerIndex, settings in
            zip(settings.entry.signerCertificates, settings.signerCertificateFiles).enumerated().compactMap {
                index,
                pair in
                pair.0.validityProblem(at: now).map {
                    SignerCertificateNotice(
                        message:
                            "registration.trusted_issuers[\(issuerIndex)].signer_certificates[\(index)]: [issuer \(settings.entry.issuer)] \(pair.1): statements signed by its key are refused: \($0)",
                        hasExpired: pair.0.certificate.validity(at: now) == .expired
                    )
                }
            }
        }
    }

    private static func signerItem(
        _ node: Node,
        key: String,
        problems: inout [ConfigurationProblem]
    ) -> SignerCertificateItem? {
        if case .scalar(let scalar) = node {
            guard !scalar.string.isEmpty else {
                problems.append(ConfigurationProblem(key: key, message: "an empty file name", line: node.mark?.line))
                return nil
            }
            return SignerCertificateItem(file: scalar.string, keyID: nil)
        }
        var section = YAMLSection(node: node, path: key, problems: &problems)
        let file = section.string("file", problems: &problems)
        let keyID = section.string("kid", problems: &problems)
        section.reportUnknownKeys(problems: &problems)
        guard let file, !file.isEmpty else {
            problems.append(
                ConfigurationProblem(
                    key: section.keyPath("file"),
                    message: "required: the certificate file (PEM or DER)",
                    line: node.mark?.line
                )
            )
            return nil
        }
        if keyID?.isEmpty == true {
            problems.append(section.problem("kid", "must not be empty (leave it out for the key's thumbprint)"))
            return nil
        }
        return SignerCertificateItem(file: file, keyID: keyID)
    }
}
