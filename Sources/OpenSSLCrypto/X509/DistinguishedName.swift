/// An X.501 distinguished name: a certificate's subject or issuer (RFC 5280 §4.1.2.4).
///
/// Credence compares a client certificate's subject with the client's registered
/// `tls_client_auth_subject_dn` (RFC 8705 §2.1.2), which is an RFC 4514 string:
/// ``init(rfc4514:)`` parses one, ``rfc4514String`` prints one, and
/// ``matches(_:)`` is the comparison to use for authentication.
///
/// Equality (`==`) is exact and structural: the same attribute types and values
/// in the same order. It is not the comparison for authentication; use
/// ``matches(_:)``, which applies RFC 4518-style string preparation.
public struct DistinguishedName: Sendable, Hashable, CustomStringConvertible {
    /// The RDNs in encoding order: the most significant first (`C`, then `O`, … `CN`),
    /// the reverse of an RFC 4514 string.
    public var relativeDistinguishedNames: [RelativeDistinguishedName]

    /// A name from RDNs in encoding order (most significant first).
    public init(_ relativeDistinguishedNames: [RelativeDistinguishedName]) {
        self.relativeDistinguishedNames = relativeDistinguishedNames
    }

    /// The RFC 4514 string (see ``rfc4514String``).
    public var description: String { rfc4514String }

    /// True for the empty name (no RDNs), which RFC 5280 §4.1.2.6 allows for a subject with SANs.
    public var isEmpty: Bool { relativeDistinguishedNames.isEmpty }

    /// The values of every attribute of the given dotted OID, in encoding order (text values only).
    public func values(ofType oid: String) -> [String] {
        relativeDistinguishedNames.flatMap { rdn in
            rdn.attributes.compactMap { attribute in
                guard attribute.oid == oid, case .text(let text) = attribute.value else { return nil }
                return text
            }
        }
    }
}

extension DistinguishedName {
    /// One RDN: a set of one or more attributes (several for a multi-valued RDN, `CN=a+UID=b`).
    public struct RelativeDistinguishedName: Sendable, Hashable {
        /// The attributes in encoding order; their order carries no meaning (X.501 SET OF).
        public var attributes: [Attribute]

        /// An RDN of the given attributes (at least one, for a well-formed name).
        public init(_ attributes: [Attribute]) {
            self.attributes = attributes
        }
    }

    /// One AttributeTypeAndValue: a type OID and its value.
    public struct Attribute: Sendable, Hashable {
        /// The attribute type as a dotted OID (`2.5.4.3` for CN), never a name.
        public var oid: String
        /// The value: text for the string types, raw BER otherwise.
        public var value: Value

        /// An attribute from a dotted OID and a value.
        public init(oid: String, value: Value) {
            self.oid = oid
            self.value = value
        }

        /// An attribute with a text value.
        public init(oid: String, text: String) {
            self.init(oid: oid, value: .text(text))
        }

        /// The short name used in RFC 4514 strings (`CN`, `O`, `organizationIdentifier`, …), or nil.
        public var shortName: String? { DistinguishedName.AttributeType.shortName(forOID: oid) }

        /// The value of an attribute.
        public enum Value: Sendable, Hashable {
            /// Any ASN.1 string type (UTF8String, PrintableString, IA5String, BMPString…),
            /// converted to Unicode; the original string type is not kept (RFC 5280 §7.1
            /// compares names after conversion).
            case text(String)
            /// The complete BER/DER encoding (tag, length, contents) of a value that is
            /// not a string type; printed as `#hex` (RFC 4514 §2.4).
            case ber([UInt8])
        }
    }
}
