/// Where the responder listens for the web server's FastCGI connections.
///
/// A unix socket is the default and the safest choice: FastCGI has no authentication, and
/// whoever can connect can set any parameter, including the web server's TLS client
/// certificate variables. Use TCP only on loopback or a private link.
public enum FastCGIListenAddress: Sendable, Hashable, CustomStringConvertible {
    /// A unix domain socket created at `path` with mode `permissions` (for example `0o660`,
    /// with the web server in the socket's group). A stale socket left by a dead responder
    /// is replaced; a path that is not a socket is never removed; a socket on which another
    /// process still listens is refused.
    case unixSocket(path: String, permissions: UInt16)
    /// A TCP socket bound to `host` (a name or a numeric IPv4/IPv6 address; `""` or `"*"`
    /// for every address) and `port` (`0` picks a free port, see ``FastCGIServer/tcpPort``).
    /// Unless `host` is a loopback address, ``FastCGIServerConfiguration/allowedPeers`` must
    /// name the web servers (the environment variable `FCGI_WEB_SERVER_ADDRS` adds to it);
    /// other peers are refused.
    case tcp(host: String, port: Int)
    /// The listening socket inherited as file descriptor 0, as spawn-fcgi, Apache
    /// mod_fcgid and systemd socket activation with `StandardInput=socket` pass it.
    /// The server checks that it is a listening stream socket and fails clearly otherwise.
    case inheritedStandardInput

    /// The unix socket used when nothing else is configured: `/run/credence/credence.sock`,
    /// mode `0o660`.
    public static let defaultUnixSocket = FastCGIListenAddress.unixSocket(
        path: "/run/credence/credence.sock",
        permissions: 0o660
    )

    /// A short human description for logs (`unix:/run/x.sock`, `tcp:127.0.0.1:9000`, `stdin`).
    public var description: String {
        switch self {
        case .unixSocket(let path, let permissions):
            return "unix:\(path) (mode 0\(String(permissions, radix: 8)))"
        case .tcp(let host, let port):
            return host.contains(":") ? "tcp:[\(host)]:\(port)" : "tcp:\(host):\(port)"
        case .inheritedStandardInput:
            return "inherited fd 0"
        }
    }
}
