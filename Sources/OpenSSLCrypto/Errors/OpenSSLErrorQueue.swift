internal import COpenSSL

/// OpenSSL keeps a per-thread error queue; every failing call must drain it at once, or a later
/// unrelated call on the same worker thread would report a stale error.
enum OpenSSLErrorQueue {
    /// Empties this thread's queue and returns its entries as one line (for `debugDescription`).
    @discardableResult
    static func drain() -> String {
        var parts: [String] = []
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            if parts.count < 8 {
                var buffer = [CChar](repeating: 0, count: 256)
                ERR_error_string_n(code, &buffer, buffer.count)
                parts.append(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
            }
        }
        return parts.joined(separator: "; ")
    }

    /// Drops the queue when a failure is an expected outcome (a signature that does not verify).
    static func clear() { ERR_clear_error() }

    /// True when the calling thread's queue holds nothing (tests check this after failures).
    static var isEmpty: Bool { ERR_peek_error() == 0 }
}
