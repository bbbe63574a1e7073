internal import CFastCGI

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// libfcgi's per-worker request state (`FCGX_Request`), allocated once per worker, reused
/// for every request, and freed in `deinit`. Confined to the worker thread. It never owns a
/// connection: the worker accepts, reads each request's head and closes connections itself.
///
/// libfcgi reads the body (`FCGI_STDIN`) and writes the answer (`FCGI_STDOUT`,
/// `FCGI_END_REQUEST`). It is handed a request whose begin record and parameters the worker
/// has already read (``RequestHeadReader``, which applies the parameter limit and the
/// deadline that libfcgi's own `ReadParams` lacks) like this: `FCGX_Accept_r` reads an
/// equivalent begin record and an empty parameter stream from a pipe, and the request's
/// `ipcFd` is then pointed at the web server connection, where libfcgi's streams read and
/// write from then on (they use `ipcFd` at each call). The request is initialised with
/// listening descriptor -1 so that libfcgi never accepts on its own. Writing `ipcFd` and
/// `keepConnection` touches fields `fcgiapp.h` exposes but asks callers not to use;
/// libfcgi 2.4 has had this layout since 2001 and offers no other way to hand it a
/// connection.
final class LibFCGIRequest: BodySource {
    private let pointer: UnsafeMutablePointer<FCGX_Request>
    /// The pipe the synthetic request head is read from: read end, write end.
    private var handoff: (read: Int32, write: Int32) = (-1, -1)

    /// FastCGI's responder role (`FCGI_RESPONDER`).
    static let responderRole: UInt16 = 1

    init() {
        pointer = .allocate(capacity: 1)
        _ = FCGX_InitRequest(pointer, -1, 0)
    }

    deinit {
        pointer.pointee.ipcFd = -1
        FCGX_Free(pointer, 0)
        pointer.deallocate()
        closeHandoff()
    }

    /// Lets libfcgi take over `head`'s request on `connection` after its parameters: false
    /// when that failed (no pipe, or libfcgi refused the head), and the request cannot be
    /// answered.
    func begin(_ head: RequestHead, connection: Int32) -> Bool {
        if handoff.read < 0 {
            guard openHandoff() else { return false }
        }
        let id = (UInt8(head.requestID >> 8), UInt8(head.requestID & 0xFF))
        let records: [UInt8] = [
            1, 1, id.0, id.1, 0, 8, 0, 0, UInt8(head.role >> 8), UInt8(head.role & 0xFF),
            head.keepConnection ? 1 : 0, 0, 0, 0, 0, 0,
            1, 4, id.0, id.1, 0, 0, 0, 0,
        ]
        let written = records.withUnsafeBytes { write(handoff.write, $0.baseAddress, $0.count) }
        guard written == records.count else {
            closeHandoff()
            return false
        }
        // keepConnection: the FCGX_Finish_r that FCGX_Accept_r begins with must not close.
        pointer.pointee.ipcFd = handoff.read
        pointer.pointee.keepConnection = 1
        guard FCGX_Accept_r(pointer) == 0 else {
            // libfcgi closed the pipe's read end; start afresh next time.
            pointer.pointee.ipcFd = -1
            handoff.read = -1
            closeHandoff()
            return false
        }
        pointer.pointee.ipcFd = connection
        return true
    }

    /// Ends the request: flushes `FCGI_STDOUT`, writes `FCGI_END_REQUEST` and frees the
    /// streams and parameters, leaving the connection open. True when every stream ended
    /// cleanly, so that the connection may carry another request.
    func end() -> Bool {
        var clean = true
        if pointer.pointee.in != nil {
            clean = FCGX_FClose(pointer.pointee.err) == 0 && clean
            clean = FCGX_FClose(pointer.pointee.out) == 0 && clean
            clean = FCGX_GetError(pointer.pointee.in) == 0 && clean
        }
        pointer.pointee.ipcFd = -1
        FCGX_Free(pointer, 0)
        return clean
    }

    /// The FastCGI role of the current request (1 responder, 2 authorizer, 3 filter).
    var role: Int32 { pointer.pointee.role }

    private func openHandoff() -> Bool {
        var descriptors: [Int32] = [-1, -1]
        guard pipe(&descriptors) == 0 else { return false }
        for descriptor in descriptors {
            _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
            // Never block: the head is written before libfcgi reads it.
            _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) | O_NONBLOCK)
        }
        handoff = (descriptors[0], descriptors[1])
        return true
    }

    private func closeHandoff() {
        if handoff.read >= 0 { _ = close(handoff.read) }
        if handoff.write >= 0 { _ = close(handoff.write) }
        handoff = (-1, -1)
    }

    /// Reads up to `buffer.count` bytes of `FCGI_STDIN`.
    func readBody(into buffer: UnsafeMutableRawBufferPointer) -> BodyReadResult {
        guard let stream = pointer.pointee.in, let base = buffer.baseAddress, buffer.count > 0 else {
            return BodyReadResult(count: 0, streamError: 0)
        }
        let wanted = Int32(clamping: buffer.count)
        let count = FCGX_GetStr(base.assumingMemoryBound(to: CChar.self), wanted, stream)
        let error = count < wanted ? FCGX_GetError(stream) : 0
        return BodyReadResult(count: Int(max(count, 0)), streamError: error)
    }

    /// Writes bytes to `FCGI_STDOUT`; false when the connection failed.
    func writeOutput(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard let stream = pointer.pointee.out else { return false }
        guard let base = bytes.baseAddress else { return true }
        var offset = 0
        while offset < bytes.count {
            let chunk = min(bytes.count - offset, 1 << 20)
            let written = FCGX_PutStr((base + offset).assumingMemoryBound(to: CChar.self), Int32(chunk), stream)
            if written != Int32(chunk) { return false }
            offset += chunk
        }
        return true
    }

    /// Pushes buffered output to the web server; false when the connection failed.
    func flushOutput() -> Bool {
        guard let stream = pointer.pointee.out else { return false }
        return FCGX_FFlush(stream) == 0
    }
}

/// What one read of the body returned: fewer bytes than asked means end of stream, cleanly
/// (`streamError == 0`, the web server's empty `FCGI_STDIN` record) or not (a closed
/// connection, a timeout, an abort or a protocol error).
struct BodyReadResult {
    var count: Int
    var streamError: Int32
}

/// libfcgi's process-wide initialisation (`FCGX_Init`), run once, before any worker starts.
/// It also installs a no-op `SIGPIPE` handler and a `SIGUSR1` handler that sets libfcgi's
/// "shutdown pending" flag, but only where those signals still have their default action.
enum LibFCGI {
    private static let initialisation: Int32 = FCGX_Init()

    static func initialise() -> Int32 { initialisation }
}
