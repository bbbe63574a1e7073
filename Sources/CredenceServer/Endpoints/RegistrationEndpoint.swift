import CredenceCore
import CredenceJSON
import Foundation
import OpenSSLCrypto

/// `POST /register` (RFC 7591 §3, Open Banking UK DCR) and `GET`/`PUT`/`DELETE
/// /register/{client_id}` (RFC 7592 §2): reads the body (`application/json`, or a signed
/// request as `application/jwt` or `application/jose`), the bearer token and the client
/// certificate (checked against the client CA trust store), and lets ``RegistrationService``
/// decide. Every answer carries `Cache-Control: no-store` (it may hold a secret or a token).
struct RegistrationEndpoint {
    let service: RegistrationService
    let trustStore: CertificateTrustStore?
    /// The largest JSON body depth accepted (metadata is flat; JWK sets nest a little).
    static let jsonLimits = JSONLimits(maxBytes: 1 << 20, maxDepth: 16)

    func register(_ context: RequestContext) throws -> HTTPResponse {
        let answer = try service.register(try request(context, needsBody: true), now: context.now)
        context.clientID = answer.clientID
        return .json(.object(answer.json), status: 201)
    }

    func read(_ context: RequestContext) throws -> HTTPResponse {
        let clientID = try pathClientID(context)
        let answer = try service.read(clientID: clientID, try request(context, needsBody: false), now: context.now)
        return .json(.object(answer.json))
    }

    func update(_ context: RequestContext) throws -> HTTPResponse {
        let clientID = try pathClientID(context)
        let answer = try service.update(clientID: clientID, try request(context, needsBody: true), now: context.now)
        return .json(.object(answer.json))
    }

    func delete(_ context: RequestContext) throws -> HTTPResponse {
        let clientID = try pathClientID(context)
        try service.delete(clientID: clientID, try request(context, needsBody: false), now: context.now)
        return HTTPResponse(
            status: 204,
            headers: [
                HTTPHeaderField(name: "Cache-Control", value: "no-store"),
                HTTPHeaderField(name: "Pragma", value: "no-cache"),
            ]
        )
    }

    private func pathClientID(_ context: RequestContext) throws -> String {
        guard let clientID = context.pathParameters["client_id"] else { throw OAuthError.notFound() }
        context.clientID = clientID
        return clientID
    }

    private func request(_ context: RequestContext, needsBody: Bool) throws -> RegistrationRequest {
        RegistrationRequest(
            body: needsBody ? try Self.body(of: context.request) : nil,
            bearerToken: Self.bearerToken(context.request),
            certificate: certificate(context)
        )
    }

    /// RFC 6750 §2.1: `Authorization: Bearer <token>`; `nil` without a Bearer credential.
    static func bearerToken(_ request: HTTPRequest) -> String? {
        guard let value = request.header("authorization") else { return nil }
        let parts = value.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        return String(parts[1]).trimmingWhitespace()
    }

    /// The body by its media type: JSON metadata, or a compact signed request.
    static func body(of request: HTTPRequest) throws(OAuthError) -> RegistrationRequest.Body {
        switch request.mediaType {
        case "application/json":
            do {
                return .json(try JSONObject.parse(request.body, limits: jsonLimits))
            } catch {
                throw .invalidRequest("the body must be a JSON object of client metadata (RFC 7591 §3.1)")
            }
        case "application/jwt", "application/jose":
            guard let text = String(validating: request.body, as: UTF8.self) else {
                throw .invalidRequest("the signed registration request must be a compact JWS")
            }
            let compact = text.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !compact.isEmpty else { throw .invalidRequest("the signed registration request is empty") }
            return .signed(compact)
        default:
            throw .invalidRequest("the body must be application/json, application/jwt or application/jose")
        }
    }

    private func certificate(_ context: RequestContext) -> RegistrationCertificate {
        guard let presented = context.clientCertificate else { return .none }
        guard let trustStore, case .success(let verified) = presented.verified(by: trustStore, at: context.now) else {
            return .unverified(presented)
        }
        return .verified(verified)
    }
}
