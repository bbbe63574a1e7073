import Dispatch
import FastCGI
import Synchronization

/// Answers with what it received: the method, selected parameters and the body, and turns
/// rejections into the usual statuses (413, 431, 400) with the case name in a header.
struct EchoHandler: FastCGIRequestHandler {
    var worker = 0

    func respond(to request: FastCGIRequest) -> FastCGIResponse {
        var headers: [(name: String, value: String)] = [
            ("Content-Type", "application/octet-stream"), ("X-Method", request.method), ("X-Worker", "\(worker)"),
            ("X-Parameter-Count", "\(request.parameters.count)"),
        ]
        if let query = request.parameters["QUERY_STRING"] { headers.append(("X-Query", query)) }
        if let role = request.parameters["FCGI_ROLE"] { headers.append(("X-Role", role)) }
        return FastCGIResponse(status: 200, headers: headers, body: request.body)
    }

    func respond(toRejected rejection: FastCGIRequestRejection, parameters: [String: String]) -> FastCGIResponse {
        let (status, kind): (Int, String) =
            switch rejection {
            case .bodyTooLarge: (413, "bodyTooLarge")
            case .parametersTooLarge: (431, "parametersTooLarge")
            case .malformed: (400, "malformed")
            }
        return FastCGIResponse(
            status: status,
            headers: [("X-Rejection", kind), ("X-Seen-Method", parameters["REQUEST_METHOD"] ?? "-")],
            body: Array("refused".utf8)
        )
    }
}

/// A handler that returns whatever response it is given.
struct FixedHandler: FastCGIRequestHandler {
    let response: FastCGIResponse

    func respond(to request: FastCGIRequest) -> FastCGIResponse { response }

    func respond(toRejected rejection: FastCGIRequestRejection, parameters: [String: String]) -> FastCGIResponse {
        FastCGIResponse(status: 400)
    }
}

/// A handler that signals when a request arrives and waits for permission to answer.
final class Gate: Sendable {
    let entered = DispatchSemaphore(value: 0)
    let release = DispatchSemaphore(value: 0)
}

struct GatedHandler: FastCGIRequestHandler {
    let gate: Gate

    func respond(to request: FastCGIRequest) -> FastCGIResponse {
        gate.entered.signal()
        _ = gate.release.wait(timeout: .now() + .seconds(20))
        return FastCGIResponse(status: 200, body: Array("finished".utf8))
    }

    func respond(toRejected rejection: FastCGIRequestRejection, parameters: [String: String]) -> FastCGIResponse {
        FastCGIResponse(status: 400)
    }
}
