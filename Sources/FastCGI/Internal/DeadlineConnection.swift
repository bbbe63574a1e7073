#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// What one ``RecordChannel/readExactly(_:)`` came to.
enum ChannelRead: Equatable {
    /// The buffer is full.
    case complete
    /// The peer closed the connection after `received` bytes of this read.
    case endOfStream(received: Int)
    /// The request's deadline passed first.
    case timedOut
    /// A system error (`errno`).
    case failed(Int32)
}

/// Where ``RequestHeadReader`` reads records and writes its protocol answers: a web server
/// connection, or a byte array in tests.
protocol RecordChannel {
    /// Fills `buffer` completely unless the stream ends, the deadline passes or reading fails.
    mutating func readExactly(_ buffer: UnsafeMutableRawBufferPointer) -> ChannelRead
    /// Writes all of `bytes`; false when the connection failed.
    mutating func write(_ bytes: [UInt8]) -> Bool
}

/// A web server connection read against one deadline for the whole request, not per system
/// call: every wait for more bytes is a `poll(2)` bounded by the time left.
struct DeadlineConnection: RecordChannel {
    let descriptor: Int32
    let deadline: ContinuousClock.Instant

    mutating func readExactly(_ buffer: UnsafeMutableRawBufferPointer) -> ChannelRead {
        guard let base = buffer.baseAddress else { return .complete }
        var received = 0
        while received < buffer.count {
            let count = recv(descriptor, base + received, buffer.count - received, Int32(MSG_DONTWAIT))
            if count > 0 {
                received += count
                continue
            }
            if count == 0 { return .endOfStream(received: received) }
            let number = errno
            switch number {
            case EINTR:
                continue
            case EAGAIN, EWOULDBLOCK:
                let remaining = deadline - .now
                guard remaining > .zero else { return .timedOut }
                var descriptors = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
                if poll(&descriptors, 1, Self.milliseconds(remaining)) < 0, errno != EINTR { return .failed(errno) }
            default:
                return .failed(number)
            }
        }
        return .complete
    }

    mutating func write(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { raw in
            guard let base = raw.baseAddress else { return true }
            var offset = 0
            while offset < raw.count {
                let sent = send(descriptor, base + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
                if sent > 0 {
                    offset += sent
                } else if sent < 0 && errno == EINTR {
                    continue
                } else {
                    return false
                }
            }
            return true
        }
    }

    /// A `poll(2)` timeout: rounded up, so that a wait never ends just before the deadline.
    static func milliseconds(_ duration: Duration) -> Int32 {
        let (seconds, attoseconds) = duration.components
        guard seconds < 86_400 else { return 86_400_000 }
        let milliseconds = seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
        return Int32(max(milliseconds, 1))
    }
}
