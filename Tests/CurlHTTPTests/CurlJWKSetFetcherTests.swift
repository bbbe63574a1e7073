import CredenceCore
import CredenceCurl
import CurlHTTP
import Foundation
import Testing

/// The core's cache over the libcurl fetcher, against nginx: a real `jwks_uri` end to end, and
/// transport failures arriving as the core's error codes.
@Suite("JWK Set fetcher over libcurl", .enabled(if: StaticHTTPSServer.isAvailable), .serialized)
struct CurlJWKSetFetcherTests {
    func cache(server: StaticHTTPSServer, maxBodyBytes: Int = 65_536) throws -> RemoteJWKSCache {
        let client = try HTTPSClient(
            configuration: HTTPSClientConfiguration(
                timeout: .seconds(1),
                maxBodyBytes: maxBodyBytes,
                caFile: TestPKI.shared?.serverCA
            )
        )
        return RemoteJWKSCache(
            policy: RemoteJWKSPolicy(allowedHosts: try #require(JWKSHostAllowlist(["localhost:\(server.port)"]))),
            fetcher: CurlJWKSetFetcher(client: client)
        )
    }

    @Test func aJWKSURIIsFetchedParsedAndCached() throws {
        let server = try StaticHTTPSServer(pki: try #require(TestPKI.shared))
        defer { server.stop() }
        let cache = try cache(server: server)
        let now = Date(timeIntervalSince1970: 1_767_225_600)
        let keys = try cache.keys(for: server.url("/jwks.json"), now: now)
        #expect(keys.keys.map(\.keyID) == ["1"])
        // Cached: answered with nginx gone.
        server.stop()
        #expect(try cache.keys(for: server.url("/jwks.json"), now: now.addingTimeInterval(299)).keys.count == 1)
    }

    @Test(arguments: [
        ("/slow.json", RemoteJWKSError.Code.fetchTimedOut),
        ("/big.bin", .documentTooLarge),
        ("/moved", .fetchFailed),
        ("/missing", .fetchFailed),
        ("/exact.bin", .invalidDocument),
    ])
    func transportFailuresBecomeCoreErrors(path: String, code: RemoteJWKSError.Code) throws {
        let server = try StaticHTTPSServer(pki: try #require(TestPKI.shared))
        defer { server.stop() }
        let cache = try cache(server: server)
        do {
            _ = try cache.keys(for: server.url(path), now: Date(timeIntervalSince1970: 1_767_225_600))
            Issue.record("expected \(code)")
        } catch {
            #expect(error.code == code, "\(error.debugDescription)")
        }
    }

    @Test func aHostOffTheAllowlistIsNeverContacted() throws {
        let server = try StaticHTTPSServer(pki: try #require(TestPKI.shared))
        defer { server.stop() }
        let cache = try cache(server: server)
        do {
            _ = try cache.keys(
                for: "https://localhost:\(server.otherNamePort)/jwks.json",
                now: Date(timeIntervalSince1970: 1_767_225_600)
            )
            Issue.record("expected hostNotAllowed")
        } catch {
            #expect(error.code == .hostNotAllowed)
        }
    }
}
