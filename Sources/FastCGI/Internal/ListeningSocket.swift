#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The listening socket the workers accept on. Owns the descriptor it created (closes it in
/// `deinit`, removes the unix socket file it made); an inherited descriptor 0 is borrowed:
/// it is never closed, and its file status flags are restored.
///
/// The socket is created here rather than with `FCGX_OpenSocket`, which removes whatever is
/// at the path (even a regular file), applies the umask instead of the requested mode, binds
/// IPv4 only through the non-reentrant `gethostbyname`, reads the port with `atoi` and
/// reports errors on stderr. Workers accept on it themselves (see ``LibFCGIRequest``) and
/// let `FCGX_Accept_r` read each request.
///
/// The descriptor is non-blocking: it waits in the workers' epoll set (``ConnectionPoller``)
/// and the worker it wakes accepts, getting `EAGAIN` when another process sharing the socket
/// took the connection first or the burst it accepts is over.
final class ListeningSocket: @unchecked Sendable {
    /// `sizeof(sockaddr_un.sun_path)` minus the terminating NUL.
    static let maximumUnixPathLength = 107

    /// The descriptor; valid until `deinit`. Immutable, so reading it from any thread is safe.
    let descriptor: Int32
    /// The port bound, for TCP.
    let tcpPort: Int?
    /// How to describe it in logs.
    let label: String
    private let ownsDescriptor: Bool
    private let createdSocketFile: (path: String, device: UInt64, inode: UInt64)?
    private let originalStatusFlags: Int32?

    private init(
        descriptor: Int32,
        tcpPort: Int?,
        label: String,
        ownsDescriptor: Bool,
        createdSocketFile: (path: String, device: UInt64, inode: UInt64)?,
        originalStatusFlags: Int32?
    ) {
        self.descriptor = descriptor
        self.tcpPort = tcpPort
        self.label = label
        self.ownsDescriptor = ownsDescriptor
        self.createdSocketFile = createdSocketFile
        self.originalStatusFlags = originalStatusFlags
    }

    deinit {
        if ownsDescriptor {
            removeSocketFile()
            _ = close(descriptor)
        } else {
            restoreStatusFlags()
        }
    }

    /// Gives a borrowed descriptor its original file status flags back (blocking, for a
    /// process sharing it that expects so). Only once no worker waits on it.
    func restoreStatusFlags() {
        if !ownsDescriptor, let flags = originalStatusFlags { _ = fcntl(descriptor, F_SETFL, flags) }
    }

    /// Opens the configured address. `ioTimeout` is set on a TCP listener so that accepted
    /// connections inherit it (Linux copies it for TCP, not for unix sockets).
    static func open(
        _ address: FastCGIListenAddress,
        backlog: Int,
        ioTimeout: Duration
    )
        throws(FastCGIServerError) -> ListeningSocket
    {
        switch address {
        case .unixSocket(let path, let permissions):
            return try openUnix(path: path, permissions: permissions, backlog: backlog)
        case .tcp(let host, let port):
            let socket = try openTCP(host: host, port: port, backlog: backlog)
            SocketTimeouts.apply(ioTimeout, to: socket.descriptor)
            return socket
        case .inheritedStandardInput:
            return try adopt(descriptor: 0, label: "inherited fd 0")
        }
    }

    // MARK: Unix

