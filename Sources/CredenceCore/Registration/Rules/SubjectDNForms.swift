import OpenSSLCrypto

/// How a registered `tls_client_auth_subject_dn` is read (RFC 8705 §2.1.2 asks RFC 4514 form):
/// it is stored canonical, in RFC 4514 order, so that at token time only that form is compared.
/// At registration, and only then, a DN written in the reverse order (the X.500 / encoding
/// order `C=GB,O=…,CN=…`, or the legacy slash form `/C=GB/O=…/CN=…`) is accepted when,
/// reversed, it equals the subject of the certificate the registration arrived with (verified
/// against the client CA trust store); it is then stored in RFC 4514 form. No other
/// reordering. `OID=#hex` values are read as RFC 4514 §2.4 says.
public enum SubjectDNForms {
    /// The canonical RFC 4514 string for `text`, or a refusal naming the member.
    public static func canonical(
        _ text: String,
        certificate: VerifiedClientCertificate?,
        rule: String = "tls_client_auth_subject_dn"
    ) throws(RegistrationRefusal) -> String {
        let member = "tls_client_auth_subject_dn"
        if text.hasPrefix("/") {
            guard let name = slashForm(text) else {
                throw .metadata(rule, "\(member) in the slash form /C=…/O=…/CN=… could not be parsed")
            }
            guard let certificate, certificate.matches(subjectDN: name) else {
                throw .metadata(
                    rule,
                    "\(member) in the slash (X.500) order is accepted only when it equals the presented client certificate's subject; send it in RFC 4514 order"
                )
            }
            return name.rfc4514String
        }
        let name: DistinguishedName
        do {
            name = try DistinguishedName(rfc4514: text)
        } catch {
            throw .metadata(rule, "\(member) is not an RFC 4514 distinguished name")
        }
        guard !name.isEmpty else { throw .metadata(rule, "\(member) must not be empty") }
        guard let certificate, !certificate.matches(subjectDN: name) else { return name.rfc4514String }
        let reversed = DistinguishedName(name.relativeDistinguishedNames.reversed())
        if certificate.matches(subjectDN: reversed) { return reversed.rfc4514String }
        return name.rfc4514String
    }

    /// Parses `/C=GB/O=Acme/CN=x` (most significant first; `+` joins a multi-valued RDN; `\`
    /// escapes the next character) into a name in encoding order.
    static func slashForm(_ text: String) -> DistinguishedName? {
        var components: [[String]] = []
        var attributes: [String] = []
        var current = ""
        var escaped = false
        for character in text.dropFirst() {
            if escaped {
                current.append("\\")
                current.append(character)
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else if character == "/" {
                attributes.append(current)
                components.append(attributes)
                attributes = []
                current = ""
            } else if character == "+" {
                attributes.append(current)
                current = ""
            } else {
                current.append(character)
            }
        }
        guard !escaped else { return nil }
        attributes.append(current)
        components.append(attributes)
        var rdns: [DistinguishedName.RelativeDistinguishedName] = []
        for component in components {
            var parsed: [DistinguishedName.Attribute] = []
            for attribute in component {
                guard let equals = attribute.firstIndex(of: "=") else { return nil }
                let type = String(attribute[..<equals])
                let value = unescape(String(attribute[attribute.index(after: equals)...]))
                guard !type.isEmpty, !value.isEmpty,
                    let single = try? DistinguishedName(rfc4514: type + "=" + rfc4514Escaped(value)),
                    single.relativeDistinguishedNames.count == 1,
                    let only = single.relativeDistinguishedNames[0].attributes.first
                else { return nil }
                parsed.append(only)
            }
            rdns.append(DistinguishedName.RelativeDistinguishedName(parsed))
        }
        return DistinguishedName(rdns)
    }

    private static func unescape(_ value: String) -> String {
        var result = ""
        var escaped = false
        for character in value {
            if escaped || character != "\\" {
                result.append(character)
                escaped = false
            } else {
                escaped = true
            }
        }
        return result
    }

    /// RFC 4514 §2.4 escaping of one value (the value of a slash component is unescaped text).
    private static func rfc4514Escaped(_ value: String) -> String {
        var result = ""
        let characters = Array(value)
        for (index, character) in characters.enumerated() {
            let special = "\"+,;<>\\".contains(character)
            let leading = index == 0 && (character == "#" || character == " ")
            let trailing = index == characters.count - 1 && character == " "
            if special || leading || trailing { result.append("\\") }
            result.append(character)
        }
        return result
    }
}
