#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The web server addresses allowed to connect over TCP, as libfcgi's
/// `FCGI_WEB_SERVER_ADDRS` (a comma-separated list of numeric addresses). Unix socket peers
/// are not checked: the socket's mode does that.
struct PeerAllowlist: Sendable {
    let addresses: Set<String>

    init?(addresses list: [String]) {
        let cleaned = list.map { $0.trimmingASCIIWhitespace() }.filter { !$0.isEmpty }
        guard !cleaned.isEmpty else { return nil }
        addresses = Set(cleaned)
    }

    /// Parses `FCGI_WEB_SERVER_ADDRS`.
    init?(environmentValue: String?) {
        guard let environmentValue else { return nil }
        self.init(addresses: environmentValue.split(separator: ",").map(String.init))
    }

    /// Whether the peer of a freshly accepted connection may talk to us.
    func allows(connection fd: Int32) -> Bool {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let result = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getpeername(fd, $0, &length) }
        }
        guard result == 0 else { return false }
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        switch Int32(storage.ss_family) {
        case AF_UNIX:
            return true
        case AF_INET:
            withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { address in
                    var raw = address.pointee.sin_addr
                    _ = inet_ntop(AF_INET, &raw, &text, socklen_t(text.count))
                }
            }
        case AF_INET6:
            withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { address in
                    var raw = address.pointee.sin6_addr
                    _ = inet_ntop(AF_INET6, &raw, &text, socklen_t(text.count))
                }
            }
        default:
            return false
        }
        let peer = String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        if addresses.contains(peer) { return true }
        // An IPv4 client of an IPv6 wildcard socket appears as ::ffff:a.b.c.d.
        if peer.hasPrefix("::ffff:"), addresses.contains(String(peer.dropFirst(7))) { return true }
        return false
    }
}

extension String {
    fileprivate func trimmingASCIIWhitespace() -> String {
        let scalars = unicodeScalars
        guard let start = scalars.firstIndex(where: { $0 != " " && $0 != "\t" }),
            let end = scalars.lastIndex(where: { $0 != " " && $0 != "\t" })
        else { return "" }
        return String(scalars[start...end])
    }
}
