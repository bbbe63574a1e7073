/// The begin record and the parameters of one request, read by ``RequestHeadReader``.
struct RequestHead: ParameterSource, Equatable {
    var requestID: UInt16
    /// FastCGI role: 1 responder, 2 authorizer, 3 filter.
    var role: UInt16
    /// The web server's `FCGI_KEEP_CONN`.
    var keepConnection: Bool
    /// The parameters as raw `name=value` bytes, one after the other in the order sent (one
    /// allocation for all of them, not one per pair).
    var parameterBytes: [UInt8]
    /// Where each `name=value` lies in ``parameterBytes``.
    var parameterRanges: [Range<Int>]
    /// The names and values together were larger than the limit: past it only short pairs
    /// were kept (enough for ``ParameterDecoder/rejectionParameterNames``), the rest was
    /// read and thrown away.
    var parametersTooLarge: Bool
    /// False when the parameters were so far over the limit that reading stopped before
    /// their end: nothing after them can be read, and the connection is closed once the
    /// request is answered.
    var parametersComplete: Bool

    init(
        requestID: UInt16,
        role: UInt16,
        keepConnection: Bool,
        parameterBytes: [UInt8],
        parameterRanges: [Range<Int>],
        parametersTooLarge: Bool,
        parametersComplete: Bool
    ) {
        self.requestID = requestID
        self.role = role
        self.keepConnection = keepConnection
        self.parameterBytes = parameterBytes
        self.parameterRanges = parameterRanges
        self.parametersTooLarge = parametersTooLarge
        self.parametersComplete = parametersComplete
    }

    /// A head with the given `name=value` entries (tests).
    init(
        requestID: UInt16,
        role: UInt16,
        keepConnection: Bool,
        entries: [[UInt8]],
        parametersTooLarge: Bool,
        parametersComplete: Bool
    ) {
        var bytes: [UInt8] = []
        var ranges: [Range<Int>] = []
        for entry in entries {
            ranges.append(bytes.count..<(bytes.count + entry.count))
            bytes += entry
        }
        self.init(
            requestID: requestID,
            role: role,
            keepConnection: keepConnection,
            parameterBytes: bytes,
            parameterRanges: ranges,
            parametersTooLarge: parametersTooLarge,
            parametersComplete: parametersComplete
        )
    }

    /// The parameters as separate `name=value` arrays.
    var entries: [[UInt8]] { parameterRanges.map { Array(parameterBytes[$0]) } }

    func forEachParameter(_ body: (UnsafeBufferPointer<UInt8>) -> Void) {
        parameterBytes.withUnsafeBufferPointer { bytes in
            for range in parameterRanges { body(UnsafeBufferPointer(rebasing: bytes[range])) }
        }
    }
}

/// Reads a request's `FCGI_BEGIN_REQUEST` and `FCGI_PARAMS` records (FastCGI 1.0 §3, §5.1,
/// §5.2) from the connection itself, before libfcgi sees the request.
///
/// libfcgi's `ReadParams` keeps every name-value pair it is sent, each allocated at the size
/// its length prefix announces, with no limit and no deadline: the parameter limit could
/// only be applied after all of it was in memory. This reader counts the announced sizes as
/// the pairs arrive; past ``maximumParameterBytes`` it keeps only short pairs and throws the
/// rest away as it reads, and past ``maximumDiscardedBytes`` more it stops reading. It reads
/// exactly up to the end of the parameters, never into `FCGI_STDIN`, which libfcgi reads next
/// (see ``LibFCGIRequest/begin(_:connection:)``).
///
/// It answers what libfcgi would have answered on the way: `FCGI_GET_VALUES` (one connection,
/// one request, no multiplexing), `FCGI_UNKNOWN_TYPE` for other management records,
/// `FCGI_CANT_MPX_CONN` for a second request on the connection, and `FCGI_UNKNOWN_ROLE`
/// for a role other than responder, authorizer or filter.
///
/// One per worker, confined to its thread: its record buffer is reused by every request.
final class RequestHeadReader {
    enum Outcome: Equatable {
        case request(RequestHead)
        /// The connection ended cleanly before a request began.
        case endOfConnection
        /// The connection cannot carry on; close it without an answer.
        case failed(Failure)
    }

