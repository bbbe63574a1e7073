import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Who may connect to the FastCGI socket and how long a request may take to arrive: the
/// `allowed_peers` and `request_timeout_seconds` keys.
///
/// FastCGI has no authentication: whoever connects sets every parameter, `SSL_CLIENT_CERT`
/// included, and so is whichever client they like. On a TCP address other hosts can reach,
/// the list of web servers is the only guard, so it is required in the file (the
/// `FCGI_WEB_SERVER_ADDRS` environment variable only adds to it).
public struct FastCGIPeerSettings: Sendable, Equatable {
    /// Numeric IPv4/IPv6 addresses of the web servers allowed to connect over TCP.
    public var allowedPeers: [String]
    /// Seconds from a request's first byte until its parameters and body must have arrived;
    /// a request still trickling in then is dropped and its worker freed.
    public var requestTimeoutSeconds: Int

    /// The default `request_timeout_seconds`: nginx and Apache send a whole request within
    /// milliseconds (nginx reads the client's body first; the Apache sample bounds a streamed
    /// body at 10 s with mod_reqtimeout, the same figure).
    public static let defaultRequestTimeoutSeconds = 10

    /// Reads the keys from the top-level section; `listen` decides whether the list is required.
    static func parse(
        _ top: inout YAMLSection,
        listen: ListenAddress,
        problems: inout [ConfigurationProblem]
    ) -> FastCGIPeerSettings {
        var peers: [String] = []
        for (index, text) in (top.stringList("allowed_peers", problems: &problems) ?? []).enumerated() {
            if isNumericAddress(text) {
                peers.append(text)
            } else {
                problems.append(
                    ConfigurationProblem(
                        key: "allowed_peers[\(index)]",
                        message: "must be a numeric IPv4 or IPv6 address (no names, no prefixes), got \(text)",
                        line: top.line(of: "allowed_peers")
                    )
                )
            }
        }
        if case .tcp(let host, _) = listen, !isLoopback(host: host), peers.isEmpty,
            !problems.contains(where: { $0.key.hasPrefix("allowed_peers") })
        {
            problems.append(
                ConfigurationProblem(
                    key: "allowed_peers",
                    message: """
                        required when listen is a TCP address other hosts can reach (\(listen)): list the web \
                        servers' IP addresses, or listen on loopback or a unix socket; FastCGI has no \
                        authentication, and whoever connects can pose as any client certificate
                        """,
                    line: top.line(of: "listen")
                )
            )
        }
        let timeout =
            top.integer("request_timeout_seconds", in: 1...300, problems: &problems) ?? defaultRequestTimeoutSeconds
        return FastCGIPeerSettings(allowedPeers: peers, requestTimeoutSeconds: timeout)
    }

    /// Whether `text` is a numeric IPv4 or IPv6 address (`inet_pton`).
    static func isNumericAddress(_ text: String) -> Bool {
        var v4 = in_addr()
        var v6 = in6_addr()
        return inet_pton(AF_INET, text, &v4) == 1 || inet_pton(AF_INET6, text, &v6) == 1
    }

    /// Whether a listen host is reachable only from this host: 127.0.0.0/8, ::1 (also as
    /// `::ffff:127.x.y.z`) or `localhost`. `credence serve` checks the address it actually
    /// bound as well.
    public static func isLoopback(host: String) -> Bool {
        if host == "localhost" { return true }
        var v4 = in_addr()
        if inet_pton(AF_INET, host, &v4) == 1 {
            return withUnsafeBytes(of: &v4) { $0[0] } == 127
        }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, host, &v6) == 1 else { return false }
        let bytes = withUnsafeBytes(of: &v6) { Array($0) }
        if bytes == [UInt8](repeating: 0, count: 15) + [1] { return true }
        return bytes.prefix(12) == [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF] && bytes[12] == 127
    }
}
