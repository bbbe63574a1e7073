/// The application side of the responder: turns a request value into a response value.
///
/// The server calls `makeHandler` once on each worker thread and keeps the instance on that
/// thread only, so a handler may own thread-confined resources (a database connection,
/// scratch buffers) without locks. Handlers must not block forever: shutdown waits for
/// in-flight requests for ``FastCGIServerConfiguration/shutdownGracePeriod`` only.
public protocol FastCGIRequestHandler {
    /// Answers a well-formed request.
    func respond(to request: FastCGIRequest) -> FastCGIResponse

    /// Answers a request the server refused to build. `parameters` holds the request's
    /// parameters when they could be read (for ``FastCGIRequestRejection/parametersTooLarge(limit:)``
    /// only `REQUEST_METHOD`, `REQUEST_URI`, `SCRIPT_NAME`, `PATH_INFO`, `DOCUMENT_URI`,
    /// `CONTENT_TYPE`, `CONTENT_LENGTH`, `SERVER_PROTOCOL` and `REMOTE_ADDR`, each when at
    /// most 1 KiB and valid UTF-8). The body was never read into memory.
    func respond(toRejected rejection: FastCGIRequestRejection, parameters: [String: String]) -> FastCGIResponse
}