    enum Failure: Equatable, CustomStringConvertible {
        case protocolError(String)
        /// The peer closed the connection inside a request.
        case closedEarly
        /// The request's deadline passed before its parameters had arrived.
        case timedOut
        case system(Int32)
        /// Answered with `FCGI_UNKNOWN_ROLE`.
        case unknownRole(UInt16)

        var description: String {
            switch self {
            case .protocolError(let reason): return "protocol error: \(reason)"
            case .closedEarly: return "the connection was closed inside a request"
            case .timedOut: return "the request did not arrive within its deadline"
            case .system(let number): return "reading failed: \(SystemErrorText.describe(number))"
            case .unknownRole(let role): return "unknown FastCGI role \(role)"
            }
        }
    }

    // FastCGI 1.0 §8 record types and protocol statuses.
    static let beginRequestType: UInt8 = 1
    static let endRequestType: UInt8 = 3
    static let paramsType: UInt8 = 4
    static let getValuesType: UInt8 = 9
    static let getValuesResultType: UInt8 = 10
    static let unknownTypeType: UInt8 = 11
    static let cantMultiplexStatus: UInt8 = 1
    static let unknownRoleStatus: UInt8 = 3

    /// The limit on the sum of name and value lengths.
    let maximumParameterBytes: Int
    /// How many parameter bytes past the limit are read and thrown away before reading stops.
    let maximumDiscardedBytes: Int
    /// A record's content (and padding, and the next header): grown to the largest record
    /// seen (at most 65535 content bytes, 255 padding bytes and the next header) and kept
    /// for the next request; nginx's parameters fit the first size.
    private var scratch = [UInt8](repeating: 0, count: 4096)
    private var header = [UInt8](repeating: 0, count: 8)

    init(maximumParameterBytes: Int, maximumDiscardedBytes: Int) {
        self.maximumParameterBytes = maximumParameterBytes
        self.maximumDiscardedBytes = maximumDiscardedBytes
    }

