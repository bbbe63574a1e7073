import Foundation

/// Conversion between `Date` and PostgreSQL's binary timestamp: a signed count
/// of microseconds since 2000-01-01 00:00:00 UTC, with the extremes meaning
/// `-infinity` and `infinity`.
enum PostgresTimestamp {
    /// Seconds from 1970-01-01 to 2000-01-01.
    static let epochOffset: Double = 946_684_800

    /// The microsecond count for `date`, rounded to the nearest microsecond.
    static func microseconds(from date: Date) -> Int64 {
        let value = ((date.timeIntervalSince1970 - epochOffset) * 1_000_000).rounded()
        guard value.isFinite else { return value < 0 ? Int64.min : Int64.max }
        if value >= 9.2e18 { return Int64.max - 1 }
        if value <= -9.2e18 { return Int64.min + 1 }
        return Int64(value)
    }

    /// The `Date` for a microsecond count; the infinities become the distant past and future.
    static func date(fromMicroseconds micros: Int64) -> Date {
        if micros == Int64.max { return .distantFuture }
        if micros == Int64.min { return .distantPast }
        let seconds = Double(micros / 1_000_000) + Double(micros % 1_000_000) / 1_000_000
        return Date(timeIntervalSince1970: seconds + epochOffset)
    }
}
