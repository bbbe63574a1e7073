import Foundation

/// The URIs a registration may carry (`redirect_uris`, `jwks_uri`): absolute `https` URIs
/// with a host, without a fragment (RFC 6749 §3.1.2), userinfo (RFC 9700 §4.1.3 / RFC 3986
/// §7.5: credentials in a URI leak) or control characters and spaces.
enum HTTPSURI {
    /// Why `text` is not such a URI, or `nil` when it is.
    static func problem(_ text: String) -> String? {
        let bytes = Array(text.utf8)
        guard !bytes.isEmpty, bytes.count <= 2048 else { return "must be 1 to 2048 bytes" }
        guard !bytes.contains(where: { $0 <= 0x20 || $0 == 0x7F }) else {
            return "must not contain control characters or spaces"
        }
        guard text.lowercased().hasPrefix("https://") else { return "must be an absolute https URI" }
        guard !bytes.contains(UInt8(ascii: "#")) else { return "must not contain a fragment" }
        let afterScheme = text.dropFirst("https://".count)
        let authority = afterScheme.prefix { $0 != "/" && $0 != "?" }
        guard !authority.contains("@") else { return "must not contain userinfo" }
        guard let components = URLComponents(string: text), let host = components.host, !host.isEmpty else {
            return "must be a well-formed absolute URI with a host"
        }
        return nil
    }
}
