import Foundation

/// What an endpoint handler gets for one request: the request, the values of
/// path parameters, the instant the request is judged at, and a place to note
/// facts for the access log (the client id once it is known).
public final class RequestContext {
    /// The request being answered.
    public let request: HTTPRequest
    /// Values of `{name}` path segments, percent-decoded.
    public let pathParameters: [String: String]
    /// The instant every time rule of this request is checked against.
    public let now: Date
    /// The authenticated or addressed client, for the access log.
    public var clientID: String?

    /// Creates a context; the responder does this for each request.
    public init(request: HTTPRequest, pathParameters: [String: String] = [:], now: Date) {
        self.request = request
        self.pathParameters = pathParameters
        self.now = now
    }
}
