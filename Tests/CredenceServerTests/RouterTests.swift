import Testing

@testable import CredenceServer

@Suite struct RouterTests {
    func router(basePath: String = "") -> Router {
        var router = Router(basePath: basePath)
        router.add("GET", "/jwks") { _ in HTTPResponse(status: 200, body: Array("jwks".utf8)) }
        router.add("POST", "/register") { _ in HTTPResponse(status: 201) }
        router.add("GET", "/register/{client_id}") { context in
            HTTPResponse(status: 200, body: Array((context.pathParameters["client_id"] ?? "").utf8))
        }
        router.add("DELETE", "/register/{client_id}") { _ in HTTPResponse(status: 204) }
        return router
    }

    func outcome(_ router: Router, _ method: String, _ path: String) -> String {
        switch router.match(method: method, path: path) {
        case .found(_, let parameters):
            "found \(parameters.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ","))"
        case .methodNotAllowed(let allowed): "405 \(allowed.joined(separator: ","))"
        case .notFound: "404"
        }
    }

    @Test(arguments: [
        ("GET", "/jwks", "found "),
        ("HEAD", "/jwks", "found "),
        ("POST", "/jwks", "405 GET,HEAD"),
        ("GET", "/register", "405 POST"),
        ("GET", "/register/abc", "found client_id=abc"),
        ("GET", "/register/a%20b%2Bc", "found client_id=a b+c"),
        ("PUT", "/register/abc", "405 GET,DELETE,HEAD"),
        ("GET", "/register/a%2Fb", "404"),
        ("GET", "/register/a%zz", "404"),
        ("GET", "/register/a%00", "404"),
        ("GET", "/register/", "404"),
        ("GET", "/register/abc/extra", "404"),
        ("GET", "/jwks/", "404"),
        ("GET", "/nowhere", "404"),
        ("GET", "", "404"),
        ("GET", "jwks", "404"),
    ])
    func withoutBasePath(method: String, path: String, expected: String) {
        #expect(outcome(router(), method, path) == expected)
    }

    @Test(arguments: [
        ("GET", "/oauth/jwks", "found "),
        ("GET", "/jwks", "404"),
        ("GET", "/oauthx/jwks", "404"),
        ("GET", "/oauth", "404"),
        ("GET", "/oauth/register/x", "found client_id=x"),
    ])
    func withBasePath(method: String, path: String, expected: String) {
        #expect(outcome(router(basePath: "/oauth"), method, path) == expected)
    }
}
