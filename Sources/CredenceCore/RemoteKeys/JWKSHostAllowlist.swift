/// The hosts whose `jwks_uri` documents may be fetched, named exactly by the operator: fetching
/// a URL a client chose is a request from inside the bank's network (server-side request
/// forgery), so nothing is fetched unless its host is listed. Empty (the default) refuses every
/// `jwks_uri`.
///
/// An entry is a host name (`keystore.directory.example`), which allows port 443 only, or
/// `host:port` for another port; no wildcards, schemes or paths. Hosts compare
/// case-insensitively; IPv6 literals are written in brackets (`[::1]:8443`).
public struct JWKSHostAllowlist: Sendable, Hashable, CustomStringConvertible {
    private struct Entry: Hashable {
        var host: String
        var port: Int
    }

    private let entries: Set<Entry>

    /// Reads the entries; `nil` if any is malformed (``problem(with:)`` says which and why).
    public init?(_ entries: [String]) {
        var parsed: Set<Entry> = []
        for entry in entries {
            guard Self.problem(with: entry) == nil,
                let (host, port) = RemoteJWKSURL.hostAndPort(Substring(entry))
            else { return nil }
            parsed.insert(Entry(host: host, port: port))
        }
        self.entries = parsed
    }

    /// An allowlist that allows nothing.
    public static let empty = JWKSHostAllowlist(entries: [])

    private init(entries: Set<Entry>) { self.entries = entries }

    /// Why `entry` is not a valid allowlist entry, or `nil` when it is.
    public static func problem(with entry: String) -> String? {
        if entry.contains("://") || entry.contains("/") {
            return "\"\(entry)\" must be a host name or host:port, without a scheme or path"
        }
        if entry.contains("*") { return "\"\(entry)\" must name one host exactly (no wildcards)" }
        guard RemoteJWKSURL.hostAndPort(Substring(entry)) != nil else {
            return "\"\(entry)\" is not a valid host name or host:port"
        }
        return nil
    }

    /// The hosts of both lists (a trusted issuer's own `jwks_uri` may sit on either
    /// `jwks_fetch.allowed_hosts` or that issuer's `software_jwks_hosts`).
    public func union(_ other: JWKSHostAllowlist) -> JWKSHostAllowlist {
        JWKSHostAllowlist(entries: entries.union(other.entries))
    }

    /// Whether no host at all is allowed.
    public var isEmpty: Bool { entries.isEmpty }

    /// The entries, sorted, as an operator writes them (`host` for port 443, else `host:port`).
    public var description: String {
        entries.map { $0.port == 443 ? $0.host : "\($0.host):\($0.port)" }.sorted().joined(separator: ", ")
    }

    /// Whether `url`'s host and port are listed.
    public func allows(_ url: RemoteJWKSURL) -> Bool {
        entries.contains(Entry(host: url.host, port: url.port))
    }
}
