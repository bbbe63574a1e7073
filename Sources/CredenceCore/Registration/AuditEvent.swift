public import CredenceJSON
public import Foundation

/// One entry of the audit trail (`audit_events`): a registration, update, deletion or refusal,
/// who asked (the initial access token's client, the certificate's thumbprint), the statement
/// it concerned (`software_id`, `org_id`, `jti`, issuer), the decision and the rule that made it.
/// Never a secret or a token.
public struct AuditEvent: Sendable, Hashable {
    /// The store's id, once stored.
    public var id: Int64?
    /// When it happened.
    public var occurredAt: Date
    /// `client.registered`, `client.updated`, `client.deleted`, `registration.refused`,
    /// `management.refused`.
    public var type: String
    /// The client concerned, when there is one.
    public var clientID: String?
    /// The details (JSON object; no secrets).
    public var details: JSONObject

    /// Creates an event.
    public init(id: Int64? = nil, occurredAt: Date, type: String, clientID: String?, details: JSONObject) {
        self.id = id
        self.occurredAt = occurredAt
        self.type = type
        self.clientID = clientID
        self.details = details
    }
}

/// Reading the audit trail (`credence audit list`).
public protocol AuditLog {
    /// Events oldest first, of one client when `clientID` is given, from `since` when given,
    /// at most `limit`.
    func auditEvents(clientID: String?, since: Date?, limit: Int) throws -> [AuditEvent]
}