    func read(from channel: inout some RecordChannel) -> Outcome {
        var headerPending = true
        var begun: (id: UInt16, role: UInt16, keep: Bool)?
        var stream = ParameterStream(maximumBytes: maximumParameterBytes)

        func head(complete: Bool) -> RequestHead {
            RequestHead(
                requestID: begun?.id ?? 0,
                role: begun?.role ?? 0,
                keepConnection: begun?.keep ?? false,
                parameterBytes: stream.storage,
                parameterRanges: stream.ranges,
                parametersTooLarge: stream.tooLarge,
                parametersComplete: complete
            )
        }

        func fill(_ count: Int, into buffer: inout [UInt8]) -> Failure? {
            guard count > 0 else { return nil }
            if buffer.count < count { buffer = [UInt8](repeating: 0, count: count) }
            let result = buffer.withUnsafeMutableBytes { channel.readExactly(.init(rebasing: $0[..<count])) }
            switch result {
            case .complete: return nil
            case .endOfStream: return .closedEarly
            case .timedOut: return .timedOut
            case .failed(let number): return .system(number)
            }
        }

        while true {
            if headerPending {
                let result = header.withUnsafeMutableBytes { channel.readExactly($0) }
                switch result {
                case .complete: break
                case .endOfStream(let received):
                    return begun == nil && received == 0 ? .endOfConnection : .failed(.closedEarly)
                case .timedOut: return .failed(.timedOut)
                case .failed(let number): return .failed(.system(number))
                }
            }
            let version = header[0]
            let type = header[1]
            let id = UInt16(header[2]) << 8 | UInt16(header[3])
            let length = Int(header[4]) << 8 | Int(header[5])
            let padding = Int(header[6])
            guard version == 1 else { return .failed(.protocolError("FastCGI version \(version) is not 1")) }

            if let request = begun, type == Self.paramsType, id == request.id {
                if length == 0 {
                    if let failure = fill(padding, into: &scratch) { return .failed(failure) }
                    guard stream.isAtPairBoundary else {
                        return .failed(.protocolError("the parameters end inside a name-value pair"))
                    }
                    return .request(head(complete: true))
                }
                // The empty record that ends the parameters is still to come: read this
                // record's content and padding and the next header at once.
                if let failure = fill(length + padding + 8, into: &scratch) { return .failed(failure) }
                scratch.withUnsafeBytes { stream.feed(.init(rebasing: $0[..<length])) }
                if stream.discardedBytes > maximumDiscardedBytes { return .request(head(complete: false)) }
                for index in 0..<8 { header[index] = scratch[length + padding + index] }
                headerPending = false
                continue
            }

            headerPending = true
            if let failure = fill(length + padding, into: &scratch) { return .failed(failure) }
            if type == Self.beginRequestType {
                guard id != 0, length == 8 else {
                    return .failed(.protocolError("FCGI_BEGIN_REQUEST with request id 0 or a body of \(length) bytes"))
                }
                if begun != nil {
                    // libfcgi serves one request per connection at a time (FCGI_MPXS_CONNS 0).
                    guard channel.write(Self.endRequest(id: id, status: Self.cantMultiplexStatus)) else {
                        return .failed(.closedEarly)
                    }
                    continue
                }
                let role = UInt16(scratch[0]) << 8 | UInt16(scratch[1])
                guard (1...3).contains(role) else {
                    _ = channel.write(Self.endRequest(id: id, status: Self.unknownRoleStatus))
                    return .failed(.unknownRole(role))
                }
                begun = (id, role, scratch[2] & 1 != 0)
            } else if id == 0 {
                guard let answer = Self.managementAnswer(type: type, content: Array(scratch[..<length])) else {
                    return .failed(.protocolError("a malformed FCGI_GET_VALUES record"))
                }
                guard channel.write(answer) else { return .failed(.closedEarly) }
            } else if let request = begun, id == request.id {
                return .failed(.protocolError("a record of type \(type) arrived before the parameters ended"))
            }
            // Anything else belongs to another request id: skipped, as libfcgi does.
        }
    }

    /// `FCGI_END_REQUEST` with an application status of 0.
    static func endRequest(id: UInt16, status: UInt8) -> [UInt8] {
        [1, endRequestType, UInt8(id >> 8), UInt8(id & 0xFF), 0, 8, 0, 0, 0, 0, 0, 0, status, 0, 0, 0]
    }

    /// The answer to a management record (request id 0): `FCGI_GET_VALUES_RESULT` with
    /// libfcgi's values for the variables it knows, `FCGI_UNKNOWN_TYPE` otherwise. nil for a
    /// `FCGI_GET_VALUES` whose pairs are malformed.
    static func managementAnswer(type: UInt8, content: [UInt8]) -> [UInt8]? {
        guard type == getValuesType else {
            return [1, unknownTypeType, 0, 0, 0, 8, 0, 0, type, 0, 0, 0, 0, 0, 0, 0]
        }
        var query = ParameterStream(maximumBytes: 65_535)
        content.withUnsafeBytes { query.feed($0) }
        guard query.isAtPairBoundary else { return nil }
        let known: [String: UInt8] = [
            "FCGI_MAX_CONNS": UInt8(ascii: "1"), "FCGI_MAX_REQS": UInt8(ascii: "1"),
            "FCGI_MPXS_CONNS": UInt8(ascii: "0"),
        ]
        var body: [UInt8] = []
        for entry in query.entries {
            let name = Array(entry.prefix { $0 != UInt8(ascii: "=") })
            guard let value = known[String(decoding: name, as: UTF8.self)] else { continue }
            body += [UInt8(name.count), 1] + name + [value]
        }
        let padding = (8 - body.count % 8) % 8
        return [1, getValuesResultType, 0, 0, UInt8(body.count >> 8), UInt8(body.count & 0xFF), UInt8(padding), 0]
            + body + [UInt8](repeating: 0, count: padding)
    }
}

