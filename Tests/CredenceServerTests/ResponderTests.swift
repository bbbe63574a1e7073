import CredenceCore
import CredenceJOSE
import CredenceJSON
import CredenceServer
import CredenceTesting
import Foundation
import Logging
import OpenSSLCrypto
import Testing

/// Test double for a worker's services: in-memory stores, the key store's
/// reachability doubling as the database's.
final class TestServices: WorkerServices {
    let store = InMemorySigningKeyStore()
    let clients = InMemoryClientStore()
    let replays = InMemoryReplayStore()
    let revoked = InMemoryRevokedTokenStore()
    var signingKeyStore: any SigningKeyStore { store }
    var clientStore: any ClientStore { clients }
    var replayStore: any ReplayStore { replays }
    var revokedTokenStore: any RevokedTokenStore { revoked }
    lazy var registrations = InMemoryRegistrationStore(clients: clients)
    var registrationStore: (any RegistrationStore)? { registrations }
    func databaseIsReachable() -> Bool { store.isReachable }
}

@Suite struct ResponderTests {
    static let configurationText = """
        issuer: https://as.bank.example/oauth
        database: {url: dbname=credence}
        keys: {encryption_key_file: /kek, refresh_interval_seconds: 30}
        """
    /// RFC 7638 §3.1's example RSA public key.
    static let publicJWK =
        #"{"kty":"RSA","n":"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw","e":"AQAB","kid":"NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs","use":"sig","alg":"PS256"}"#

    let clock = FixedClock()
    let services = TestServices()
    let responder: CredenceResponder
    /// Tags rows as `credence keys` would with the configuration's key-encryption key.
    let integrity: SigningKeyIntegrity

    init() throws {
        let configuration = try CredenceConfiguration.parse(
            yaml: Self.configurationText,
            environment: [:],
            readFile: { _ in Array(repeating: 1, count: 32) }
        )
        let application = try CredenceApplication(configuration: configuration, clock: clock)
        responder = application.makeResponder(services: services, logger: Logger(label: "test"))
        integrity = SigningKeyIntegrity(encryptionKey: try KeyEncryptionKey(bytes: Array(repeating: 1, count: 32)))
    }

    func get(_ path: String, method: String = "GET", headers: [String: String] = [:]) -> HTTPResponse {
        responder.respond(to: HTTPRequest(method: method, path: path, headers: headers))
    }

    func json(_ response: HTTPResponse) throws -> JSONValue {
        try JSONValue.parse(response.body)
    }

    func record(
        kid: String,
        state: SigningKeyState,
        jwk: String = ResponderTests.publicJWK,
        publishUntil: Date? = nil
    ) throws -> SigningKeyRecord {
        try integrity.tagged(
            SigningKeyRecord(
                kid: kid,
                algorithm: "PS256",
                state: state,
                publicJWK: jwk,
                sealedPrivateKey: [1, 2, 3],
                createdAt: clock.now,
                retiredAt: state == .retired ? clock.now : nil,
                publishUntil: publishUntil
            )
        )
    }

    @Test(arguments: [
        "/oauth/.well-known/oauth-authorization-server", "/oauth/.well-known/openid-configuration",
        "/.well-known/oauth-authorization-server/oauth",
    ])
    func metadataIsBuiltFromTheIssuer(path: String) throws {
        let response = get(path, headers: ["host": "evil.example"])
        #expect(response.status == 200)
        #expect(response.header("Content-Type") == "application/json")
        let document = try json(response)
        #expect(document["issuer"]?.stringValue == "https://as.bank.example/oauth")
        #expect(document["jwks_uri"]?.stringValue == "https://as.bank.example/oauth/jwks")
        #expect(!String(decoding: response.body, as: UTF8.self).contains("evil"))
    }

    @Test func jwksPublishesStoredPublicKeys() throws {
        try services.store.insert(try record(kid: "k1", state: .active))
        try services.store.insert(
            try record(kid: "k2", state: .retired, publishUntil: clock.now.addingTimeInterval(60))
        )
        try services.store.insert(
            try record(kid: "k3", state: .retired, publishUntil: clock.now.addingTimeInterval(-1))
        )
        let response = get("/oauth/jwks")
        #expect(response.status == 200)
        let keys = try #require(try json(response)["keys"]?.arrayValue)
        #expect(keys.count == 2)
        #expect(keys.first?["kty"]?.stringValue == "RSA")
    }

