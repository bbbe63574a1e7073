import CredenceCore
import Foundation
import OpenSSLCrypto
import Testing

/// Client certificates parsed once per exact parameter, shared by the workers; the chain is
/// still verified at every request's time.
@Suite struct ClientCertificateCacheTests {
    let now = Date(timeIntervalSince1970: 1_790_000_000)

    /// nginx's `$ssl_client_escaped_cert` form of a PEM (RFC 3986 unreserved kept).
    static func escaped(_ pem: String) -> String {
        pem.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~")))
            ?? ""
    }

    @Test func theSameParameterIsParsedOnce() throws {
        let cache = ClientCertificateCache(capacity: 8)
        let pem = try TestPKI.text("leaf-client.pem")
        let first = try cache.certificate(webServerParameter: pem)
        let second = try cache.certificate(webServerParameter: pem)
        #expect(cache.count == 1)
        let expected = try TestPKI.certificate("leaf-client")
        #expect(first.sha256Thumbprint == expected.sha256Thumbprint)
        #expect(second.sha256Thumbprint == expected.sha256Thumbprint)
        #expect(second.subjectPublicKeyInfoDER == expected.subjectPublicKeyInfoDER)
    }

    @Test func entriesAreKeyedByTheExactBytesReceived() throws {
        let cache = ClientCertificateCache(capacity: 8)
        let pem = try TestPKI.text("leaf-client.pem")
        // Apache's PEM and nginx's escaped PEM: one certificate, two parameters, two entries.
        let apache = try cache.certificate(webServerParameter: pem)
        let nginx = try cache.certificate(webServerParameter: Self.escaped(pem))
        #expect(cache.count == 2)
        #expect(apache.sha256Thumbprint == nginx.sha256Thumbprint)
        // Another certificate is a miss with its own result.
        let other = try cache.certificate(webServerParameter: TestPKI.text("expired-leaf.pem"))
        #expect(other.sha256Thumbprint == (try TestPKI.certificate("expired-leaf")).sha256Thumbprint)
        #expect(cache.count == 3)
    }

    @Test func aParameterThatDoesNotParseThrowsEveryTimeAndIsNotCached() throws {
        let cache = ClientCertificateCache(capacity: 8)
        let pem = try TestPKI.text("leaf-client.pem")
        let cases: [(String, CertificateError.Code)] = [
            ("%zz" + pem, .invalidPercentEncoding),
            (pem + pem, .multipleCertificates),
            (String(repeating: "A", count: Certificate.maximumWebServerParameterLength + 1), .tooLarge),
            ("   ", .empty),
        ]
        for (parameter, code) in cases {
            for _ in 0..<2 {
                #expect {
                    _ = try cache.certificate(webServerParameter: parameter)
                } throws: { error in
                    (error as? CertificateError)?.code == code
                }
            }
        }
        #expect(cache.count == 0)
    }

    @Test func theCacheIsBounded() throws {
        let cache = ClientCertificateCache(capacity: 2)
        for name in ["leaf-client", "expired-leaf", "revoked-leaf", "leaf-client"] {
            let presented = try cache.certificate(webServerParameter: TestPKI.text("\(name).pem"))
            #expect(presented.sha256Thumbprint == (try TestPKI.certificate(name)).sha256Thumbprint)
            #expect(cache.count <= 2)
        }
        #expect(cache.count == 2)
    }

    /// Only parsing is cached: a cached certificate is verified at each request's time and
    /// against the trust store of the moment.
    @Test func aCachedCertificateIsStillVerifiedEachTime() throws {
        let cache = ClientCertificateCache(capacity: 8)
        let pem = try TestPKI.text("leaf-client.pem")
        let trustStore = try TestPKI.trustStore()
        #expect(throws: Never.self) {
            try cache.certificate(webServerParameter: pem).verified(by: trustStore, at: now).get()
        }
        let cached = try cache.certificate(webServerParameter: pem)
        #expect(cache.count == 1)
        // Past its notAfter: expired, though the same parameter verified a moment ago.
        let verdict = cached.verified(by: trustStore, at: Date(timeIntervalSince1970: 4_000_000_000))
        #expect(throws: CertificateVerificationError.self) { try verdict.get() }
        // Against another trust configuration: not trusted.
        let unrelated = try CertificateTrustStore(trustAnchors: [TestPKI.certificate("untrusted-root-ca")])
        #expect(throws: CertificateVerificationError.self) { try cached.verified(by: unrelated, at: now).get() }
    }

    /// One cache for all workers: many threads parse, verify and match the same few
    /// certificates (one OpenSSL `X509` each, shared) at once.
    @Test func manyThreadsShareTheCachedCertificates() throws {
        let cache = ClientCertificateCache(capacity: 8)
        let trustStore = try TestPKI.trustStore()
        let registered = PreparedDistinguishedName(try DistinguishedName(rfc4514: TestPKI.leafClientSubjectDN()))
        let names = ["leaf-client", "expired-leaf", "revoked-leaf"]
        let parameters: [(String, String)] = try names.flatMap { name in
            let pem = try TestPKI.text("\(name).pem")
            return [(name, pem), (name, Self.escaped(pem))]
        }
        let thumbprints = try Dictionary(
            uniqueKeysWithValues: names.map { ($0, try TestPKI.certificate($0).sha256Thumbprint) }
        )
        let now = self.now
        DispatchQueue.concurrentPerform(iterations: 48) { thread in
            for round in 0..<40 {
                let (name, parameter) = parameters[(thread + round) % parameters.count]
                guard let presented = try? cache.certificate(webServerParameter: parameter) else {
                    Issue.record("\(name) did not parse")
                    continue
                }
                #expect(presented.sha256Thumbprint == thumbprints[name])
                switch presented.verified(by: trustStore, at: now) {
                case .success(let verified):
                    // No CRLs here: the revoked leaf chains, but its subject is another.
                    #expect(name != "expired-leaf")
                    #expect(verified.matches(subjectDN: registered) == (name == "leaf-client"))
                case .failure:
                    #expect(name == "expired-leaf")
                }
            }
        }
        #expect(cache.count == parameters.count)
    }
}
