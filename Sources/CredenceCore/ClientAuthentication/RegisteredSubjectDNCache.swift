public import OpenSSLCrypto

/// Registered `tls_client_auth_subject_dn` values (RFC 8705 §2.1.2), parsed from their RFC 4514
/// string and prepared for matching once, shared by every worker: parsing and RFC 4518
/// preparation (NFKC, case folding) of every request's registered DN was a noticeable share of
/// a `tls_client_auth` token request.
///
/// Keyed by the registered string's UTF-8 bytes (not by `String` equality, which takes
/// canonically equivalent text as equal), so a changed registration (a new client version)
/// is a new entry and nothing needs invalidating; a string that does not parse is cached as
/// such (`nil`), as parsing is deterministic. Bounded: the oldest entry goes first.
public final class RegisteredSubjectDNCache: Sendable {
    private let cache: BoundedCache<[UInt8], PreparedDistinguishedName?>

    /// An empty cache of at most `capacity` names.
    public init(capacity: Int = 4096) {
        cache = BoundedCache(capacity: capacity)
    }

    /// The most names kept.
    public var capacity: Int { cache.capacity }

    /// How many names are cached.
    public var count: Int { cache.count }

    /// `registered` parsed by ``DistinguishedName/init(rfc4514:)`` and prepared, or nil when it
    /// does not parse.
    public func prepared(_ registered: String) -> PreparedDistinguishedName? {
        cache.value(for: Array(registered.utf8)) {
            (try? DistinguishedName(rfc4514: registered)).map(PreparedDistinguishedName.init)
        }
    }
}
