import CredenceJSON
import OpenSSLCrypto

/// Certificate ↔ statement binding, per issuer policy (`certificateSubjectBinding`): the
/// registration's TLS client certificate must chain to *that statement issuer's* transport CAs
/// (``VerifiedSoftwareStatement/transportCertificateAuthorities``: signatures, validity now,
/// extendedKeyUsage clientAuth), not merely to some CA `mtls.trusted_ca_file` trusts, and its
/// subject must carry, for each configured attribute, the value its template makes from the
/// statement's claims (UK: `CN` = `{software_id}`, `OU` = `{org_id}`; Brazil: `UID` =
/// `{software_id}`, `organizationIdentifier` = `OFBBR-{org_id}`). A binding is configuration,
/// never code per country. With a binding configured, a registration without such a
/// certificate is refused (`unapproved_software_statement`): otherwise anyone holding a copy of
/// the statement could register it, or a TPP of another directory could claim its name.
public struct CertificateBindingRule: RegistrationRule {
    public let name = "certificate_binding"

    /// Creates the rule.
    public init() {}

    public func apply(to draft: inout RegistrationDraft) throws(RegistrationRefusal) {
        let binding = draft.policy.certificateSubjectBinding
        guard let statement = draft.statement, !binding.isEmpty else { return }
        guard let presented = draft.certificate.presented else {
            throw .unapproved(
                name,
                "this software statement's issuer requires registration over mutual TLS with a certificate from its CAs"
            )
        }
        guard let authorities = statement.transportCertificateAuthorities else {
            // check-config refuses a binding without transport CAs; fail closed all the same.
            throw .unapproved(name, "no transport CA is configured for this software statement's issuer")
        }
        let certificate: VerifiedClientCertificate
        switch presented.verified(by: authorities, at: draft.now) {
        case .success(let verified):
            certificate = verified
        case .failure(let error):
            throw RegistrationRefusal(
                rule: name,
                error: .unapprovedSoftwareStatement(
                    "the client certificate does not chain to the transport CAs of this software statement's issuer",
                    logDetail: "rule=\(name); \(error)"
                )
            )
        }
        for (attribute, template) in binding.sorted(by: { $0.key < $1.key }) {
            let expected = try Self.expand(template, claims: statement.claims, rule: name)
            guard let oid = Self.oid(of: attribute) else {
                throw RegistrationRefusal(
                    rule: name,
                    error: .serverError(logDetail: "certificate binding names an unknown attribute \(attribute)")
                )
            }
            guard certificate.subject.values(ofType: oid).contains(where: { Identifier.equal($0, expected) }) else {
                throw .unapproved(
                    name,
                    "the client certificate's subject \(attribute) does not match the software statement (\(template))"
                )
            }
        }
    }

    /// `template` with each `{claim}` replaced by the statement's string claim; a missing or
    /// non-string claim is a refusal.
    static func expand(_ template: String, claims: JSONObject, rule: String) throws(RegistrationRefusal) -> String {
        var result = ""
        var rest = Substring(template)
        while let open = rest.firstIndex(of: "{") {
            result += rest[..<open]
            guard let close = rest[open...].firstIndex(of: "}") else {
                result += rest[open...]
                return result
            }
            let claim = String(rest[rest.index(after: open)..<close])
            guard let value = claims[claim]?.stringValue, !value.isEmpty else {
                throw .unapproved(rule, "the software statement lacks the claim \(claim) its certificate binding needs")
            }
            result += value
            rest = rest[rest.index(after: close)...]
        }
        return result + rest
    }

    /// The dotted OID of an attribute short name (`CN`, `organizationIdentifier`) or OID.
    static func oid(of attribute: String) -> String? {
        guard let name = try? DistinguishedName(rfc4514: attribute + "=x"),
            let first = name.relativeDistinguishedNames.first?.attributes.first
        else { return nil }
        return first.oid
    }
}