    @Test func jwksRefusesToServeAPrivateMember() throws {
        let leaked = Self.publicJWK.replacingOccurrences(of: "\"e\":", with: "\"d\":\"secret\",\"e\":")
        try services.store.insert(try record(kid: "k1", state: .active, jwk: leaked))
        let response = get("/oauth/jwks")
        #expect(response.status == 500)
        #expect(try json(response)["error"]?.stringValue == "server_error")
        #expect(!String(decoding: response.body, as: UTF8.self).contains("secret"))
    }

    /// A row changed through the database alone (issue 6, item 5) is not published.
    @Test(arguments: ["public_jwk", "state", "algorithm"])
    func jwksLeavesOutARowChangedBehindCredencesBack(column: String) throws {
        try services.store.insert(try record(kid: "k1", state: .active))
        // A next key is published; a retired one past its publication is not.
        let genuine =
            column == "state"
            ? try record(kid: "k2", state: .retired, publishUntil: clock.now.addingTimeInterval(-1))
            : try record(kid: "k2", state: .next)
        try services.store.insert(genuine)
        let before = try #require(try json(get("/oauth/jwks"))["keys"]?.arrayValue).count
        #expect(before == (column == "state" ? 1 : 2))

        var tampered = genuine
        switch column {
        case "public_jwk": tampered.publicJWK = Self.publicJWK.replacingOccurrences(of: "0vx7ago", with: "1vx7ago")
        case "state": tampered.state = .next
        default: tampered.algorithm = "RS256"
        }
        services.store.overwrite(tampered)
        clock.advance(by: 31)
        let response = get("/oauth/jwks")
        #expect(response.status == 200)
        #expect(try #require(try json(response)["keys"]?.arrayValue).count == 1)
        #expect(!String(decoding: response.body, as: UTF8.self).contains("1vx7ago"))
    }

    @Test func jwksIsServedFromTheSnapshotWhileTheDatabaseIsDown() throws {
        try services.store.insert(try record(kid: "k1", state: .active))
        #expect(get("/oauth/jwks").status == 200)
        services.store.isReachable = false
        clock.advance(by: 31)
        #expect(get("/oauth/jwks").status == 200)
    }

    @Test func jwksWithoutAnySnapshotAndNoDatabaseIs503() throws {
        services.store.isReachable = false
        let response = get("/oauth/jwks")
        #expect(response.status == 503)
        #expect(response.header("Retry-After") != nil)
        #expect(try json(response)["error"]?.stringValue == "temporarily_unavailable")
    }

    @Test func rotationIsPickedUpWithinTheRefreshInterval() throws {
        try services.store.insert(try record(kid: "k1", state: .active))
        #expect(try json(get("/oauth/jwks"))["keys"]?.arrayValue?.count == 1)
        try services.store.insert(try record(kid: "k2", state: .next))
        clock.advance(by: 10)
        #expect(try json(get("/oauth/jwks"))["keys"]?.arrayValue?.count == 1)
        clock.advance(by: 21)
        #expect(try json(get("/oauth/jwks"))["keys"]?.arrayValue?.count == 2)
    }

    @Test func healthFollowsTheDatabase() throws {
        let up = get("/oauth/healthz")
        #expect(up.status == 200)
        #expect(try json(up)["database"]?.stringValue == "reachable")
        services.store.isReachable = false
        let down = get("/oauth/healthz")
        #expect(down.status == 503)
        #expect(down.header("Retry-After") == "5")
    }

    @Test(arguments: [
        "/.well-known/oauth-authorization-server", "/.well-known/oauth-authorization-server/other",
        "/.well-known/openid-configuration/oauth",
    ])
    func metadataIsNotServedOutsideItsPlaces(path: String) {
        #expect(get(path).status == 404)
    }

    @Test func unknownPathIs404JSON() throws {
        let response = get("/oauth/nope")
        #expect(response.status == 404)
        #expect(response.header("Content-Type") == "application/json")
        #expect(try json(response)["error"]?.stringValue == "not_found")
    }

    @Test func wrongMethodIs405WithAllow() throws {
        let response = get("/oauth/jwks", method: "DELETE")
        #expect(response.status == 405)
        #expect(response.header("Allow") == "GET, HEAD")
        #expect(try json(response)["error"] != nil)
    }

    /// The transport leaves a HEAD answer's body out but writes its length (RFC 9110 §9.3.2):
    /// the responder must hand over GET's body, or the length becomes 0.
    @Test(arguments: ["/oauth/.well-known/openid-configuration", "/oauth/jwks", "/oauth/nope"])
    func headIsAnsweredAsGet(path: String) {
        let asGet = get(path)
        let asHead = get(path, method: "HEAD")
        #expect(asHead.status == asGet.status)
        #expect(!asHead.body.isEmpty)
        #expect(asHead.body == asGet.body)
    }

