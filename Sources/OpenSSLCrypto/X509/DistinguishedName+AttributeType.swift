extension DistinguishedName {
    /// The attribute type names Credence reads and writes in RFC 4514 strings.
    ///
    /// Written (``DistinguishedName/rfc4514String``): the nine short names of
    /// RFC 4514 §3 (CN, L, ST, O, OU, C, STREET, DC, UID), and three names that are
    /// not in that table but that OpenSSL prints (`openssl x509 -subject -nameopt
    /// RFC2253`), so that the string an operator copies from OpenSSL, or from the
    /// Open Banking directory, is the string Credence prints: `emailAddress`
    /// (1.2.840.113549.1.9.1), `organizationIdentifier` (2.5.4.97, eIDAS/PSD2),
    /// `serialNumber` (2.5.4.5). Every other type is written as a dotted OID with
    /// a `#`-hex value, as RFC 4514 §2.3–2.4 require.
    ///
    /// Read (``DistinguishedName/init(rfc4514:)``), case-insensitively: those names,
    /// the long names of RFC 4519 for the nine, `E` (Windows and Java write it
    /// for emailAddress), dotted OIDs, and `OID.`-prefixed dotted OIDs (Java).
    /// Anything else is refused rather than guessed.
    enum AttributeType {
        /// (OID, name written, other names read).
        static let table: [(oid: String, name: String, aliases: [String])] = [
            ("2.5.4.3", "CN", ["commonName"]),
            ("2.5.4.7", "L", ["localityName"]),
            ("2.5.4.8", "ST", ["stateOrProvinceName"]),
            ("2.5.4.10", "O", ["organizationName"]),
            ("2.5.4.11", "OU", ["organizationalUnitName"]),
            ("2.5.4.6", "C", ["countryName"]),
            ("2.5.4.9", "STREET", ["streetAddress"]),
            ("0.9.2342.19200300.100.1.25", "DC", ["domainComponent"]),
            ("0.9.2342.19200300.100.1.1", "UID", ["userId"]),
            ("1.2.840.113549.1.9.1", "emailAddress", ["E"]),
            ("2.5.4.97", "organizationIdentifier", []),
            ("2.5.4.5", "serialNumber", []),
        ]

        private static let byOID: [String: String] = Dictionary(
            uniqueKeysWithValues: table.map { ($0.oid, $0.name) }
        )

        private static let byLowercasedName: [String: String] = {
            var map: [String: String] = [:]
            for entry in table {
                map[entry.name.lowercased()] = entry.oid
                for alias in entry.aliases { map[alias.lowercased()] = entry.oid }
            }
            return map
        }()

        /// The name written for `oid`, or nil when it is written as a dotted OID.
        static func shortName(forOID oid: String) -> String? { byOID[oid] }

        /// The OID for a name read from a string (case-insensitive), or nil if unknown.
        static func oid(forName name: String) -> String? { byLowercasedName[name.lowercased()] }
    }
}
