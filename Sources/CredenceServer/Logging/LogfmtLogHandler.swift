import Logging
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A swift-log handler that writes one logfmt line per event to standard
/// error (`ts=… level=info logger=credence.access msg=request http.status=200`),
/// so that journald, a log shipper or a test can parse every line with one
/// rule.
///
/// Every worker writes an access line per request, so this is on the hot path:
/// a line is formatted straight into bytes (no `String` appends, no Unicode
/// property lookups for ASCII keys, no C library time functions that take a
/// process-wide lock) and written with a single `write(2)` that no lock guards.
/// Lines of concurrent workers still never mix: see ``Sink``.
public struct LogfmtLogHandler: LogHandler {
    /// Entry point for `LoggingSystem.bootstrap`.
    public static func standardError(label: String) -> LogfmtLogHandler {
        LogfmtLogHandler(label: label, sink: .standardError)
    }

    /// Where lines go; shared by every handler of the process.
    ///
    /// A line of at most `PIPE_BUF` (4096) bytes is written with one `write(2)` and no
    /// lock: POSIX makes such a write to a pipe atomic, Linux makes every write to a
    /// file opened with `O_APPEND` atomic, and a stream socket (journald) takes it as one
    /// piece, so concurrent lines never interleave and no worker waits for another's
    /// write. A longer line (a long error detail) could be split in a pipe, so it is
    /// written alone: short lines started before it finish first, short lines that come
    /// while it is written wait for it. The short path costs two atomic additions.
    public final class Sink: Sendable {
        private let fileDescriptor: Int32
        /// Short lines being written, plus ``longLineFlag`` while a long line is.
        private let writers = Atomic<Int>(0)
        /// Held while a long line is written; short lines that find the flag wait on it.
        private let longLine = Mutex(())
        private static let longLineFlag = 1 << 40

        /// The longest line written without excluding others (`PIPE_BUF` on Linux).
        static let atomicWriteLimit = 4096

        /// Standard error, the default.
        public static let standardError = Sink(fileDescriptor: 2)

        /// A sink writing to an open file descriptor.
        public init(fileDescriptor: Int32) {
            self.fileDescriptor = fileDescriptor
        }

        func write(_ line: UnsafeRawBufferPointer) {
            if line.count <= Self.atomicWriteLimit {
                while writers.wrappingAdd(1, ordering: .acquiring).oldValue & Self.longLineFlag != 0 {
                    writers.wrappingSubtract(1, ordering: .releasing)
                    longLine.withLock { _ in }
                }
                writeAll(line)
                writers.wrappingSubtract(1, ordering: .releasing)
                return
            }
            longLine.withLock { _ in
                writers.bitwiseOr(Self.longLineFlag, ordering: .acquiring)
                while writers.load(ordering: .acquiring) != Self.longLineFlag { sched_yield() }
                writeAll(line)
                writers.bitwiseAnd(~Self.longLineFlag, ordering: .releasing)
            }
        }

        private func writeAll(_ line: UnsafeRawBufferPointer) {
            guard let base = line.baseAddress else { return }
            var offset = 0
            while offset < line.count {
                let written = Glibc.write(fileDescriptor, base + offset, line.count - offset)
                if written <= 0 {
                    if written < 0 && errno == EINTR { continue }
                    return
                }
                offset += written
            }
        }
    }

    /// The logger's label, written as `logger=`.
    public let label: String
    private let sink: Sink
    /// Events below this level are dropped.
    public var logLevel: Logger.Level = .info
    /// Metadata attached to every event of this logger.
    public var metadata: Logger.Metadata = [:]

    /// Creates a handler writing to `sink`.
    public init(label: String, sink: Sink) {
        self.label = label
        self.sink = sink
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var clock = timespec()
        clock_gettime(CLOCK_REALTIME, &clock)
        let line = Self.line(
            seconds: Int64(clock.tv_sec),
            nanoseconds: Int(clock.tv_nsec),
            level: event.level,
            label: label,
            message: event.message.description,
            handlerMetadata: metadata,
            eventMetadata: event.metadata
        )
        line.withUnsafeBytes { sink.write($0) }
    }

