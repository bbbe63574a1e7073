import CredenceJOSE
import OpenSSLCrypto

/// Server-generated client ids (RFC 7591 §3.2.1 leaves their form to the server): base64url
/// of 16 random bytes (128 bits, 22 characters), which need no escaping in HTTP Basic, form
/// bodies, URLs or shells, and never begin with `-` or `_`, so a command line never takes
/// one for an option.
public enum ClientIDGenerator {
    /// A new client id.
    public static func generate() throws -> String {
        while true {
            let id = Base64URL.encode(try SecureRandom.bytes(count: 16))
            if let first = id.utf8.first, first != UInt8(ascii: "-"), first != UInt8(ascii: "_") { return id }
        }
    }
}
