/// RFC 7591 §3.2.1 and RFC 7592 §2.2: the members the server issues (`client_id`,
/// `client_secret`, `registration_access_token`, …) are never taken from a request: a request
/// carrying one is refused rather than echoed back as if the server had issued it.
public struct ServerManagedFieldsRule: RegistrationRule {
    public let name = "server_managed_fields"
    /// The members only the server sets.
    public static let fields = [
        "client_id", "client_secret", "client_id_issued_at", "client_secret_expires_at",
        "registration_access_token", "registration_client_uri",
    ]

    /// Creates the rule.
    public init() {}

    public func apply(to draft: inout RegistrationDraft) throws(RegistrationRefusal) {
        for field in Self.fields where draft.metadata[field] != nil {
            throw .metadata(
                name,
                "\(field) is issued by the server and must not be sent (RFC 7591 §3.2.1, RFC 7592 §2.2)"
            )
        }
    }
}
