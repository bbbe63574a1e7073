#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A numeric IPv4 or IPv6 address as its bytes, so that `::ffff:192.0.2.1` and `192.0.2.1`,
/// or `::1` and `0:0::1`, compare equal whatever their spelling.
struct PeerAddress: Hashable, Sendable {
    /// 4 bytes for IPv4 (IPv4-mapped IPv6 addresses are stored as IPv4), 16 for IPv6.
    let bytes: [UInt8]

    /// Parses a numeric address (`inet_pton`); nil for names, prefixes and anything else.
    init?(parsing text: String) {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            self.init(ipv4: withUnsafeBytes(of: &v4) { Array($0) })
            return
        }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, text, &v6) == 1 else { return nil }
        self.init(ipv6: withUnsafeBytes(of: &v6) { Array($0) })
    }

    init(ipv4 bytes: [UInt8]) { self.bytes = bytes }

    init(ipv6 bytes: [UInt8]) {
        let mappedPrefix: [UInt8] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF]
        self.bytes = bytes.starts(with: mappedPrefix) ? Array(bytes[12...]) : bytes
    }

    /// 127.0.0.0/8 or ::1: only processes on this host can connect from there.
    var isLoopback: Bool {
        if bytes.count == 4 { return bytes[0] == 127 }
        return bytes == [UInt8](repeating: 0, count: 15) + [1]
    }

    /// The address a socket is bound to or connected from, if it is an IP socket.
    init?(socketAddress storage: sockaddr_storage) {
        var storage = storage
        switch Int32(storage.ss_family) {
        case AF_INET:
            let raw = withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_addr }
            }
            self.init(ipv4: withUnsafeBytes(of: raw) { Array($0) })
        case AF_INET6:
            let raw = withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { $0.pointee.sin6_addr }
            }
            self.init(ipv6: withUnsafeBytes(of: raw) { Array($0) })
        default:
            return nil
        }
    }
}

/// The web server addresses allowed to connect over TCP: the configured
/// ``FastCGIServerConfiguration/allowedPeers`` plus libfcgi's `FCGI_WEB_SERVER_ADDRS`
/// (comma-separated numeric addresses). FastCGI has no authentication, so on a TCP socket
/// this list is all that stops a stranger from setting `SSL_CLIENT_CERT`. Unix socket peers
/// are not checked: the socket's mode does that.
struct PeerAllowlist: Sendable {
    let addresses: Set<PeerAddress>

    /// nil when the list holds no address. Entries that are not numeric addresses are
    /// dropped (the configuration refuses them before this is built).
    init?(addresses list: [String]) {
        let parsed = list.map { $0.trimmingASCIIWhitespace() }.filter { !$0.isEmpty }.compactMap(PeerAddress.init)
        guard !parsed.isEmpty else { return nil }
        addresses = Set(parsed)
    }

    /// Parses `FCGI_WEB_SERVER_ADDRS`.
    init?(environmentValue: String?) {
        guard let environmentValue else { return nil }
        self.init(addresses: Self.split(environmentValue))
    }

    /// The entries of an `FCGI_WEB_SERVER_ADDRS` value.
    static func split(_ environmentValue: String) -> [String] {
        environmentValue.split(separator: ",").map { String($0).trimmingASCIIWhitespace() }.filter { !$0.isEmpty }
    }

    /// Whether the peer of a freshly accepted connection may talk to us.
    func allows(connection fd: Int32) -> Bool {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let result = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getpeername(fd, $0, &length) }
        }
        guard result == 0 else { return false }
        if Int32(storage.ss_family) == AF_UNIX { return true }
        guard let peer = PeerAddress(socketAddress: storage) else { return false }
        return addresses.contains(peer)
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
