internal import COpenSSL
import Synchronization

/// Bytes that are secret (a key-encryption key, a serialized private key): kept in memory this
/// class owns and wiped with `OPENSSL_cleanse` when released, never copied into an `Array`.
/// Long-lived secrets (the key-encryption key and the keys derived from it) are also
/// registered with ``wipeAtExit()``, so they are wiped when the process exits, where no
/// `deinit` runs.
final class SecretBytes: @unchecked Sendable {
    // Immutable after init; @unchecked because of the raw buffer.
    private let buffer: UnsafeMutableBufferPointer<UInt8>

    init(copying bytes: UnsafeBufferPointer<UInt8>) {
        buffer = .allocate(capacity: max(bytes.count, 1))
        buffer.initialize(repeating: 0)
        _ = UnsafeMutableBufferPointer(rebasing: buffer[0..<bytes.count]).initialize(from: bytes)
        count = bytes.count
    }

    init(count: Int) {
        buffer = .allocate(capacity: max(count, 1))
        buffer.initialize(repeating: 0)
        self.count = count
    }

    let count: Int

    deinit {
        SecretBytes.exitWipeList.withLock { _ = $0.removeValue(forKey: address) }
        wipe()
        buffer.deallocate()
    }

    private var address: UInt { UInt(bitPattern: buffer.baseAddress) }

    /// Overwrites the bytes with zeros (`OPENSSL_cleanse`, which the compiler cannot elide).
    func wipe() {
        if let base = buffer.baseAddress { OPENSSL_cleanse(base, buffer.count) }
    }

    /// Registers the buffer to be wiped when the process exits (`atexit`), for secrets that
    /// live as long as the process. Returns `self`.
    @discardableResult
    func wipeAtExit() -> SecretBytes {
        _ = SecretBytes.exitHandlerInstalled
        SecretBytes.exitWipeList.withLock { $0[address] = buffer.count }
        return self
    }

    /// Whether the buffer is registered for wiping at exit.
    var isWipedAtExit: Bool {
        SecretBytes.exitWipeList.withLock { $0[address] != nil }
    }

    /// Base address → size of every buffer to wipe at exit.
    private static let exitWipeList = Mutex<[UInt: Int]>([:])

    private static let exitHandlerInstalled: Void = {
        atexit { SecretBytes.wipeAllRegistered() }
    }()

    /// Wipes every buffer registered with ``wipeAtExit()``: the `atexit` handler. The buffers
    /// stay allocated (other threads may still hold them while the process ends).
    static func wipeAllRegistered() {
        exitWipeList.withLock { list in
            for (address, size) in list {
                if let pointer = UnsafeMutableRawPointer(bitPattern: address) { OPENSSL_cleanse(pointer, size) }
            }
        }
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
