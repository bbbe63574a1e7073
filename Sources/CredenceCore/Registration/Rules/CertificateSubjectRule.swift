import CredenceJSON
import OpenSSLCrypto

/// RFC 8705 §2.1.2: a `tls_client_auth` client registers exactly one of
/// `tls_client_auth_subject_dn` and the `tls_client_auth_san_*` members, and no other method
/// registers any of them. The DN is stored canonical (see ``SubjectDNForms``); an IP SAN must
/// be an IP address.
public struct CertificateSubjectRule: RegistrationRule {
    public let name = "tls_client_auth_subject_dn"

    /// Creates the rule.
    public init() {}

    public func apply(to draft: inout RegistrationDraft) throws(RegistrationRefusal) {
        let members = (["tls_client_auth_subject_dn"] + CertificateSubjectName.metadataNames).filter {
            draft.metadata[$0] != nil
        }
        guard draft.authenticationMethod == .tlsClientAuth else {
            if let first = members.first {
                throw .metadata(name, "\(first) is registered only with token_endpoint_auth_method tls_client_auth")
            }
            return
        }
        guard members.count == 1 else {
            throw .metadata(
                name,
                members.isEmpty
                    ? "tls_client_auth needs tls_client_auth_subject_dn or one tls_client_auth_san_* member (RFC 8705 §2.1.2)"
                    : "register only one of \(members.joined(separator: ", ")) (RFC 8705 §2.1.2)"
            )
        }
        let member = members[0]
        guard let text = try draft.string(member, rule: name) else { return }
        switch member {
        case "tls_client_auth_subject_dn":
            draft.metadata[member] = .string(
                try SubjectDNForms.canonical(text, certificate: draft.certificate.verified, rule: name)
            )
        case "tls_client_auth_san_ip":
            guard GeneralName.canonicalIPAddress(text) != nil else {
                throw .metadata(name, "tls_client_auth_san_ip must be an IPv4 or IPv6 address")
            }
        default:
            guard !text.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F }) else {
                throw .metadata(name, "\(member) must not contain control characters")
            }
        }
    }
}