    private static func openUnix(
        path: String,
        permissions: UInt16,
        backlog: Int
    )
        throws(FastCGIServerError) -> ListeningSocket
    {
        try removeStaleSocket(at: path)
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else {
            throw .system(.listenFailed, "cannot create a unix socket", errno: errno)
        }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let pathBytes = Array(path.utf8)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: pathBytes)
        }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + pathBytes.count + 1)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        guard bound == 0 else {
            let number = errno
            _ = close(fd)
            throw .system(
                number == EADDRINUSE ? .addressInUse : .listenFailed,
                "cannot bind the unix socket \(path)",
                errno: number
            )
        }
        // Set the mode before listen(2): until then a connect(2) is refused, so the socket is
        // never reachable with the umask's mode.
        guard chmod(path, mode_t(permissions)) == 0 else {
            let number = errno
            _ = unlink(path)
            _ = close(fd)
            throw .system(.listenFailed, "cannot set the mode of \(path)", errno: number)
        }
        var status = stat()
        guard lstat(path, &status) == 0, listen(fd, Int32(backlog)) == 0 else {
            let number = errno
            _ = unlink(path)
            _ = close(fd)
            throw .system(.listenFailed, "cannot listen on \(path)", errno: number)
        }
        setNonBlocking(fd)
        return ListeningSocket(
            descriptor: fd,
            tcpPort: nil,
            label: "unix:\(path)",
            ownsDescriptor: true,
            createdSocketFile: (path, UInt64(status.st_dev), UInt64(status.st_ino)),
            originalStatusFlags: nil
        )
    }

    /// Removes a socket file left by a dead responder. Refuses a path that is not a socket,
    /// and a socket on which some process still accepts connections.
    private static func removeStaleSocket(at path: String) throws(FastCGIServerError) {
        var status = stat()
        guard lstat(path, &status) == 0 else {
            let number = errno
            if number == ENOENT { return }
            throw .system(.listenFailed, "cannot inspect \(path)", errno: number)
        }
        guard (status.st_mode & S_IFMT) == S_IFSOCK else {
            throw FastCGIServerError(
                .pathNotASocket,
                "\(path) exists and is not a socket; refusing to replace it"
            )
        }
        switch probeUnixSocket(path: path) {
        case .listening:
            throw FastCGIServerError(.addressInUse, "another process is listening on \(path)")
        case .stale:
            guard unlink(path) == 0 || errno == ENOENT else {
                throw .system(.listenFailed, "cannot remove the stale socket \(path)", errno: errno)
            }
        case .failed(let number):
            throw .system(.listenFailed, "cannot probe the existing socket \(path)", errno: number)
        }
    }

    private enum Probe {
        case listening, stale
        case failed(Int32)
    }

    private static func probeUnixSocket(path: String) -> Probe {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return .failed(errno) }
        defer { _ = close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let pathBytes = Array(path.utf8)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: pathBytes) }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + pathBytes.count + 1)
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, length) }
        }
        if result == 0 { return .listening }
        let number = errno
        // EAGAIN: a full backlog, so someone listens.
        if number == EAGAIN { return .listening }
        if number == ECONNREFUSED { return .stale }
        return .failed(number)
    }

    /// Removes the unix socket file this server created, unless another responder has
    /// replaced it meanwhile (a rolling restart). Idempotent.
    func removeSocketFile() {
        guard let file = createdSocketFile else { return }
        var status = stat()
        // A responder started during our shutdown may have replaced the file: leave it.
        guard lstat(file.path, &status) == 0, (status.st_mode & S_IFMT) == S_IFSOCK,
            UInt64(status.st_dev) == file.device, UInt64(status.st_ino) == file.inode
        else { return }
        _ = unlink(file.path)
    }

    // MARK: TCP

    private static func openTCP(
        host: String,
        port: Int,
        backlog: Int
    ) throws(FastCGIServerError)
        -> ListeningSocket
    {
        var hints = addrinfo()
        hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let node: String? = (host.isEmpty || host == "*") ? nil : host
        let status: Int32
        if let node {
            status = getaddrinfo(node, String(port), &hints, &list)
        } else {
            status = getaddrinfo(nil, String(port), &hints, &list)
        }
        guard status == 0, let first = list else {
            let text = status == 0 ? "no address" : String(cString: gai_strerror(status))
            throw FastCGIServerError(.listenFailed, "cannot resolve \(host.isEmpty ? "*" : host): \(text)")
        }
        defer { freeaddrinfo(list) }
        // With no host, prefer the IPv6 wildcard (it accepts IPv4 too unless bindv6only).
        var chosen = first.pointee
        if node == nil {
            var cursor: UnsafeMutablePointer<addrinfo>? = first
            while let entry = cursor {
                if entry.pointee.ai_family == AF_INET6 {
                    chosen = entry.pointee
                    break
                }
                cursor = entry.pointee.ai_next
            }
        }
        let fd = socket(chosen.ai_family, chosen.ai_socktype | Int32(SOCK_CLOEXEC.rawValue), chosen.ai_protocol)
        guard fd >= 0 else {
            throw .system(.listenFailed, "cannot create a TCP socket", errno: errno)
        }
        var one: Int32 = 1
        _ = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        guard bind(fd, chosen.ai_addr, chosen.ai_addrlen) == 0 else {
            let number = errno
            _ = close(fd)
            throw .system(
                number == EADDRINUSE ? .addressInUse : .listenFailed,
                "cannot bind TCP \(host):\(port)",
                errno: number
            )
        }
        guard listen(fd, Int32(backlog)) == 0 else {
            let number = errno
            _ = close(fd)
            throw .system(.listenFailed, "cannot listen on TCP \(host):\(port)", errno: number)
        }
        setNonBlocking(fd)
        let boundPort = localPort(of: fd) ?? port
        let label = FastCGIListenAddress.tcp(host: host.isEmpty ? "*" : host, port: boundPort).description
        return ListeningSocket(
            descriptor: fd,
            tcpPort: boundPort,
            label: label,
            ownsDescriptor: true,
            createdSocketFile: nil,
            originalStatusFlags: nil
        )
    }

    /// Whether hosts other than this one can connect: an IP socket bound to anything but a
    /// loopback address (a wildcard `0.0.0.0` or `::` included). Such a socket needs a peer
    /// allowlist. A socket whose address cannot be read counts as reachable.
    var isReachableFromOtherHosts: Bool {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let result = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        guard result == 0 else { return true }
        if Int32(storage.ss_family) == AF_UNIX { return false }
        guard let address = PeerAddress(socketAddress: storage) else { return true }
        return !address.isLoopback
    }

    private static func localPort(of fd: Int32) -> Int? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let result = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard result == 0 else { return nil }
        switch Int32(storage.ss_family) {
        case AF_INET:
            return withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin_port)) }
            }
        case AF_INET6:
            return withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) {
                    Int(UInt16(bigEndian: $0.pointee.sin6_port))
                }
            }
        default:
            return nil
        }
    }

    // MARK: Inherited

    /// Borrows an inherited descriptor after checking it is a listening stream socket.
    static func adopt(descriptor fd: Int32, label: String) throws(FastCGIServerError) -> ListeningSocket {
        var status = stat()
        guard fstat(fd, &status) == 0 else {
            throw .system(.notAListeningSocket, "\(label) is not open", errno: errno)
        }
        guard (status.st_mode & S_IFMT) == S_IFSOCK else {
            throw FastCGIServerError(
                .notAListeningSocket,
                "\(label) is a \(fileKind(status.st_mode)), not a socket: start the server under spawn-fcgi, "
                    + "mod_fcgid or systemd socket activation (StandardInput=socket), or configure a socket"
            )
        }
        var accepting: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &accepting, &length) == 0 else {
            throw .system(.notAListeningSocket, "cannot inspect \(label)", errno: errno)
        }
        guard accepting == 1 else {
            throw FastCGIServerError(
                .notAListeningSocket,
                "\(label) is a socket that is not listening (a connection, not a listener)"
            )
        }
        var type: Int32 = 0
        length = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &length) == 0, type == Int32(SOCK_STREAM.rawValue) else {
            throw FastCGIServerError(.notAListeningSocket, "\(label) is not a stream socket")
        }
        let flags = fcntl(fd, F_GETFL)
        setNonBlocking(fd)
        return ListeningSocket(
            descriptor: fd,
            tcpPort: localPort(of: fd),
            label: label,
            ownsDescriptor: false,
            createdSocketFile: nil,
            originalStatusFlags: flags >= 0 ? flags : nil
        )
    }

    private static func fileKind(_ mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFREG: return "regular file"
        case S_IFDIR: return "directory"
        case S_IFCHR: return "character device (a terminal or /dev/null)"
        case S_IFIFO: return "pipe"
        case S_IFBLK: return "block device"
        case S_IFLNK: return "symbolic link"
        default: return "non-socket file"
        }
    }

    private static func setNonBlocking(_ fd: Int32) {
        let flags = fcntl(fd, F_GETFL)
        if flags >= 0 { _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK) }
    }

    /// Stops new connections on a socket this server created: `shutdown(2)` on a listening
    /// socket makes further `connect(2)` fail at once and wakes every waiter. An inherited
    /// socket may be shared with other processes (spawn-fcgi -F, systemd), so it is left alone.
    func stopAccepting() {
        if ownsDescriptor { _ = shutdown(descriptor, Int32(SHUT_RDWR)) }
    }
}
