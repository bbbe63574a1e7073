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
//   mkdir -p /tmp/fuzz-work && cp Tests/Fuzz/CertificateParameter/corpus/* /tmp/fuzz-work/
//   SWIFT_BACKTRACE=enable=no .build-fuzz/release/FuzzCertificateParameter \
//     -max_total_time=60 -max_len=20000 /tmp/fuzz-work Tests/Fuzz/CertificateParameter/corpus
//
// (libFuzzer adds new inputs to the first directory, so keep the committed seeds
// second. SWIFT_BACKTRACE=enable=no keeps Swift's crash handler, which AddressSanitizer
// flags while it reads memory, from hiding the real failure.)
//
// Replay the seeds (or a crash file) without sanitizers:
//   swift build --product FuzzCertificateParameter
//   .build/debug/FuzzCertificateParameter Tests/Fuzz/CertificateParameter/corpus
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
            checkRoundTrip(name)
        }
        _ = certificate.subjectAlternativeNames
        _ = certificate.subjectPublicKeyInfoDER
    }

    if let name = try? DistinguishedName(rfc4514: text) {
        checkRoundTrip(name)
    }
}

/// A printed name parses back to the same name, unless printing made it longer than
/// the parser's cap (`#`-hex values can be six times their text).
func checkRoundTrip(_ name: DistinguishedName) {
    let printed = name.rfc4514String
    guard printed.utf8.count <= DistinguishedName.maximumRFC4514Length else { return }
    let parsed = try? DistinguishedName(rfc4514: printed)
    precondition(parsed == name, "rfc4514String does not parse back: \(printed)")
}

#if FUZZING
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    fuzzOne(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}

/// libFuzzer's driver (extern "C" in libclang_rt.fuzzer, LLVM 11 and later).
@_extern(c, "LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

/// SwiftPM links every executable with `--defsym main=<Module>_main` (so that tests
/// can link executables), and nothing defines that symbol once the Swift `main`
/// is compiled out; libFuzzer's own `main` then never links in (swiftlang/swift
/// issue 75800). This entry point takes its place and runs libFuzzer's driver.
@_cdecl("FuzzCertificateParameter_main")
func fuzzerEntryPoint(
    _ argc: CInt,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv, fuzzerTestOneInput)
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