    @Test func oversizeBodyIs413InvalidRequest() throws {
        let response = responder.respond(
            toRejected: .bodyTooLarge(limit: 65_536),
            request: HTTPRequest(method: "POST", path: "/oauth/register")
        )
        #expect(response.status == 413)
        #expect(response.header("Cache-Control") == "no-store")
        #expect(try json(response)["error"]?.stringValue == "invalid_request")
    }

    @Test func malformedTransportRequestIs400() throws {
        let response = responder.respond(
            toRejected: .malformed(reason: "no REQUEST_METHOD"),
            request: HTTPRequest(method: "", path: "")
        )
        #expect(response.status == 400)
        #expect(try json(response)["error"]?.stringValue == "invalid_request")
        #expect(!String(decoding: response.body, as: UTF8.self).contains("REQUEST_METHOD"))
    }
}

/// The access log, read back from a real file descriptor through the logfmt handler.
@Suite struct AccessLogTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../OpenSSLCryptoTests/Fixtures/x509").standardized

    func respond(_ request: HTTPRequest) throws -> String {
        let path = NSTemporaryDirectory() + "credence-access-\(UUID().uuidString).log"
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let handle = try #require(FileHandle(forWritingAtPath: path))
        let sink = LogfmtLogHandler.Sink(fileDescriptor: handle.fileDescriptor)
        let logger = Logger(label: "credence.access") { LogfmtLogHandler(label: $0, sink: sink) }
        let configuration = try CredenceConfiguration.parse(
            yaml: ResponderTests.configurationText,
            environment: [:],
            readFile: { _ in Array(repeating: 1, count: 32) }
        )
        let responder = try CredenceApplication(configuration: configuration, clock: FixedClock())
            .makeResponder(services: TestServices(), logger: logger)
        _ = responder.respond(to: request)
        try handle.close()
        return try String(contentsOfFile: path, encoding: .utf8)
    }

    /// nginx's `$ssl_client_escaped_cert` form of a PEM file.
    static func nginxEscaped(_ pem: String) -> String {
        pem.addingPercentEncoding(
            withAllowedCharacters: CharacterSet(
                charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~"
            )
        )!
    }

    @Test(arguments: [false, true])
    func presentedCertificateThumbprintIsLogged(nginxForm: Bool) throws {
        let pem = try String(contentsOf: Self.fixtures.appendingPathComponent("leaf-client.pem"), encoding: .utf8)
        let hex = try String(
            contentsOf: Self.fixtures.appendingPathComponent("leaf-client.sha256.hex"),
            encoding: .utf8
        )
        .trimmingCharacters(in: .whitespacesAndNewlines)
        var digest: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            digest.append(try #require(UInt8(hex[index..<next], radix: 16)))
            index = next
        }
        let parameters = [
            "REQUEST_METHOD": "GET", "REQUEST_URI": "/oauth/healthz", "HTTP_AUTHORIZATION": "Bearer secret-token-value",
            "SSL_CLIENT_CERT": nginxForm ? Self.nginxEscaped(pem) : pem, "SSL_CLIENT_VERIFY": "GENEROUS",
        ]
        let line = try respond(HTTPRequest(cgiParameters: parameters, body: []))
        #expect(line.contains("tls.client_cert_sha256=\(Base64URL.encode(digest)) "))
        #expect(line.contains("tls.client_verify=GENEROUS"))
        #expect(line.contains("http.auth_scheme=Bearer"))
        #expect(!line.contains("secret-token-value"))
        #expect(line.hasPrefix("ts=") && line.contains(" logger=credence.access msg=request "))
    }

    @Test func aBrokenCertificateParameterIsLoggedAsSuchWithoutAThumbprint() throws {
        let line = try respond(
            HTTPRequest(
                cgiParameters: ["REQUEST_METHOD": "GET", "REQUEST_URI": "/oauth/jwks", "SSL_CLIENT_CERT": "garbage"],
                body: []
            )
        )
        #expect(!line.contains("tls.client_cert_sha256"))
        #expect(line.contains("tls.client_cert_error="))
    }

    @Test func noCertificateNoTLSFields() throws {
        let line = try respond(HTTPRequest(method: "GET", path: "/oauth/nope"))
        #expect(!line.contains("tls."))
        #expect(line.contains("http.status=404"))
        #expect(line.contains("oauth.error=not_found"))
    }
}
