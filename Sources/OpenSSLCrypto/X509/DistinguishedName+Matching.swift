extension DistinguishedName {
    /// Whether two names denote the same entity: the comparison for RFC 8705 §2.1.2
    /// (`tls_client_auth_subject_dn` against the certificate's subject).
    ///
    /// Rules (RFC 5280 §7.1, RFC 4517 §4.2.15 distinguishedNameMatch, RFC 4518):
    /// - The RDN sequence must have the same length and the same order. Order is
    ///   significant because a DN is a path in the directory tree: `O=A,OU=B` and
    ///   `OU=B,O=A` name different entries, and accepting reordered names would let
    ///   a different subject alias the registered one. The registered string is in
    ///   RFC 4514 order (most specific first, as Open Banking registrations and
    ///   `openssl -nameopt RFC2253` write it); ``init(rfc4514:)`` reverses it into
    ///   encoding order before comparing. A name written in the encoding order
    ///   (`C=GB,O=…,CN=…`, OpenSSL's old one-line order) does not match.
    /// - Within a multi-valued RDN the attributes are compared as a set, in any order.
    /// - Attribute types are compared by OID, so `CN`, `commonName`, `2.5.4.3` and
    ///   `OID.2.5.4.3` are the same type.
    /// - Text values (any ASN.1 string type, or `#`-hex BER of one) are compared after
    ///   RFC 4518 preparation (see ``X509StringPrep``): NFKC, case folded, insignificant
    ///   spaces removed, so `C=gb` matches `C=GB` and `O=Acme  Ltd ` matches `O=acme ltd`.
    ///   Every text attribute type is treated as caseIgnoreMatch; that is the rule of
    ///   every type Credence names and the expectation for the rest.
    /// - Non-text values are compared byte for byte.
    /// - A value that RFC 4518 prohibits (unassigned or private-use code points,
    ///   U+FFFD), or that holds a control character, matches nothing, not even itself.
    public func matches(_ other: DistinguishedName) -> Bool {
        PreparedDistinguishedName(self).matches(PreparedDistinguishedName(other))
    }
}

/// A ``DistinguishedName`` reduced once to the form ``DistinguishedName/matches(_:)``
/// compares: each RDN a sorted list of (OID, RFC 4518-prepared value). Preparing a value
/// (NFKC twice, case folding) is most of a comparison's cost, so a name compared again
/// and again (a client's registered `tls_client_auth_subject_dn`, the subject of a
/// certificate presented on every request) is prepared once and kept in this form.
public struct PreparedDistinguishedName: Sendable, Hashable {
    /// The prepared RDNs; nil when a value is prohibited (such a name matches nothing).
    private let form: [[NormalizedAttribute]]?
    /// How many RDNs the name has.
    public let count: Int

    /// Prepares `name` for matching.
    public init(_ name: DistinguishedName) {
        self.form = Self.normalizedForm(of: name)
        self.count = name.relativeDistinguishedNames.count
    }

    /// True for the empty name (no RDNs).
    public var isEmpty: Bool { count == 0 }

    /// Exactly ``DistinguishedName/matches(_:)`` of the two names prepared: the same
    /// number of RDNs, no prohibited value on either side, equal prepared forms.
    public func matches(_ other: PreparedDistinguishedName) -> Bool {
        guard count == other.count, let mine = form, let theirs = other.form else { return false }
        return mine == theirs
    }

    /// Each RDN as a sorted list of (OID, prepared value); nil if any value is prohibited.
    private static func normalizedForm(of name: DistinguishedName) -> [[NormalizedAttribute]]? {
        var result: [[NormalizedAttribute]] = []
        result.reserveCapacity(name.relativeDistinguishedNames.count)
        for rdn in name.relativeDistinguishedNames {
            var attributes: [NormalizedAttribute] = []
            for attribute in rdn.attributes {
                switch attribute.value {
                case .text(let text):
                    guard let prepared = X509StringPrep.prepare(text) else { return nil }
                    attributes.append(
                        NormalizedAttribute(oid: attribute.oid, isText: true, value: Array(prepared.utf8))
                    )
                case .ber(let ber):
                    attributes.append(NormalizedAttribute(oid: attribute.oid, isText: false, value: ber))
                }
            }
            result.append(attributes.sorted())
        }
        return result
    }
}

/// One attribute reduced to what ``DistinguishedName/matches(_:)`` compares.
private struct NormalizedAttribute: Hashable, Comparable {
    let oid: String
    let isText: Bool
    let value: [UInt8]

    static func < (lhs: NormalizedAttribute, rhs: NormalizedAttribute) -> Bool {
        if lhs.oid != rhs.oid { return lhs.oid < rhs.oid }
        if lhs.isText != rhs.isText { return !lhs.isText }
        return lhs.value.lexicographicallyPrecedes(rhs.value)
    }
}
