/// A `jwks_uri` that passed the syntax checks: an absolute `https` URL (RFC 7591 §2 requires
/// `https` for `jwks_uri`) with a host, no userinfo and no fragment, in plain ASCII.
///
/// Whether its host may be contacted is a separate question (``JWKSHostAllowlist``).
public struct RemoteJWKSURL: Hashable, Sendable, CustomStringConvertible {
    /// The URL exactly as given (what is fetched, and the cache key).
    public let value: String
    /// The host, lowercased (RFC 3986 §3.2.2: hosts are case-insensitive); an IPv6 literal
    /// keeps its brackets.
    public let host: String
    /// The port, 443 when the URL names none.
    public let port: Int

    /// The longest URL accepted.
    public static let maximumLength = 2048

    /// Checks `text`; ``RemoteJWKSError/Code/invalidURL`` with the reason when it fails.
    public init(parsing text: String) throws(RemoteJWKSError) {
        func invalid(_ reason: String) -> RemoteJWKSError { RemoteJWKSError(.invalidURL, reason) }
        guard text.utf8.count <= Self.maximumLength else {
            throw invalid("the URL is longer than \(Self.maximumLength) bytes")
        }
        // RFC 3986 §2: only unreserved, reserved and percent characters; no spaces, controls,
        // backslashes or raw non-ASCII (an IRI must be percent-encoded).
        guard text.utf8.allSatisfy(Self.isURICharacter) else {
            throw invalid("the URL holds a character not allowed in a URI")
        }
        let scheme = "https://"
        guard text.utf8.count > scheme.utf8.count, text.prefix(scheme.count).lowercased() == scheme else {
            throw invalid("a jwks_uri must be an https URL")
        }
        guard !text.contains("#") else { throw invalid("a jwks_uri must not have a fragment") }
        let afterScheme = text.dropFirst(scheme.count)
        let authority = afterScheme.prefix { $0 != "/" && $0 != "?" }
        guard !authority.contains("@") else { throw invalid("a jwks_uri must not carry userinfo") }
        guard let (host, port) = Self.hostAndPort(authority) else {
            throw invalid("the URL's host or port is not valid")
        }
        self.value = text
        self.host = host
        self.port = port
    }

    public var description: String { value }

    /// Splits `host[:port]` (or `[v6]:port`); the host lowercased, the port 443 by default.
    /// `nil` for an empty or malformed host, or a port outside 1...65535.
    static func hostAndPort(_ authority: Substring) -> (String, Int)? {
        let hostPart: Substring
        let portPart: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return nil }
            hostPart = authority[...close]
            let rest = authority[authority.index(after: close)...]
            guard rest.isEmpty || rest.hasPrefix(":") else { return nil }
            portPart = rest.isEmpty ? nil : rest.dropFirst()
            let inner = hostPart.dropFirst().dropLast()
            guard !inner.isEmpty, inner.allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." }) else { return nil }
        } else {
            let pieces = authority.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            hostPart = pieces[0]
            portPart = pieces.count == 2 ? pieces[1] : nil
            guard !hostPart.isEmpty,
                hostPart.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == ".") }),
                !hostPart.hasPrefix("."), !hostPart.hasPrefix("-")
            else { return nil }
        }
        var port = 443
        if let portPart {
            guard !portPart.isEmpty, portPart.count <= 5, portPart.allSatisfy({ $0.isASCII && $0.isNumber }),
                let number = Int(portPart), (1...65535).contains(number)
            else { return nil }
            port = number
        }
        return (hostPart.lowercased(), port)
    }

    private static func isURICharacter(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return Array("-._~:/?#[]@!$&'()*+,;=%".utf8).contains(byte)
        }
    }
}
