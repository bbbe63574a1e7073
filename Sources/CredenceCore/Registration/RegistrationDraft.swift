public import CredenceJSON
public import Foundation
import OpenSSLCrypto

/// The TLS client certificate a registration arrived with, as far as it was checked.
public enum RegistrationCertificate: Sendable {
    /// No certificate (or one the web server did not see completing a handshake).
    case none
    /// A certificate that did not chain to the configured client CA trust store (or no trust
    /// store is configured): its subject is not evidence of anything.
    case unverified(PresentedClientCertificate)
    /// A certificate that chains to the client CA trust store: its subject may be compared.
    case verified(VerifiedClientCertificate)

    /// SHA-256 of the DER certificate, for the audit trail.
    public var sha256Thumbprint: [UInt8]? {
        switch self {
        case .none: nil
        case .unverified(let certificate): certificate.sha256Thumbprint
        case .verified(let certificate): certificate.sha256Thumbprint
        }
    }

    /// The verified certificate, if any.
    public var verified: VerifiedClientCertificate? {
        if case .verified(let certificate) = self { return certificate }
        return nil
    }

    /// The certificate as presented, verified or not (to verify against another trust store).
    public var presented: PresentedClientCertificate? {
        switch self {
        case .none: nil
        case .unverified(let certificate): certificate
        case .verified(let certificate): certificate.presented
        }
    }
}

/// The metadata of one registration while the rules run over it: the merged request and
/// statement members, what each rule may consult, and the changes the server made, which the
/// response reports (RFC 7591 §3.2.1: the server may replace values, and returns them).
public struct RegistrationDraft: Sendable {
    /// The metadata so far.
    public var metadata: JSONObject
    /// The verified statement, when the registration carries one.
    public let statement: VerifiedSoftwareStatement?
    /// The policy in force: the statement issuer's, or the server's default.
    public let policy: RegistrationPolicy
    /// What the server can serve.
    public let capabilities: RegistrationCapabilities
    /// The certificate the request came with.
    public let certificate: RegistrationCertificate
    /// When the request is decided (certificates are verified at this instant).
    public let now: Date
    /// Values the server replaced or dropped under a `replace` policy, one sentence each.
    public var adjustments: [String] = []

    /// A draft over merged metadata.
    public init(
        metadata: JSONObject,
        statement: VerifiedSoftwareStatement?,
        policy: RegistrationPolicy,
        capabilities: RegistrationCapabilities,
        certificate: RegistrationCertificate,
        now: Date
    ) {
        self.metadata = metadata
        self.statement = statement
        self.policy = policy
        self.capabilities = capabilities
        self.certificate = certificate
        self.now = now
    }

    /// The method the draft names now (after ``AuthenticationMethodRule`` ran, always one).
    var authenticationMethod: ClientAuthenticationMethod? {
        metadata["token_endpoint_auth_method"]?.stringValue.flatMap(ClientAuthenticationMethod.init(rawValue:))
    }

    /// A string array member, or a refusal naming it.
    func stringArray(_ name: String, rule: String) throws(RegistrationRefusal) -> [String]? {
        guard let value = metadata[name] else { return nil }
        guard let strings = value.stringArrayValue else {
            throw .metadata(rule, "\(name) must be an array of strings")
        }
        return strings
    }

    /// A string member, or a refusal naming it.
    func string(_ name: String, rule: String) throws(RegistrationRefusal) -> String? {
        guard let value = metadata[name] else { return nil }
        guard let text = value.stringValue, !text.isEmpty else {
            throw .metadata(rule, "\(name) must be a non-empty string")
        }
        return text
    }
}

/// One registration rule (the swift-certificates policy shape): it reads and may rewrite the
/// draft, or refuses naming itself.
public protocol RegistrationRule: Sendable {
    /// The rule's name in refusals and the audit trail.
    var name: String { get }
    /// Checks (and under a `replace` policy, narrows) the draft.
    func apply(to draft: inout RegistrationDraft) throws(RegistrationRefusal)
}
