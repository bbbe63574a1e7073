// Fuzz target for the web-server client-certificate parameter decoder
// (Certificate(webServerParameter:)) and, on the same bytes, the RFC 4514
// distinguished-name parser.
//
// Built with -DFUZZING and -sanitize=fuzzer it exports LLVMFuzzerTestOneInput for
// libFuzzer; built normally it is a replayer: every file of the directories (or
// files) given as arguments is fed to the same function, so a crash found by the
// fuzzer can be reproduced under a debugger, and the seed corpus runs in CI.
//
//   swift build -c release --product FuzzCertificateParameter \
//     -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING --scratch-path .build-fuzz
//   .build-fuzz/release/FuzzCertificateParameter -max_total_time=60 \
//     -max_len=20000 Tests/Fuzz/CertificateParameter/corpus
//
// The invariants below are checked with preconditions on purpose: a violation is
// a bug for the fuzzer to report, not an input to refuse.
import Foundation
import OpenSSLCrypto

func fuzzOne(_ bytes: UnsafeRawBufferPointer) {
    let text = String(decoding: bytes, as: UTF8.self)

    if let certificate = try? Certificate(webServerParameter: text) {
        // A decoded certificate round-trips through DER and prints a DN that parses
        // back to the same name.
        let again = try? Certificate(derEncoded: certificate.derEncoded)
        precondition(again == certificate, "DER round trip changed the certificate")
        precondition(certificate.sha256Thumbprint.count == 32, "thumbprint is not SHA-256")
        for name in [certificate.subject, certificate.issuer] {
            let printed = name.rfc4514String
            let parsed = try? DistinguishedName(rfc4514: printed)
            precondition(parsed == name, "rfc4514String does not parse back: \(printed)")
        }
        _ = certificate.subjectAlternativeNames
        _ = certificate.subjectPublicKeyInfoDER
    }

    if let name = try? DistinguishedName(rfc4514: text) {
        let printed = name.rfc4514String
        let parsed = try? DistinguishedName(rfc4514: printed)
        precondition(parsed == name, "rfc4514String does not parse back: \(printed)")
    }
}

#if FUZZING
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    fuzzOne(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}
#else
@main
struct ReplayCorpus {
    static func main() {
        var files: [String] = []
        for argument in CommandLine.arguments.dropFirst() {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: argument, isDirectory: &isDirectory) else {
                print("no such file or directory: \(argument)")
                exit(2)
            }
            if isDirectory.boolValue {
                let entries = (try? FileManager.default.contentsOfDirectory(atPath: argument)) ?? []
                files += entries.sorted().map { argument + "/" + $0 }
            } else {
                files.append(argument)
            }
        }
        for file in files {
            guard let data = FileManager.default.contents(atPath: file) else { continue }
            data.withUnsafeBytes { fuzzOne($0) }
        }
        print("replayed \(files.count) inputs")
    }
}
#endif