/// FastCGI name-value pairs (FastCGI 1.0 §3.4) decoded from a byte stream that may split a
/// pair anywhere, with a limit on the sum of name and value lengths that is applied to the
/// announced lengths before any byte of a pair is stored.
struct ParameterStream {
    let maximumBytes: Int
    /// The kept pairs as `name=value`, one after the other.
    private(set) var storage: [UInt8] = []
    /// Where each kept pair lies in `storage`.
    private(set) var ranges: [Range<Int>] = []
    /// The sum of the announced name and value lengths so far.
    private(set) var declaredBytes = 0
    /// Whether `declaredBytes` went over `maximumBytes`.
    private(set) var tooLarge = false
    /// Bytes read and thrown away since the limit was passed.
    private(set) var discardedBytes = 0

    private enum State {
        case nameLength
        case valueLength(name: Int)
        case pair(name: Int, value: Int, keep: Bool)
    }

    private var state = State.nameLength
    private var lengthBytes: (UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0)
    private var lengthCount = 0
    private var position = 0
    /// Where the pair being read starts in `storage`.
    private var pairStart = 0

    /// The longest name kept once the limit is passed (the routing subset's names are short).
    private static let keptNameMaximum = 64

    init(maximumBytes: Int) {
        self.maximumBytes = maximumBytes
        storage.reserveCapacity(min(maximumBytes, 2048) + 64)
        ranges.reserveCapacity(40)
    }

    /// The pairs as separate `name=value` arrays.
    var entries: [[UInt8]] { ranges.map { Array(storage[$0]) } }

    /// True between pairs: a stream may end only here.
    var isAtPairBoundary: Bool {
        if case .nameLength = state { return lengthCount == 0 }
        return false
    }

    mutating func feed(_ bytes: UnsafeRawBufferPointer) {
        var index = 0
        while index < bytes.count {
            switch state {
            case .nameLength, .valueLength:
                let byte = bytes[index]
                index += 1
                switch lengthCount {
                case 0: lengthBytes.0 = byte
                case 1: lengthBytes.1 = byte
                case 2: lengthBytes.2 = byte
                default: lengthBytes.3 = byte
                }
                lengthCount += 1
                let first = lengthBytes.0
                if first & 0x80 != 0 && lengthCount < 4 { continue }
                let length =
                    first & 0x80 == 0
                    ? Int(first)
                    : Int(first & 0x7F) << 24 | Int(lengthBytes.1) << 16 | Int(lengthBytes.2) << 8
                        | Int(lengthBytes.3)
                lengthCount = 0
                if case .valueLength(let name) = state {
                    begin(name: name, value: length)
                } else {
                    state = .valueLength(name: length)
                }
            case .pair(let name, let value, let keep):
                let stop = position < name ? name : name + value
                let take = min(stop - position, bytes.count - index)
                if keep { storage.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[index..<(index + take)])) }
                if tooLarge { discardedBytes += take }
                position += take
                index += take
                if position == name && keep && storage.count - pairStart == name { storage.append(UInt8(ascii: "=")) }
                if position == name + value { finishPair(keep: keep, name: name) }
            }
        }
    }

    private mutating func begin(name: Int, value: Int) {
        declaredBytes += name + value
        if declaredBytes > maximumBytes { tooLarge = true }
        let keep =
            !tooLarge || (name <= Self.keptNameMaximum && value <= ParameterDecoder.rejectionParameterMaximumBytes)
        position = 0
        pairStart = storage.count
        if keep && name == 0 { storage.append(UInt8(ascii: "=")) }
        state = .pair(name: name, value: value, keep: keep)
        if name + value == 0 { finishPair(keep: keep, name: name) }
    }

    private mutating func finishPair(keep: Bool, name: Int) {
        if keep {
            if !tooLarge
                || ParameterDecoder.rejectionParameterNames.contains(
                    String(decoding: storage[pairStart..<(pairStart + name)], as: UTF8.self)
                )
            {
                ranges.append(pairStart..<storage.count)
            } else {
                storage.removeSubrange(pairStart...)
            }
        }
        position = 0
        state = .nameLength
    }
}
