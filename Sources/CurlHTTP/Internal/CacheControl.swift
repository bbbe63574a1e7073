/// Reads the freshness lifetime a server gave its response (RFC 9111 §5.2).
enum CacheControl {
    /// `max-age` in seconds (§5.2.2.1), 0 for `no-store` or `no-cache` (§5.2.2.4-5); the smallest
    /// when there are several (§4.2.1 lets a cache treat such a response as stale); `nil` if
    /// the fields say nothing about freshness. Unparsable `max-age` values are ignored.
    static func maxAge(_ fieldValues: [String]) -> Int? {
        var result: Int?
        func take(_ value: Int) { result = min(result ?? value, value) }
        for field in fieldValues {
            for directive in field.split(separator: ",") {
                let parts = directive.split(separator: "=", maxSplits: 1)
                let name = parts[0].trimmingSpaces.lowercased()
                switch name {
                case "no-store", "no-cache":
                    take(0)
                case "max-age":
                    guard parts.count == 2 else { continue }
                    var value = parts[1].trimmingSpaces
                    if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") {
                        value = value.dropFirst().dropLast()
                    }
                    guard !value.isEmpty, value.allSatisfy({ $0.isASCII && $0.isNumber }) else { continue }
                    // §1.2.2: a delta-seconds too large to represent is taken as 2^31.
                    take(Int(value.prefix(12)).map { min($0, 2_147_483_648) } ?? 2_147_483_648)
                default:
                    continue
                }
            }
        }
        return result
    }
}

extension Substring {
    fileprivate var trimmingSpaces: Substring {
        var text = self
        while let first = text.first, first == " " || first == "\t" { text = text.dropFirst() }
        while let last = text.last, last == " " || last == "\t" { text = text.dropLast() }
        return text
    }
}
