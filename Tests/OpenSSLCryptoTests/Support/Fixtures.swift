import Foundation

/// Reads files from this test target's `Fixtures` folder.
enum Fixtures {
    static func url(_ path: String) throws -> URL {
        guard let base = Bundle.module.resourceURL?.appendingPathComponent("Fixtures") else {
            throw FixtureError.missing(path)
        }
        let url = base.appendingPathComponent(path)
        guard FileManager.default.fileExists(atPath: url.path) else { throw FixtureError.missing(path) }
        return url
    }

    static func data(_ path: String) throws -> Data { try Data(contentsOf: url(path)) }

    static func string(_ path: String) throws -> String { String(decoding: try data(path), as: UTF8.self) }

    enum FixtureError: Error { case missing(String) }
}

extension Array where Element == UInt8 {
    /// Bytes from a hex string (test data only).
    init(hex: String) {
        var bytes: [UInt8] = []
        var iterator = hex.utf8.makeIterator()
        func nibble(_ c: UInt8) -> UInt8 {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
            default: 0
            }
        }
        while let high = iterator.next(), let low = iterator.next() {
            bytes.append(nibble(high) << 4 | nibble(low))
        }
        self = bytes
    }

    var hex: String { map { String(format: "%02x", $0) }.joined() }
}
