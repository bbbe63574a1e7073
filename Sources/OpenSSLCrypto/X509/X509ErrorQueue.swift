internal import COpenSSL

/// OpenSSL's per-thread error queue, seen from the X.509 code.
///
/// OpenSSL pushes entries onto a queue owned by the calling thread and never
/// clears it by itself: a worker thread that does not drain it after a failing
/// call would carry stale errors into its next, unrelated request. Every failing
/// call in this folder ends in ``drain()``.
enum X509ErrorQueue {
    /// Empties the calling thread's queue and returns its first entries as text for a log.
    @discardableResult
    static func drain() -> String {
        var parts: [String] = []
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            if parts.count < 8 {
                var buffer = [CChar](repeating: 0, count: 256)
                ERR_error_string_n(code, &buffer, buffer.count)
                let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
                parts.append(String(decoding: bytes, as: UTF8.self))
            }
        }
        return parts.joined(separator: "; ")
    }

    /// True when the calling thread's queue holds nothing (tests check this after failures).
    static var isEmpty: Bool { ERR_peek_error() == 0 }
}
