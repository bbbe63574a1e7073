internal import COpenSSL

/// The SHA-2 hash functions the project uses (JWK thumbprints, `x5t#S256`, `at_hash`-style
/// values, hashed secrets), computed by OpenSSL.
public enum Digest: Sendable, Hashable, CaseIterable {
    /// SHA-256 (FIPS 180-4).
    case sha256
    /// SHA-384 (FIPS 180-4).
    case sha384
    /// SHA-512 (FIPS 180-4).
    case sha512

    /// Output length in bytes.
    public var byteCount: Int {
        switch self {
        case .sha256: 32
        case .sha384: 48
        case .sha512: 64
        }
    }

    /// The digest, fetched from the default provider once: with OpenSSL 3, passing
    /// `EVP_sha256()` to every operation makes each one fetch the implementation again.
    var evpMD: OpaquePointer? {
        switch self {
        case .sha256: FetchedDigests.shared.sha256
        case .sha384: FetchedDigests.shared.sha384
        case .sha512: FetchedDigests.shared.sha512
        }
    }

    /// Hashes `data` with this function.
    public func hash(_ data: some Collection<UInt8>) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: byteCount)
        var length: UInt32 = 0
        let bytes = Array(data)
        let ok = bytes.withUnsafeBytes { input in
            out.withUnsafeMutableBytes { output in
                EVP_Digest(
                    input.baseAddress,
                    input.count,
                    output.baseAddress?.assumingMemoryBound(to: UInt8.self),
                    &length,
                    evpMD,
                    nil
                )
            }
        }
        // EVP_Digest over a built-in SHA-2 cannot fail short of memory exhaustion; a failure
        // here would be a broken OpenSSL installation, never input-dependent.
        precondition(ok == 1 && Int(length) == byteCount, "OpenSSL SHA-2 failed")
        return out
    }

    /// SHA-256 of `data`.
    public static func sha256(_ data: some Collection<UInt8>) -> [UInt8] { Digest.sha256.hash(data) }
    /// SHA-384 of `data`.
    public static func sha384(_ data: some Collection<UInt8>) -> [UInt8] { Digest.sha384.hash(data) }
    /// SHA-512 of `data`.
    public static func sha512(_ data: some Collection<UInt8>) -> [UInt8] { Digest.sha512.hash(data) }
}

/// Explicitly fetched `EVP_MD`s, kept for the life of the process (never freed: they are shared
/// read-only by every thread).
final class FetchedDigests: @unchecked Sendable {
    static let shared = FetchedDigests()
    let sha256: OpaquePointer?
    let sha384: OpaquePointer?
    let sha512: OpaquePointer?

    private init() {
        sha256 = EVP_MD_fetch(nil, "SHA2-256", nil) ?? EVP_sha256()
        sha384 = EVP_MD_fetch(nil, "SHA2-384", nil) ?? EVP_sha384()
        sha512 = EVP_MD_fetch(nil, "SHA2-512", nil) ?? EVP_sha512()
    }
}
