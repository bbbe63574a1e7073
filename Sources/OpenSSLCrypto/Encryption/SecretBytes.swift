internal import COpenSSL

/// Bytes that are secret (a key-encryption key, a serialized private key): kept in memory this
/// class owns and wiped with `OPENSSL_cleanse` when released, never copied into an `Array`.
final class SecretBytes: @unchecked Sendable {
    // Immutable after init; @unchecked because of the raw buffer.
    private let buffer: UnsafeMutableBufferPointer<UInt8>

    init(copying bytes: UnsafeBufferPointer<UInt8>) {
        buffer = .allocate(capacity: max(bytes.count, 1))
        _ = buffer.initialize(from: bytes)
        count = bytes.count
    }

    init(count: Int) {
        buffer = .allocate(capacity: max(count, 1))
        buffer.initialize(repeating: 0)
        self.count = count
    }

    let count: Int

    deinit {
        if let base = buffer.baseAddress { OPENSSL_cleanse(base, buffer.count) }
        buffer.deallocate()
    }

    func withBytes<R>(_ body: (UnsafeBufferPointer<UInt8>) throws(CryptoError) -> R) throws(CryptoError) -> R {
        try body(UnsafeBufferPointer(rebasing: buffer[0..<count]))
    }

    func withBytes<R>(_ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        body(UnsafeBufferPointer(rebasing: buffer[0..<count]))
    }

    func withMutableBytes<R>(_ body: (UnsafeMutableBufferPointer<UInt8>) -> R) -> R {
        body(UnsafeMutableBufferPointer(rebasing: buffer[0..<count]))
    }
}
