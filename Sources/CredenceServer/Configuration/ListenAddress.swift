/// Where `credence serve` accepts FastCGI connections from the web server.
public enum ListenAddress: Sendable, Hashable, CustomStringConvertible {
    /// A unix domain socket at an absolute path (the default and the safest:
    /// file permissions decide who may talk to the responder).
    case unixSocket(path: String)
    /// A TCP address, for a web server on another host.
    case tcp(host: String, port: Int)
    /// The listening socket inherited as file descriptor 0 (spawn-fcgi,
    /// systemd socket activation, Apache mod_fcgid).
    case inheritedStandardInput

    /// Parses `unix:/abs/path`, `tcp:HOST:PORT` (`tcp:[::1]:9000` for IPv6) or `fd:0`.
    public init?(parsing text: String) {
        if text == "fd:0" {
            self = .inheritedStandardInput
        } else if text.hasPrefix("unix:") {
            let path = String(text.dropFirst(5))
            guard path.hasPrefix("/"), path.utf8.count < 108, !path.contains("\0") else { return nil }
            self = .unixSocket(path: path)
        } else if text.hasPrefix("tcp:") {
            let rest = text.dropFirst(4)
            guard let colon = rest.lastIndex(of: ":"), let port = Int(rest[rest.index(after: colon)...]),
                (1...65535).contains(port)
            else { return nil }
            var host = String(rest[..<colon])
            if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
            guard !host.isEmpty else { return nil }
            self = .tcp(host: host, port: port)
        } else {
            return nil
        }
    }

    public var description: String {
        switch self {
        case .unixSocket(let path): "unix:\(path)"
        case .tcp(let host, let port): host.contains(":") ? "tcp:[\(host)]:\(port)" : "tcp:\(host):\(port)"
        case .inheritedStandardInput: "fd:0"
        }
    }
}
