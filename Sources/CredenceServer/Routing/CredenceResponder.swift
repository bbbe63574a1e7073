import CredenceCore
import CredenceJOSE
import Foundation
import Logging

/// Answers requests for one worker thread: routes, runs the endpoint, turns
/// every error into an OAuth JSON error (never a stack trace, never a dead
/// worker), and writes one access-log line per request (at `error` for a 500,
/// `notice` for a 503, which `DatabaseOutageLog` reports once per outage, and
/// `info` otherwise).
public final class CredenceResponder {
    private let router: Router
    private let clock: any Clock
    private let logger: Logger
    private let outages: DatabaseOutageLog?
    private let databaseSessionIsOpen: () -> Bool
    private let certificates: ClientCertificateCache?

    /// Creates a responder; `CredenceApplication.makeResponder` is the usual way.
    /// `outages` learns of every 503 for an unreachable database and of a
    /// request that opened this worker's database session again
    /// (`databaseSessionIsOpen`). `certificates`, shared by every worker, parses the
    /// requests' client certificates.
    public init(
        router: Router,
        clock: any Clock,
        logger: Logger,
        outages: DatabaseOutageLog? = nil,
        databaseSessionIsOpen: @escaping () -> Bool = { true },
        certificates: ClientCertificateCache? = nil
    ) {
        self.router = router
        self.clock = clock
        self.logger = logger
        self.outages = outages
        self.databaseSessionIsOpen = databaseSessionIsOpen
        self.certificates = certificates
    }

    /// Answers one request. A HEAD request is answered exactly as its GET, body included:
    /// the transport sends the head with the body's `Content-Length` and leaves the body out
    /// (RFC 9110 §9.3.2), so the length is the one a GET gets.
    public func respond(to request: HTTPRequest) -> HTTPResponse {
        let started = DispatchTime.now().uptimeNanoseconds
        let context: RequestContext
        var response: HTTPResponse
        var failure: OAuthError?
        switch router.match(method: request.method, path: request.path) {
        case .notFound:
            context = RequestContext(request: request, now: clock.now, certificates: certificates)
            failure = .notFound()
        case .methodNotAllowed(let allowed):
            context = RequestContext(request: request, now: clock.now, certificates: certificates)
            failure = .methodNotAllowed(allowed: allowed)
        case .found(let handler, let parameters):
            context = RequestContext(
                request: request,
                pathParameters: parameters,
                now: clock.now,
                certificates: certificates
            )
            // During an outage: a session closed before the request and open after it means
            // the request reached the database again.
            let sessionWasClosed = outages?.isOngoing == true && !databaseSessionIsOpen()
            defer { if sessionWasClosed && databaseSessionIsOpen() { outages?.databaseReached() } }
            do {
                response = try handler(context)
                log(request: request, context: context, status: response.status, error: nil, started: started)
                return response
            } catch let error as OAuthError {
                failure = error
            } catch let error as StoreError where error.code == .unavailable {
                failure = .temporarilyUnavailable(logDetail: error.debugDescription)
                // Unreachable, not merely busy (a lock, a serialization failure): the session is gone.
                if !databaseSessionIsOpen() { outages?.requestFailed(detail: error.debugDescription) }
            } catch {
                failure = .serverError(logDetail: String(reflecting: error))
            }
        }
        let error = failure ?? .serverError(logDetail: "no response")
        response = .error(error)
        log(request: request, context: context, status: response.status, error: error, started: started)
        return response
    }

    /// Answers a request the transport refused (oversize or malformed).
    public func respond(toRejected rejection: RequestRejection, request: HTTPRequest) -> HTTPResponse {
        let started = DispatchTime.now().uptimeNanoseconds
        let error: OAuthError
        switch rejection {
        case .bodyTooLarge(let limit):
            error = .requestTooLarge(limit: limit)
        case .parametersTooLarge(let limit):
            error = OAuthError(
                code: "invalid_request",
                description: "request headers larger than \(limit) bytes",
                status: 431
            )
        case .malformed(let reason):
            error = .invalidRequest("malformed request", logDetail: reason)
        }
        let context = RequestContext(request: request, now: clock.now, certificates: certificates)
        log(request: request, context: context, status: error.status, error: error, started: started)
        return .error(error)
    }

    private func log(request: HTTPRequest, context: RequestContext, status: Int, error: OAuthError?, started: UInt64) {
        let elapsed = DispatchTime.now().uptimeNanoseconds - started
        var metadata: Logger.Metadata = [
            "http.method": .string(request.method.isEmpty ? "-" : request.method),
            "http.path": .string(request.path),
            "http.status": .stringConvertible(status),
            "http.duration_ms": .string(Self.milliseconds(nanoseconds: elapsed)),
            "http.auth_scheme": .string(request.authorizationScheme ?? "none"),
        ]
        if let clientID = context.clientID { metadata["oauth.client_id"] = .string(clientID) }
        if let parameter = request.clientCertificate {
            metadata["tls.client_verify"] = .string(parameter.webServerVerification ?? "-")
            if let certificate = context.clientCertificate {
                metadata["tls.client_cert_sha256"] = .string(Base64URL.encode(certificate.sha256Thumbprint))
            } else if !parameter.certificateWasPresented {
                metadata["tls.client_cert_error"] = .string("ignored_without_handshake_verdict")
            } else {
                metadata["tls.client_cert_error"] = .string(
                    context.clientCertificateError.map { "\($0.code)" } ?? "undecodable"
                )
            }
        }
        if let error {
            metadata["oauth.error"] = .string(error.code)
            if status >= 500 || error.logDetail != nil {
                metadata["error.detail"] = .string(error.debugDescription)
            }
        }
        logger.log(level: Self.accessLevel(status: status), "request", metadata: metadata)
    }

    /// A duration in milliseconds with two decimals, rounded half up (`String(format:)`
    /// goes through Foundation's formatter, a noticeable share of a request's CPU).
    static func milliseconds(nanoseconds: UInt64) -> String {
        let hundredths = (nanoseconds + 5_000) / 10_000
        let fraction = hundredths % 100
        return "\(hundredths / 100).\(fraction < 10 ? "0" : "")\(fraction)"
    }

    /// The access line's level: a 503 (the database or a dependency is away) is
    /// below `error`, so that alerting fires on `DatabaseOutageLog`'s one event
    /// per outage, not on every request answered meanwhile.
    static func accessLevel(status: Int) -> Logger.Level {
        switch status {
        case 503: .notice
        case 500...: .error
        default: .info
        }
    }
}
