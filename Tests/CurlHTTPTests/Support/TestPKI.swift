import Foundation
import OpenSSLToolSupport

/// A throwaway PKI made with the openssl command line, once per test process:
/// - `server-ca.pem`: the CA the HTTPS tests trust;
/// - `server.pem`/`server.key`: localhost and 127.0.0.1, issued by it (with `server-chain.pem`);
/// - `other-name.pem`/`.key`: issued by the same CA for `other.example` only (a name mismatch);
/// - `other-ca.pem`: an unrelated CA (a wrong trust anchor).
/// Validity is pinned by the openssl defaults of the run: two days from now.
final class TestPKI: Sendable {
    let directory: String

    /// The process's PKI, or `nil` when openssl is missing or failed (tests then fail on it).
    static let shared: TestPKI? = try? TestPKI()

    var serverCA: String { "\(directory)/server-ca.pem" }
    var otherCA: String { "\(directory)/other-ca.pem" }

    static var isAvailable: Bool { OpenSSLTool.isAvailable }

    private init() throws {
        directory = "/tmp/curlhttp-pki-\(getpid())"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try makeCA("server-ca", subject: "/CN=CurlHTTP Test Server CA")
        try makeCA("other-ca", subject: "/CN=CurlHTTP Test Other CA")
        try makeLeaf("server", issuer: "server-ca", names: "DNS:localhost,IP:127.0.0.1")
        try makeLeaf("other-name", issuer: "server-ca", names: "DNS:other.example")
        for name in ["server", "other-name"] {
            let chain =
                try String(contentsOfFile: "\(directory)/\(name).pem", encoding: .utf8)
                + String(contentsOfFile: "\(directory)/server-ca.pem", encoding: .utf8)
            try chain.write(toFile: "\(directory)/\(name)-chain.pem", atomically: true, encoding: .utf8)
        }
        atexit { try? FileManager.default.removeItem(atPath: "/tmp/curlhttp-pki-\(getpid())") }
    }

    private func makeCA(_ name: String, subject: String) throws {
        try openssl([
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", "\(directory)/\(name).key", "-out", "\(directory)/\(name).pem", "-subj", subject,
            "-days", "2", "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        ])
    }

    private func makeLeaf(_ name: String, issuer: String, names: String) throws {
        try openssl([
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", "\(directory)/\(name).key", "-out", "\(directory)/\(name).pem", "-subj", "/CN=\(name)",
            "-days", "2", "-CA", "\(directory)/\(issuer).pem", "-CAkey", "\(directory)/\(issuer).key",
            "-addext", "basicConstraints=critical,CA:FALSE", "-addext", "keyUsage=critical,digitalSignature",
            "-addext", "extendedKeyUsage=serverAuth", "-addext", "subjectAltName=\(names)",
        ])
    }

    private func openssl(_ arguments: [String]) throws {
        try OpenSSLTool.run(arguments)
    }
}
