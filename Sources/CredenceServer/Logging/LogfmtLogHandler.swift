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
/// rule. Lines are written with a single `write(2)` under a lock, so lines of
/// concurrent workers never interleave.
public struct LogfmtLogHandler: LogHandler {
    /// Entry point for `LoggingSystem.bootstrap`.
    public static func standardError(label: String) -> LogfmtLogHandler {
        LogfmtLogHandler(label: label, sink: .standardError)
    }

    /// Where lines go; shared by every handler of the process.
    public final class Sink: @unchecked Sendable {
        private let fileDescriptor: Int32
        private let lock = Mutex(())

        /// Standard error, the default.
        public static let standardError = Sink(fileDescriptor: 2)

        /// A sink writing to an open file descriptor.
        public init(fileDescriptor: Int32) {
            self.fileDescriptor = fileDescriptor
        }

        func write(_ line: String) {
            var bytes = Array(line.utf8)
            bytes.append(UInt8(ascii: "\n"))
            lock.withLock { _ in
                var offset = 0
                while offset < bytes.count {
                    let written = bytes[offset...].withUnsafeBytes {
                        Glibc.write(fileDescriptor, $0.baseAddress, $0.count)
                    }
                    if written <= 0 {
                        if written < 0 && errno == EINTR { continue }
                        return
                    }
                    offset += written
                }
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
        var text =
            "ts=\(Self.timestamp()) level=\(event.level.rawValue) logger=\(Self.quoted(label)) msg=\(Self.quoted(event.message.description))"
        var merged = metadata
        if let explicit = event.metadata { merged.merge(explicit) { $1 } }
        for key in merged.keys.sorted() {
            guard let value = merged[key] else { continue }
            text += " \(Self.sanitizedKey(key))=\(Self.quoted(Self.render(value)))"
        }
        sink.write(text)
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

    /// Quotes a value when it is empty or holds a space, `=`, `"` or a control
    /// character, escaping `"`, `\` and control characters, so a value can never
    /// start a new field or a new line.
    static func quoted(_ value: String) -> String {
        let needsQuotes =
            value.isEmpty
            || value.unicodeScalars.contains {
                $0 == " " || $0 == "=" || $0 == "\"" || $0 == "\\" || $0.value < 0x20 || $0.value == 0x7F
            }
        guard needsQuotes else { return value }
        var out = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    out += "\\u{\(String(scalar.value, radix: 16))}"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    static func sanitizedKey(_ key: String) -> String {
        String(
            key.unicodeScalars.filter {
                $0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "." || $0 == "_" || $0 == "-"
            }.map(Character.init)
        )
    }

    /// RFC 3339 UTC with milliseconds, without Foundation's formatter cost.
    static func timestamp() -> String {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        var seconds = spec.tv_sec
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func pad(_ value: Int32, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return
            "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2)).\(pad(Int32(spec.tv_nsec / 1_000_000), 3))Z"
    }
}
