internal import CFastCGI

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// libfcgi's per-worker request state (`FCGX_Request`), allocated once per worker, reused
/// for every request, and freed with its connection closed in `deinit`. Confined to the
/// worker thread.
///
/// The worker accepts connections itself and attaches them here; `FCGX_Accept_r` then
/// reads the begin record and the parameters. The request is initialised with listening
/// descriptor -1 so that libfcgi never accepts on its own: its `OS_Accept` waits for the
/// first byte of a unix connection with `select(2)`, which overflows `fd_set` for a
/// descriptor above 1023, and leaves the connection without close-on-exec and timeouts.
/// Attaching writes `ipcFd` and `keepConnection`, fields `fcgiapp.h` exposes but asks
/// callers not to use; libfcgi 2.4 has had this layout since 2001 and offers no other
/// way to hand it a connection.
final class LibFCGIRequest: ParameterSource, BodySource {
    private let pointer: UnsafeMutablePointer<FCGX_Request>

    /// FastCGI's responder role (`FCGI_RESPONDER`).
    static let responderRole: Int32 = 1

    init() {
        pointer = .allocate(capacity: 1)
        _ = FCGX_InitRequest(pointer, -1, 0)
    }

    deinit {
        FCGX_Free(pointer, 1)
        pointer.deallocate()
    }

    /// The web server connection, or -1 when none is open (`FCGX_Request.ipcFd`).
    var connectionDescriptor: Int32 { pointer.pointee.ipcFd }

    /// The FastCGI role of the current request (1 responder, 2 authorizer, 3 filter).
    var role: Int32 { pointer.pointee.role }

    /// Hands a freshly accepted connection to libfcgi. `keepConnection` is set so that the
    /// `FCGX_Finish_r` that `FCGX_Accept_r` begins with does not close it; the begin record
    /// then sets it from the web server's `FCGI_KEEP_CONN`.
    func attach(connection descriptor: Int32) {
        pointer.pointee.ipcFd = descriptor
        pointer.pointee.keepConnection = 1
    }

    /// Reads the next request's begin record and parameters from the attached connection.
    /// True when a request is ready; false when libfcgi found garbage, an unsupported role,
    /// an abort or the end of the connection, in which case it has closed the connection.
    func readNextRequest() -> Bool {
        FCGX_Accept_r(pointer) == 0
    }

    /// Finishes the request: flushes `FCGI_STDOUT`, writes `FCGI_END_REQUEST`, frees the
    /// streams and parameters, and closes the connection unless the web server asked to keep
    /// it and no stream failed. With `forceClose` the connection is closed regardless.
    func finish(forceClose: Bool) {
        if forceClose { pointer.pointee.keepConnection = 0 }
        FCGX_Finish_r(pointer)
    }

    /// Closes a kept-alive connection between requests, at once: libfcgi's own close
    /// (`OS_IpcClose`) shuts down the write side and waits up to 2 s for the peer to close
    /// first, which protects response data in flight; between requests there is none.
    func closeConnection() {
        let descriptor = pointer.pointee.ipcFd
        pointer.pointee.keepConnection = 0
        FCGX_Free(pointer, 0)
        pointer.pointee.ipcFd = -1
        if descriptor >= 0 { _ = close(descriptor) }
    }

    /// Calls `body` with each parameter as raw `name=value` bytes, in the order the web server
    /// sent them, without the `FCGI_ROLE` entry libfcgi adds in front.
    func forEachParameter(_ body: (UnsafeBufferPointer<UInt8>) -> Void) {
        guard var cursor = pointer.pointee.envp else { return }
        var first = true
        while let entry = cursor.pointee {
            let length = strlen(entry)
            entry.withMemoryRebound(to: UInt8.self, capacity: length) { bytes in
                let buffer = UnsafeBufferPointer(start: bytes, count: length)
                if !(first && buffer.starts(with: "FCGI_ROLE=".utf8)) { body(buffer) }
            }
            first = false
            cursor += 1
        }
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
