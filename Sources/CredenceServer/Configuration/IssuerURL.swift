/// The authorization server's issuer identifier (RFC 8414 §2): an `https` URL
/// with no query or fragment. Every endpoint URL the server publishes is built
/// from it, never from the request's Host header.
public struct IssuerURL: Sendable, Hashable, CustomStringConvertible {
    /// The issuer exactly as published (no trailing slash).
    public let value: String
    /// The path part (`""` or `/oauth`), which is the default base path for routing.
    public let path: String

    /// Why a text is not a usable issuer.
    public struct Invalid: Error, Sendable, CustomStringConvertible {
        /// The reason, safe to show an operator.
        public let reason: String
        public var description: String { reason }
    }

    /// Validates and normalises an issuer; returns the reason when it is unusable.
    public static func parse(_ text: String) -> Result<IssuerURL, Invalid> {
        guard text.hasPrefix("https://") else {
            return .failure(Invalid(reason: "must be an https:// URL (RFC 8414 §2)"))
        }
        guard !text.contains("?"), !text.contains("#") else {
            return .failure(Invalid(reason: "must not contain a query or fragment (RFC 8414 §2)"))
        }
        guard !text.unicodeScalars.contains(where: { $0.value <= 0x20 || $0.value >= 0x7F || $0 == "\\" }) else {
            return .failure(Invalid(reason: "must be plain ASCII without spaces"))
        }
        // The issuer is compared byte for byte (RFC 8414 §3.3, `iss` and `aud` checks): a
        // trailing slash is refused rather than silently dropped from what is published.
        guard !text.hasSuffix("/") else {
            return .failure(Invalid(reason: "must not end with a slash (it is compared byte for byte, RFC 8414 §3.3)"))
        }
        let trimmed = text
        let afterScheme = trimmed.dropFirst("https://".count)
        let authority = afterScheme.prefix { $0 != "/" }
        guard !authority.isEmpty, !authority.contains("@") else {
            return .failure(Invalid(reason: "must name a host (and no user info)"))
        }
        let path = String(afterScheme.dropFirst(authority.count))
        if path.split(separator: "/", omittingEmptySubsequences: false).contains(where: { $0 == "." || $0 == ".." }) {
            return .failure(Invalid(reason: "must not contain dot segments"))
        }
        return .success(IssuerURL(value: trimmed, path: path))
    }

    private init(value: String, path: String) {
        self.value = value
        self.path = path
    }

    /// The absolute URL of an endpoint path under this issuer (`/token` → `https://as/…/token`).
    public func endpoint(_ relativePath: String) -> String { value + relativePath }

    public var description: String { value }
}