    /// The complete line, newline included: `ts`, `level`, `logger`, `msg`, then the
    /// metadata sorted by key (the event's value wins over the handler's).
    static func line(
        seconds: Int64,
        nanoseconds: Int,
        level: Logger.Level,
        label: String,
        message: String,
        handlerMetadata: Logger.Metadata,
        eventMetadata: Logger.Metadata?
    ) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(384)
        out.append(contentsOf: "ts=".utf8)
        appendTimestamp(seconds: seconds, milliseconds: nanoseconds / 1_000_000, to: &out)
        out.append(contentsOf: " level=".utf8)
        out.append(contentsOf: level.rawValue.utf8)
        out.append(contentsOf: " logger=".utf8)
        appendQuoted(label, to: &out)
        out.append(contentsOf: " msg=".utf8)
        appendQuoted(message, to: &out)

        var fields: [(key: String, value: Logger.Metadata.Value)] = []
        fields.reserveCapacity(handlerMetadata.count + (eventMetadata?.count ?? 0))
        if let eventMetadata {
            for (key, value) in eventMetadata { fields.append((key, value)) }
            for (key, value) in handlerMetadata where eventMetadata[key] == nil { fields.append((key, value)) }
        } else {
            for (key, value) in handlerMetadata { fields.append((key, value)) }
        }
        fields.sort { $0.key < $1.key }
        for field in fields {
            out.append(UInt8(ascii: " "))
            appendSanitizedKey(field.key, to: &out)
            out.append(UInt8(ascii: "="))
            switch field.value {
            case .string(let string): appendQuoted(string, to: &out)
            case .stringConvertible(let convertible): appendQuoted(convertible.description, to: &out)
            case .array, .dictionary: appendQuoted(render(field.value), to: &out)
            }
        }
        out.append(UInt8(ascii: "\n"))
        return out
    }

    static func render(_ value: Logger.Metadata.Value) -> String {
        switch value {
        case .string(let string): string
        case .stringConvertible(let convertible): convertible.description
        case .array(let array): array.map(render).joined(separator: ",")
        case .dictionary(let dictionary):
            dictionary.keys.sorted().map { "\($0):\(render(dictionary[$0]!))" }.joined(separator: ",")
        }
    }

    /// Quotes a value when it is empty or holds a space, `=`, `"`, `\` or a control
    /// character, escaping `"`, `\` and control characters, so a value can never
    /// start a new field or a new line.
    static func quoted(_ value: String) -> String {
        var out: [UInt8] = []
        appendQuoted(value, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Every character that makes a value need quotes is ASCII, and no byte of a
    /// multi-byte UTF-8 sequence is below 0x80, so the value is scanned byte by byte.
    private static func appendQuoted(_ value: String, to out: inout [UInt8]) {
        var value = value
        value.withUTF8 { bytes in
            var needsQuotes = bytes.isEmpty
            if !needsQuotes {
                for byte in bytes where needsQuoting(byte) {
                    needsQuotes = true
                    break
                }
            }
            guard needsQuotes else {
                out.append(contentsOf: bytes)
                return
            }
            out.append(UInt8(ascii: "\""))
            for byte in bytes {
                switch byte {
                case UInt8(ascii: "\""): out.append(contentsOf: "\\\"".utf8)
                case UInt8(ascii: "\\"): out.append(contentsOf: "\\\\".utf8)
                case UInt8(ascii: "\n"): out.append(contentsOf: "\\n".utf8)
                case UInt8(ascii: "\r"): out.append(contentsOf: "\\r".utf8)
                case UInt8(ascii: "\t"): out.append(contentsOf: "\\t".utf8)
                case 0..<0x20, 0x7F:
                    out.append(contentsOf: "\\u{".utf8)
                    if byte >= 0x10 { out.append(hexDigit(byte >> 4)) }
                    out.append(hexDigit(byte & 0xF))
                    out.append(UInt8(ascii: "}"))
                default: out.append(byte)
                }
            }
            out.append(UInt8(ascii: "\""))
        }
    }

    private static func needsQuoting(_ byte: UInt8) -> Bool {
        byte <= 0x20 || byte == 0x7F || byte == UInt8(ascii: "=") || byte == UInt8(ascii: "\"")
            || byte == UInt8(ascii: "\\")
    }

    private static func hexDigit(_ value: UInt8) -> UInt8 {
        value < 10 ? UInt8(ascii: "0") + value : UInt8(ascii: "a") + value - 10
    }

    /// A metadata key with everything but letters, digits, `.`, `_` and `-` removed.
    static func sanitizedKey(_ key: String) -> String {
        var out: [UInt8] = []
        appendSanitizedKey(key, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    private static func appendSanitizedKey(_ key: String, to out: inout [UInt8]) {
        var key = key
        let ascii = key.withUTF8 { bytes -> Bool in
            for byte in bytes where byte >= 0x80 { return false }
            for byte in bytes {
                switch byte {
                case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                    UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"):
                    out.append(byte)
                default: break
                }
            }
            return true
        }
        guard !ascii else { return }
        // Letters beyond ASCII (a key is programmer-chosen; this is the rare path).
        for scalar in key.unicodeScalars
        where scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || scalar == "." || scalar == "_"
            || scalar == "-"
        {
            out.append(contentsOf: String(scalar).utf8)
        }
    }

    /// RFC 3339 UTC with milliseconds, without Foundation's formatter cost.
    static func timestamp() -> String {
        var clock = timespec()
        clock_gettime(CLOCK_REALTIME, &clock)
        return timestamp(seconds: Int64(clock.tv_sec), milliseconds: Int(clock.tv_nsec) / 1_000_000)
    }

    /// `seconds` since the epoch (and `milliseconds`) as `YYYY-MM-DDTHH:MM:SS.mmmZ`.
    static func timestamp(seconds: Int64, milliseconds: Int) -> String {
        var out: [UInt8] = []
        appendTimestamp(seconds: seconds, milliseconds: milliseconds, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// The civil date computed from the day number (the proleptic Gregorian calendar,
    /// H. Hinnant's `civil_from_days`): `gmtime_r` takes glibc's time-zone lock on every
    /// call, which every worker would contend for once per request.
    private static func appendTimestamp(seconds: Int64, milliseconds: Int, to out: inout [UInt8]) {
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = Int(seconds - days * 86_400)
        let shifted = days + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        appendDecimal(Int(year), width: 4, to: &out)
        out.append(UInt8(ascii: "-"))
        appendDecimal(Int(month), width: 2, to: &out)
        out.append(UInt8(ascii: "-"))
        appendDecimal(Int(day), width: 2, to: &out)
        out.append(UInt8(ascii: "T"))
        appendDecimal(secondOfDay / 3600, width: 2, to: &out)
        out.append(UInt8(ascii: ":"))
        appendDecimal(secondOfDay / 60 % 60, width: 2, to: &out)
        out.append(UInt8(ascii: ":"))
        appendDecimal(secondOfDay % 60, width: 2, to: &out)
        out.append(UInt8(ascii: "."))
        appendDecimal(milliseconds, width: 3, to: &out)
        out.append(UInt8(ascii: "Z"))
    }

    /// A non-negative number in decimal, zero-padded to at least `width` digits.
    private static func appendDecimal(_ value: Int, width: Int, to out: inout [UInt8]) {
        var digits:
            (
                UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                UInt8, UInt8, UInt8, UInt8, UInt8, UInt8
            ) = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        var rest = max(value, 0)
        withUnsafeMutableBytes(of: &digits) { buffer in
            repeat {
                buffer[count] = UInt8(ascii: "0") + UInt8(rest % 10)
                rest /= 10
                count += 1
            } while rest > 0
            while count < width {
                buffer[count] = UInt8(ascii: "0")
                count += 1
            }
            for index in stride(from: count - 1, through: 0, by: -1) { out.append(buffer[index]) }
        }
    }
}
