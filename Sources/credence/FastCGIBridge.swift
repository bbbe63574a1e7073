import CredenceServer
import FastCGI

/// Feeds one worker's FastCGI requests to its `CredenceResponder` and writes
/// the answers back: the only place where the transport meets the server.
struct FastCGIBridge: FastCGIRequestHandler {
    let responder: CredenceResponder

    func respond(to request: FastCGIRequest) -> FastCGIResponse {
        Self.convert(responder.respond(to: HTTPRequest(cgiParameters: request.parameters, body: request.body)))
    }

    func respond(toRejected rejection: FastCGIRequestRejection, parameters: [String: String]) -> FastCGIResponse {
        let reason: RequestRejection
        switch rejection {
        case .bodyTooLarge(let limit): reason = .bodyTooLarge(limit: limit)
        case .parametersTooLarge(let limit): reason = .parametersTooLarge(limit: limit)
        case .malformed(let why): reason = .malformed(reason: why)
        }
        let request = HTTPRequest(cgiParameters: parameters, body: [])
        return Self.convert(responder.respond(toRejected: reason, request: request))
    }

    static func convert(_ response: HTTPResponse) -> FastCGIResponse {
        FastCGIResponse(
            status: response.status,
            headers: response.headers.map { ($0.name, $0.value) },
            body: response.body
        )
    }
}
