import CredenceCore
import CredenceJSON
import Foundation
import Synchronization

/// A `RegistrationStore` in memory with the PostgreSQL store's rules, for domain and server
/// tests. Client rows live in the given ``InMemoryClientStore`` (so the token endpoint sees the
/// registered clients); the statement columns, the registration `jti`s and the audit trail
/// live here. Each write happens under one lock and writes nothing when any step fails, as the
/// database transaction does: a replayed `jti`, a uniqueness conflict (one client per
/// issuer and `software_id`, or per statement `jti`), a client the client store refuses, or
/// an audit write made to fail with ``failAuditWrites``.
public final class InMemoryRegistrationStore: RegistrationStore, Sendable {
    private struct Extra: Sendable {
        var statementIssuer: String?
        var statementJTI: String?
        var uniqueness: RegistrationPolicy.Uniqueness?
        var signedRequest: Bool
    }
    private struct State: Sendable {
        var extras: [[UInt8]: Extra] = [:]
        var usedJTIs: [[[UInt8]]: Date] = [:]
        var events: [AuditEvent] = []
        var nextEventID: Int64 = 1
    }
    private let state = Mutex(State())
    private let failAudit = Mutex(false)
    /// The client rows.
    public let clients: InMemoryClientStore

    /// A store writing its client rows into `clients`.
    public init(clients: InMemoryClientStore) {
        self.clients = clients
    }

    /// Makes every audit write fail (`StoreError.failed`), to show that a registration whose
    /// last step fails leaves nothing written.
    public var failAuditWrites: Bool {
        get { failAudit.withLock { $0 } }
        set { failAudit.withLock { $0 = newValue } }
    }

    /// Every recorded event, oldest first.
    public var events: [AuditEvent] { state.withLock { $0.events } }

    /// How many registration `jti`s are recorded.
    public var usedJTICount: Int { state.withLock { $0.usedJTIs.count } }

    private func checkReachable() throws {
        if !clients.isReachable { throw StoreError.unavailable("in-memory store switched off") }
    }

    public func register(_ registration: NewRegistration) throws -> RegistrationOutcome {
        try checkReachable()
        return try state.withLock { state in
            var used = state.usedJTIs
            let now = registration.client.createdAt
            for entry in registration.usedJTIs {
                let key = [Array(entry.issuer.utf8), Array(entry.jti.utf8)]
                if let existing = used[key], !(existing < now) { return .replayed(entry) }
                used[key] = entry.expiresAt
            }
            if let uniqueness = registration.uniqueness, let issuer = registration.statementIssuer {
                let taken = try state.extras.contains { key, extra in
                    guard extra.uniqueness == uniqueness, Identifier.equal(extra.statementIssuer, issuer) else {
                        return false
                    }
                    switch uniqueness {
                    case .perSoftwareID:
                        let other = try clients.client(id: String(decoding: key, as: UTF8.self))
                        return Identifier.equal(other?.softwareID, registration.client.softwareID)
                    case .perStatement:
                        return Identifier.equal(extra.statementJTI, registration.statementJTI)
                    case .many:
                        return false
                    }
                }
                if taken { return .alreadyRegistered }
            }
            try clients.insert(registration.client)
            do {
                try appendEvent(registration.audit, to: &state)
            } catch {
                _ = try? clients.delete(id: registration.client.clientID)
                throw error
            }
            state.usedJTIs = used
            state.extras[Array(registration.client.clientID.utf8)] = Extra(
                statementIssuer: registration.statementIssuer,
                statementJTI: registration.statementJTI,
                uniqueness: registration.uniqueness,
                signedRequest: registration.signedRequest
            )
            return .stored
        }
    }

    public func registration(clientID: String) throws -> StoredRegistration? {
        try checkReachable()
        guard let client = try clients.client(id: clientID) else { return nil }
        let extra = state.withLock { $0.extras[Array(clientID.utf8)] }
        return StoredRegistration(
            client: client,
            statementIssuer: extra?.statementIssuer,
            statementJTI: extra?.statementJTI,
            signedRequest: extra?.signedRequest ?? false
        )
    }

    public func replace(_ client: Client, requestJTI: RecordedJTI?, audit: AuditEvent?) throws -> RegistrationOutcome {
        try checkReachable()
        return try state.withLock { state in
            guard let previous = try clients.client(id: client.clientID) else { return .clientGone }
            var used = state.usedJTIs
            if let entry = requestJTI {
                let key = [Array(entry.issuer.utf8), Array(entry.jti.utf8)]
                if let existing = used[key], !(existing < client.updatedAt) { return .replayed(entry) }
                used[key] = entry.expiresAt
            }
            try clients.update(client)
            if let audit {
                do {
                    try appendEvent(audit, to: &state)
                } catch {
                    try? clients.update(previous)
                    throw error
                }
            }
            state.usedJTIs = used
            return .stored
        }
    }

    public func delete(clientID: String, audit: AuditEvent) throws -> Bool {
        try checkReachable()
        return try state.withLock { state in
            guard let previous = try clients.client(id: clientID) else { return false }
            _ = try clients.delete(id: clientID)
            do {
                try appendEvent(audit, to: &state)
            } catch {
                try? clients.insert(previous)
                throw error
            }
            state.extras[Array(clientID.utf8)] = nil
            return true
        }
    }

    public func record(_ event: AuditEvent) throws {
        try checkReachable()
        try state.withLock { state in try appendEvent(event, to: &state) }
    }

    public func auditEvents(clientID: String?, since: Date?, limit: Int) throws -> [AuditEvent] {
        try checkReachable()
        return state.withLock { state in
            Array(
                state.events.filter { event in
                    (clientID == nil || Identifier.equal(event.clientID, clientID))
                        && (since.map { event.occurredAt >= $0 } ?? true)
                }.prefix(max(0, limit))
            )
        }
    }

    private func appendEvent(_ event: AuditEvent, to state: inout State) throws {
        if failAuditWrites { throw StoreError.failed("audit writes switched off") }
        var stored = event
        stored.id = state.nextEventID
        state.nextEventID += 1
        state.events.append(stored)
    }
}
