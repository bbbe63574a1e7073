import Foundation
import Testing

@testable import OpenSSLCrypto

/// The PKI made by `Fixtures/x509/make-fixtures.sh` (committed; see that script).
enum X509Fixtures {
    /// Every test validates at 2030-01-01T00:00:00Z: inside the fixtures' 2020–2040
    /// validity, after the expired leaf (2020–2021), before the not-yet-valid one (2035–).
    static let validationTime = Date(timeIntervalSince1970: 1_893_456_000)

    struct Missing: Error, CustomStringConvertible {
        let name: String
        var description: String { "fixture \(name) not found" }
    }

    static func url(_ name: String) throws -> URL {
        guard let base = Bundle.module.resourceURL else { throw Missing(name: name) }
        return base.appendingPathComponent("Fixtures").appendingPathComponent("x509")
            .appendingPathComponent(name)
    }

    static func data(_ name: String) throws -> Data {
        let url = try url(name)
        guard let data = FileManager.default.contents(atPath: url.path) else { throw Missing(name: name) }
        return data
    }

    static func text(_ name: String) throws -> String {
        String(decoding: try data(name), as: UTF8.self)
    }

    /// A one-line fact file without its final newline.
    static func line(_ name: String) throws -> String {
        try text(name).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func bytes(_ name: String) throws -> [UInt8] {
        Array(try data(name))
    }

    /// `name.pem` parsed.
    static func certificate(_ name: String) throws -> Certificate {
        try Certificate(pemEncoded: text("\(name).pem"))
    }

    /// A store trusting only the test root.
    static func trustStore(crls: Bool = false) throws -> CertificateTrustStore {
        try CertificateTrustStore(
            pemBundle: text("trusted-roots.pem"),
            crlPEM: crls ? text("crls.pem") : nil
        )
    }

    static func hex(_ bytes: [UInt8]) -> String {
        bytes.map { String(format: "%02x", $0) }.joined()
    }

    /// The error code a throwing expression threw, or nil if it did not throw one of ours.
    static func code(_ body: () throws -> Void) -> CertificateError.Code? {
        do {
            try body()
            return nil
        } catch let error as CertificateError {
            return error.code
        } catch {
            return nil
        }
    }
}
