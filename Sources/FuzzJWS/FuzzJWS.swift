// FuzzJWS: a libFuzzer target for the JOSE parsers (compact JWS, header, claims, JWK, JWK Set,
// base64url).
//
// Built with `-sanitize=fuzzer -DFUZZING` (scripts/fuzz.sh), libFuzzer supplies `main` and calls
// `LLVMFuzzerTestOneInput`. Built normally (`swift build`), `main` replays every file of the
// corpus folders given on the command line, so a crash found by the fuzzer can be reproduced
// and the seed corpus re-checked without the sanitizer toolchain.
import CredenceJOSE
import OpenSSLCrypto

/// Keys made once: verification runs against a real key set so the whole path is exercised.
private let keySet: JWKSet = {
    do {
        let keys = try [
            JWK(publicKey: PrivateKey.generate(.ec(.p256)).publicKey, keyID: "ec"),
            JWK(publicKey: PrivateKey.generate(.rsa(bits: 2048)).publicKey, keyID: "rsa"),
            JWK(publicKey: PrivateKey.generate(.ed25519).publicKey, keyID: "ed"),
        ]
        return JWKSet(keys: keys)
    } catch {
        return JWKSet(keys: [])
    }
}()

private let allAlgorithms = Set(JWSAlgorithm.allCases)

/// One input through every parser; any outcome but a crash, a leak or a sanitizer report is fine.
func fuzzOne(_ bytes: [UInt8]) {
    if let jws = try? UnverifiedJWS(compact: bytes) {
        _ = jws.header.keyID
        _ = try? jws.unverifiedClaims()
        if let verified = try? jws.verify(using: keySet, allowedAlgorithms: allAlgorithms),
            let claims = try? verified.claims()
        {
            _ = try? claims.validate(nowSeconds: 1_800_000_000, rules: JWTValidationRules())
        }
        for key in keySet.keys {
            _ = try? jws.verify(using: key.publicKey, allowedAlgorithms: allAlgorithms)
        }
    }
    if let jwk = try? JWK.parse(bytes) {
        _ = jwk.thumbprint()
        _ = jwk.jsonObject
    }
    if let set = try? JWKSet.parse(bytes) {
        _ = try? set.key(forKID: "ec", algorithm: .es256)
    }
    if let decoded = try? Base64URL.decode(bytes: bytes) {
        precondition(Base64URL.encodeToBytes(decoded) == bytes, "base64url is not canonical")
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    fuzzOne(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}

#if FUZZING
/// libFuzzer's entry for programs that own `main` (LLVM ≥ 11).
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

/// SwiftPM links an executable's `main` to `<Module>_main` on Linux, which would hide
/// libFuzzer's `main`; this hands control to libFuzzer's driver instead.
@_cdecl("FuzzJWS_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    // Make the keys before fuzzing starts, so libFuzzer's per-input leak check does not count
    // them (Swift keeps enum tags in pointer spare bits, which LeakSanitizer cannot follow).
    _ = keySet.keys.count
    var count = argc
    var arguments = argv
    return LLVMFuzzerRunDriver(&count, &arguments) { data, size in fuzzerTestOneInput(data, size) }
}
#else
import Foundation

@main
enum Replay {
    static func main() {
        let paths = CommandLine.arguments.dropFirst()
        guard !paths.isEmpty else {
            print("usage: FuzzJWS <corpus folder or file>... (replays each input once)")
            exit(2)
        }
        var count = 0
        for path in paths {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                print("FuzzJWS: no such file or folder: \(path)")
                exit(2)
            }
            let files =
                isDirectory.boolValue
                ? ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted().map { path + "/" + $0 }
                : [path]
            for file in files {
                guard let data = FileManager.default.contents(atPath: file) else { continue }
                fuzzOne([UInt8](data))
                count += 1
            }
        }
        print("FuzzJWS: replayed \(count) inputs, no crash")
    }
}
#endif
