/// Method + path routing relative to the configured base path. Paths are
/// split into segments and each segment percent-decoded once, so `{client_id}`
/// receives the decoded value; a path that matches no route is 404 and a path
/// that matches with another method is 405 with `Allow`.
public struct Router {
    /// An endpoint: takes the request context, returns a response or throws an
    /// error the responder renders (`OAuthError`, `StoreError`).
    public typealias Handler = (RequestContext) throws -> HTTPResponse

    private enum Segment: Equatable {
        case literal(String)
        case parameter(String)
    }

    private struct Route {
        var method: String
        var segments: [Segment]
        var handler: Handler
    }

    /// The outcome of matching a request.
    public enum Match {
        /// A route matched; call the handler with these path parameters.
        case found(Handler, pathParameters: [String: String])
        /// The path exists but not for this method; the allowed methods.
        case methodNotAllowed(allowed: [String])
        /// Nothing answers this path.
        case notFound
    }

    private let basePath: String
    private var routes: [Route] = []
    private var absoluteRoutes: [Route] = []

    /// Creates a router for paths under `basePath` (`""` or `/oauth`).
    public init(basePath: String) {
        self.basePath = basePath
    }

    /// Adds a route; `pattern` is relative to the base path, with `{name}` for a parameter segment.
    public mutating func add(_ method: String, _ pattern: String, handler: @escaping Handler) {
        let segments = pattern.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map {
            part -> Segment in
            if part.hasPrefix("{") && part.hasSuffix("}") { return .parameter(String(part.dropFirst().dropLast())) }
            return .literal(String(part))
        }
        routes.append(Route(method: method, segments: Array(segments), handler: handler))
    }

    /// Adds a route at an absolute path, outside the base path (RFC 8414 §3 puts the metadata
    /// of an issuer with a path at `/.well-known/oauth-authorization-server/{path}`).
    public mutating func addAbsolute(_ method: String, _ path: String, handler: @escaping Handler) {
        let segments = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map {
            Segment.literal(String($0))
        }
        absoluteRoutes.append(Route(method: method, segments: Array(segments), handler: handler))
    }

    /// Finds the route for a method and a raw (percent-encoded) request path.
    /// `HEAD` is answered by `GET` routes.
    public func match(method: String, path: String) -> Match {
        if !absoluteRoutes.isEmpty, path.hasPrefix("/"), let segments = Self.decodedSegments(path) {
            let match = Self.match(method: method, segments: segments, in: absoluteRoutes)
            if case .notFound = match {} else { return match }
        }
        guard let relative = relativePath(path), let segments = Self.decodedSegments(relative) else { return .notFound }
        return Self.match(method: method, segments: segments, in: routes)
    }

    private static func match(method: String, segments: [String], in routes: [Route]) -> Match {
        var allowed: [String] = []
        for route in routes {
            guard let parameters = bind(route.segments, to: segments) else { continue }
            if route.method == method || (method == "HEAD" && route.method == "GET") {
                return .found(route.handler, pathParameters: parameters)
            }
            if !allowed.contains(route.method) { allowed.append(route.method) }
        }
        if allowed.isEmpty { return .notFound }
        if allowed.contains("GET") && !allowed.contains("HEAD") { allowed.append("HEAD") }
        return .methodNotAllowed(allowed: allowed)
    }

    private func relativePath(_ path: String) -> String? {
        guard path.hasPrefix("/") else { return nil }
        if basePath.isEmpty { return path }
        guard path.hasPrefix(basePath) else { return nil }
        let rest = path.dropFirst(basePath.count)
        if rest.isEmpty { return "/" }
        return rest.hasPrefix("/") ? String(rest) : nil
    }

    private static func bind(_ pattern: [Segment], to segments: [String]) -> [String: String]? {
        guard pattern.count == segments.count else { return nil }
        var parameters: [String: String] = [:]
        for (expected, actual) in zip(pattern, segments) {
            switch expected {
            case .literal(let literal):
                guard literal == actual else { return nil }
            case .parameter(let name):
                guard !actual.isEmpty else { return nil }
                parameters[name] = actual
            }
        }
        return parameters
    }

    /// Splits `/a/b%20c` into `["a", "b c"]`; `nil` for malformed percent-encoding,
    /// encoded slashes or NUL, which no route accepts.
    static func decodedSegments(_ path: String) -> [String]? {
        var segments: [String] = []
        for raw in path.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false).dropFirst() {
            guard let decoded = PercentDecoding.decode(raw, plusAsSpace: false),
                !decoded.utf8.contains(UInt8(ascii: "/")), !decoded.utf8.contains(0)
            else { return nil }
            segments.append(decoded)
        }
        return segments
    }
}

/// Strict percent-decoding (RFC 3986 §2.1) into UTF-8 text.
enum PercentDecoding {
    /// Decodes `bytes`; `nil` when a `%` is not followed by two hex digits or
    /// the result is not valid UTF-8.
    static func decode(_ bytes: some Collection<UInt8>, plusAsSpace: Bool) -> String? {
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        var iterator = bytes.makeIterator()
        while let byte = iterator.next() {
            switch byte {
            case UInt8(ascii: "%"):
                guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else {
                    return nil
                }
                output.append(high << 4 | low)
            case UInt8(ascii: "+") where plusAsSpace:
                output.append(UInt8(ascii: " "))
            default:
                output.append(byte)
            }
        }
        return String(validating: output, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
