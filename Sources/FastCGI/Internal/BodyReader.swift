/// Something the body can be read from: libfcgi's `FCGI_STDIN` stream, or a test double.
protocol BodySource {
    func readBody(into buffer: UnsafeMutableRawBufferPointer) -> BodyReadResult
}

/// Reads a request body within limits, never holding more than `maximumBodyBytes` of it.
///
/// A body declared or found larger than the limit is read and thrown away, up to
/// `maximumDiscardedBytes`, so that the web server finishes sending, reads the answer and may
/// reuse the connection; past that the connection must be closed.
///
/// One per worker, confined to its thread: a body with a `CONTENT_LENGTH` is read into an
/// array of exactly that size; a body without one (every GET from nginx, a chunked body
/// from Apache) and a discarded body go through one scratch buffer that the reader keeps, so
/// that a request without a body allocates nothing.
final class BodyReader {
    enum Outcome {
        /// The body, exactly as declared.
        case complete([UInt8])
        /// The request is refused; `connectionReusable` says whether all of `FCGI_STDIN` was
        /// consumed (false: close the connection after answering).
        case rejected(FastCGIRequestRejection, connectionReusable: Bool)
        /// The connection failed while reading (closed, timed out, aborted, protocol error):
        /// nothing can be answered.
        case connectionFailed(streamError: Int32)
    }

    let maximumBodyBytes: Int
    let maximumDiscardedBytes: Int
    /// Reused for every read of unknown length and every discard; allocated on first use.
    private var scratch: UnsafeMutableRawBufferPointer?

    static let chunkSize = 16 * 1024

    init(maximumBodyBytes: Int, maximumDiscardedBytes: Int) {
        self.maximumBodyBytes = maximumBodyBytes
        self.maximumDiscardedBytes = maximumDiscardedBytes
    }

    deinit { scratch?.deallocate() }

    private var scratchBuffer: UnsafeMutableRawBufferPointer {
        if let scratch { return scratch }
        let allocated = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.chunkSize, alignment: 16)
        scratch = allocated
        return allocated
    }

    /// Reads the body. `declaredLength` is `CONTENT_LENGTH`, or nil when the web server sent
    /// none: Apache passes a chunked request body it did not spool without a length, and
    /// RFC 3875 §4.1.2 then leaves the body to the end of the stream.
    func read(declaredLength: Int?, from source: some BodySource) -> Outcome {
        guard let declaredLength else { return readToEnd(from: source) }
        if declaredLength > maximumBodyBytes {
            switch discard(from: source, alreadyRead: 0) {
            case .finished:
                return .rejected(.bodyTooLarge(limit: maximumBodyBytes), connectionReusable: true)
            case .limitReached:
                return .rejected(.bodyTooLarge(limit: maximumBodyBytes), connectionReusable: false)
            case .failed(let error):
                return .connectionFailed(streamError: error)
            }
        }
        var received = 0
        var failure: Int32 = 0
        let body = [UInt8](unsafeUninitializedCapacity: declaredLength) { buffer, initialized in
            while received < declaredLength {
                let result = source.readBody(
                    into: UnsafeMutableRawBufferPointer(rebasing: UnsafeMutableRawBufferPointer(buffer)[received...])
                )
                received += result.count
                if result.count == 0 || result.streamError != 0 {
                    failure = result.streamError
                    break
                }
            }
            initialized = received
        }
        if failure != 0 { return .connectionFailed(streamError: failure) }
        if received < declaredLength {
            return .rejected(
                .malformed(reason: "the body is shorter than CONTENT_LENGTH (\(received) of \(declaredLength) bytes)"),
                connectionReusable: true
            )
        }
        // The stream must end here: one more byte means the body is longer than declared.
        var probe: UInt8 = 0
        let extra = withUnsafeMutableBytes(of: &probe) { source.readBody(into: $0) }
        if extra.count == 0 {
            return extra.streamError == 0 ? .complete(body) : .connectionFailed(streamError: extra.streamError)
        }
        let tail = discard(from: source, alreadyRead: declaredLength + extra.count)
        let total: Int
        let reusable: Bool
        switch tail {
        case .finished(let count): (total, reusable) = (count, true)
        case .limitReached(let count): (total, reusable) = (count, false)
        case .failed(let error): return .connectionFailed(streamError: error)
        }
        if total > maximumBodyBytes {
            return .rejected(.bodyTooLarge(limit: maximumBodyBytes), connectionReusable: reusable)
        }
        return .rejected(
            .malformed(reason: "the body is longer than CONTENT_LENGTH (\(declaredLength) bytes declared)"),
            connectionReusable: reusable
        )
    }

    /// Reads a body of unknown length to the end of `FCGI_STDIN`, holding at most
    /// `maximumBodyBytes`; one byte more makes it too large (the rest is discarded). The body
    /// array grows with what arrives: none for an empty body.
    private func readToEnd(from source: some BodySource) -> Outcome {
        let buffer = scratchBuffer
        var body: [UInt8] = []
        while true {
            let wanted = min(buffer.count, maximumBodyBytes + 1 - body.count)
            let result = source.readBody(into: UnsafeMutableRawBufferPointer(rebasing: buffer[..<wanted]))
            if result.streamError != 0 { return .connectionFailed(streamError: result.streamError) }
            if result.count == 0 { return .complete(body) }
            body.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[..<result.count]))
            if body.count > maximumBodyBytes { break }
        }
        switch discard(from: source, alreadyRead: body.count) {
        case .finished:
            return .rejected(.bodyTooLarge(limit: maximumBodyBytes), connectionReusable: true)
        case .limitReached:
            return .rejected(.bodyTooLarge(limit: maximumBodyBytes), connectionReusable: false)
        case .failed(let error):
            return .connectionFailed(streamError: error)
        }
    }

    enum Discarded {
        /// The stream ended cleanly; the total number of body bytes seen.
        case finished(Int)
        /// More than `maximumDiscardedBytes` arrived; reading stopped.
        case limitReached(Int)
        case failed(Int32)
    }

    /// Reads and throws away the rest of `FCGI_STDIN`, up to the discard limit.
    func discard(from source: some BodySource, alreadyRead: Int) -> Discarded {
        var total = alreadyRead
        var discarded = 0
        let buffer = scratchBuffer
        while true {
            if discarded > maximumDiscardedBytes { return .limitReached(total) }
            let result = source.readBody(into: buffer)
            total += result.count
            discarded += result.count
            if result.streamError != 0 { return .failed(result.streamError) }
            if result.count < buffer.count { return .finished(total) }
        }
    }
}
