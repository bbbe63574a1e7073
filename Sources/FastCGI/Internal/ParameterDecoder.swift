/// Something that can list a request's parameters as raw `name=value` bytes: a
/// ``RequestHead``, or a test double.
protocol ParameterSource {
    func forEachParameter(_ body: (UnsafeBufferPointer<UInt8>) -> Void)
}

/// Turns raw parameters into a dictionary, strictly: a total size limit, valid UTF-8, no
/// empty names, no name sent twice with different values.
struct ParameterDecoder {
    /// The parameters handed along with ``FastCGIRequestRejection/parametersTooLarge(limit:)``:
    /// enough to route and log the refusal, each short.
    static let rejectionParameterNames: Set<String> = [
        "REQUEST_METHOD", "REQUEST_URI", "SCRIPT_NAME", "PATH_INFO", "DOCUMENT_URI", "CONTENT_TYPE",
        "CONTENT_LENGTH", "SERVER_PROTOCOL", "REMOTE_ADDR",
    ]
    static let rejectionParameterMaximumBytes = 1024

    enum Outcome: Equatable {
        case decoded([String: String])
        case rejected(FastCGIRequestRejection, parameters: [String: String])
    }

    /// The limit on the sum of name and value lengths, in bytes.
    let maximumBytes: Int

    /// Decodes the parameters. `tooLarge`: the reader already found them over the limit (and
    /// kept only short pairs).
    func decode(_ source: some ParameterSource, tooLarge: Bool = false) -> Outcome {
        var total = 0
        var count = 0
        source.forEachParameter { entry in
            // "name=value": the '=' is not counted.
            total += max(entry.count - 1, 0)
            count += 1
        }
        if tooLarge || total > maximumBytes {
            return .rejected(.parametersTooLarge(limit: maximumBytes), parameters: rejectionSubset(source))
        }
        var parameters: [String: String] = [:]
        parameters.reserveCapacity(count)
        var problem: String?
        source.forEachParameter { entry in
            guard problem == nil else { return }
            guard let separator = entry.firstIndex(of: UInt8(ascii: "=")) else {
                problem = "a parameter has no value separator"
                return
            }
            guard separator > 0 else {
                problem = "a parameter has an empty name"
                return
            }
            guard let name = Self.text(UnsafeBufferPointer(rebasing: entry[..<separator])) else {
                problem = "a parameter name is not valid UTF-8"
                return
            }
            guard let value = Self.text(UnsafeBufferPointer(rebasing: entry[(separator + 1)...])) else {
                problem = "the value of parameter \(Self.loggable(name)) is not valid UTF-8"
                return
            }
            if let existing = parameters[name] {
                if existing == value { return }
                // nginx before 1.23 passes a repeated request header as repeated HTTP_*
                // parameters; RFC 9110 §5.3 lets a recipient join them with ", ". Headers
                // whose repetition changes their meaning stay refused.
                if name.hasPrefix("HTTP_"), !Self.singletonHeaders.contains(name) {
                    parameters[name] = existing + ", " + value
                } else {
                    problem = "parameter \(Self.loggable(name)) is sent twice with different values"
                }
                return
            }
            parameters[name] = value
        }
        if let problem {
            return .rejected(.malformed(reason: problem), parameters: [:])
        }
        return .decoded(parameters)
    }

    /// `bytes` as a string if they are valid UTF-8. `String(decoding:)` on a buffer is the
    /// fast, specialised path (`String(validating:)` on a slice instantiates generic metadata
    /// on every call); it repairs invalid UTF-8, and a repaired string no longer has the
    /// bytes it was made from.
    static func text(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
        let string = String(decoding: bytes, as: UTF8.self)
        var ascii = true
        for byte in bytes where byte >= 0x80 {
            ascii = false
            break
        }
        if ascii { return string }
        return string.utf8.elementsEqual(bytes) ? string : nil
    }

    /// Request headers that must appear at most once: a second credential, length or media
    /// type is refused rather than joined.
    static let singletonHeaders: Set<String> = [
        "HTTP_AUTHORIZATION", "HTTP_CONTENT_LENGTH", "HTTP_CONTENT_TYPE", "HTTP_HOST", "HTTP_DPOP",
    ]

    private func rejectionSubset(_ source: some ParameterSource) -> [String: String] {
        var subset: [String: String] = [:]
        source.forEachParameter { entry in
            guard entry.count <= Self.rejectionParameterMaximumBytes + 32,
                let separator = entry.firstIndex(of: UInt8(ascii: "=")),
                let name = Self.text(UnsafeBufferPointer(rebasing: entry[..<separator])),
                Self.rejectionParameterNames.contains(name), subset[name] == nil,
                entry.count - separator - 1 <= Self.rejectionParameterMaximumBytes,
                let value = Self.text(UnsafeBufferPointer(rebasing: entry[(separator + 1)...]))
            else { return }
            subset[name] = value
        }
        return subset
    }

    /// A parameter name as it may appear in a log line or a rejection reason: printable
    /// ASCII, at most 64 characters.
    static func loggable(_ name: String) -> String {
        let cleaned = name.unicodeScalars.prefix(64).map { scalar -> Character in
            (0x21...0x7E).contains(scalar.value) ? Character(scalar) : "?"
        }
        return String(cleaned)
    }
}

/// `CONTENT_LENGTH` (RFC 3875 §4.1.2): absent or empty means the body, if any, runs to the
/// end of the stream (Apache sends no length for a chunked body it streams); otherwise only
/// decimal digits. Anything else (a sign, spaces, hex, an overflow) is malformed.
enum ContentLength {
    enum Parsed: Equatable {
        case length(Int)
        case absent
        case invalid
    }

    static func parse(_ value: String?) -> Parsed {
        guard let value, !value.isEmpty else { return .absent }
        let bytes = Array(value.utf8)
        guard bytes.count <= 18, bytes.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) else {
            return .invalid
        }
        var result = 0
        for byte in bytes { result = result * 10 + Int(byte - UInt8(ascii: "0")) }
        return .length(result)
    }
}
