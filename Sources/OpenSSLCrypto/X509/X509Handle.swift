internal import COpenSSL

/// Owns one OpenSSL `X509` and frees it when the last ``Certificate`` copy goes.
///
/// `@unchecked Sendable`: the certificate is never mutated after parsing. The
/// caches OpenSSL fills lazily inside an `X509` (decoded extensions, flags) are
/// guarded by the object's own lock in OpenSSL 3, and reference counts are
/// atomic, so concurrent reads and verifications from many threads are safe.
final class X509Handle: @unchecked Sendable {
    /// The `X509 *`; valid for the life of this object.
    let pointer: OpaquePointer

    /// Takes over one reference to `pointer` (freed in `deinit`).
    init(taking pointer: OpaquePointer) {
        self.pointer = pointer
    }

    deinit {
        X509_free(pointer)
    }
}
