import Logging

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// One worker thread's loop: wait in the shared epoll set (``ConnectionPoller``) for a
/// connection to accept or a parked kept-alive connection whose next request has arrived,
/// read that request's head itself (``RequestHeadReader``: parameter limit, deadline), let
/// libfcgi read the body, call this thread's handler, write the answer through libfcgi, and
/// park the still-open connection again. A worker holds a connection only while it serves one
/// request. Nothing a web server (or anyone else) sends can end the loop; only shutdown, or
/// the listening socket itself failing, does.
///
/// Each request has one deadline, ``FastCGIServerConfiguration/requestTimeout`` from its
/// first byte (or from the accepted connection), for its parameters and body together: the
/// head reader waits against it, and while libfcgi reads the body `run()` enforces it
/// (``RequestDeadlines``). A request past it is dropped unanswered and its connection closed.
struct Worker {
    let index: Int
    let core: ServerCore

    private var logger: Logger {
        var logger = core.logger
        logger[metadataKey: "fastcgi.worker"] = "\(index)"
        return logger
    }

    /// What reading a request's body (or discarding it) came to.
    private enum Prepared {
        case request(FastCGIRequest)
        case rejected(FastCGIRequestRejection, parameters: [String: String], connectionReusable: Bool)
        case connectionFailed(streamError: Int32)
    }

    /// How many more connections a worker accepts at once and parks.
    private static let acceptBurst = 15

    /// This worker's per-thread state, made once.
    private struct Tools {
        let logger: Logger
        let handler: any FastCGIRequestHandler
        let request: LibFCGIRequest
        let bodyReader: BodyReader
        let decoder: ParameterDecoder
        let headReader: RequestHeadReader
    }

    func run() {
        defer {
            core.liveWorkers.subtract(1, ordering: .relaxed)
            core.workersDone.leave()
        }
        let tools = Tools(
            logger: self.logger,
            handler: core.makeHandler(index),
            request: LibFCGIRequest(),
            bodyReader: BodyReader(
                maximumBodyBytes: core.configuration.maxBodyBytes,
                maximumDiscardedBytes: core.configuration.maxDiscardedBodyBytes
            ),
            decoder: ParameterDecoder(maximumBytes: core.configuration.maxParametersBytes),
            headReader: RequestHeadReader(
                maximumParameterBytes: core.configuration.maxParametersBytes,
                maximumDiscardedBytes: core.configuration.maxDiscardedBodyBytes
            )
        )
        while true {
            core.availableWorkers.add(1, ordering: .relaxed)
            let event = core.poller.next()
            core.availableWorkers.subtract(1, ordering: .relaxed)
            switch event {
            case .connection(let connection, let requestsServed):
                serveOneRequest(on: connection, requestsServed: requestsServed, fresh: false, tools)
            case .listener:
                // One connection to serve now; a burst behind it goes to the epoll set, out of
                // the listen backlog, for whichever worker is free next.
                let accepted = acceptConnection(logger: tools.logger)
                if accepted != nil {
                    for _ in 0..<Self.acceptBurst {
                        guard let next = acceptConnection(logger: tools.logger) else { break }
                        core.poller.park(next, requestsServed: 0, fresh: true)
                    }
                }
                if !core.isDraining { core.poller.rearmListener() }
                // Served now if its request has begun to arrive; otherwise it waits in the set
                // too, so that no worker waits on a connection that has sent nothing.
                if let accepted {
                    if Self.isReadable(accepted) {
                        serveOneRequest(on: accepted, requestsServed: 0, fresh: true, tools)
                    } else {
                        core.poller.park(accepted, requestsServed: 0, fresh: true)
                    }
                }
            case .shutdown:
                // Readiness wins over shutdown: requests already sent on parked connections
                // are served (and their connections closed) before this worker stops.
                while let ready = core.poller.readyWhileDraining() {
                    serveOneRequest(on: ready.connection, requestsServed: ready.requestsServed, fresh: false, tools)
                }
                return
            case .failed(let number):
                tools.logger.critical("waiting for FastCGI connections failed: \(SystemErrorText.describe(number))")
                core.beginShutdown(failure: .system(.acceptFailed, "epoll_wait failed", errno: number))
                return
            }
        }
    }

    /// Whether `connection` has bytes (or its end) to read right now.
    private static func isReadable(_ connection: Int32) -> Bool {
        var descriptor = pollfd(fd: connection, events: Int16(POLLIN), revents: 0)
        return poll(&descriptor, 1, 0) == 1
    }

    /// Serves the next request on `connection`, which this worker now owns, then parks the
    /// connection for the request after (or closes it). `fresh`: just accepted, never parked.
    private func serveOneRequest(on connection: Int32, requestsServed: Int, fresh: Bool, _ tools: Tools) {
        let logger = tools.logger
        let request = tools.request
        let deadline = ContinuousClock.now + core.configuration.requestTimeout
        core.deadlines.arm(worker: index, connection: connection, until: deadline)
        var channel = DeadlineConnection(descriptor: connection, deadline: deadline)
        let head: RequestHead
        switch tools.headReader.read(from: &channel) {
        case .request(let read):
            head = read
        case .endOfConnection:
            core.deadlines.disarm(worker: index)
            _ = close(connection)
            if requestsServed == 0 {
                logger.notice("closed a FastCGI connection that carried no request (early close)")
            }
            return
        case .failed(let failure):
            let expired = core.deadlines.disarm(worker: index)
            _ = close(connection)
            if failure == .timedOut || expired {
                core.requestsTimedOut.add(1, ordering: .relaxed)
                logger.notice(
                    "dropped a FastCGI request whose parameters did not arrive within the request timeout",
                    metadata: ["fastcgi.request_timeout": "\(core.configuration.requestTimeout)"]
                )
            } else if requestsServed == 0 || failure != .closedEarly {
                logger.notice(
                    "closed a FastCGI connection that carried no valid request",
                    metadata: ["fastcgi.problem": "\(failure)"]
                )
            }
            return
        }
        guard request.begin(head, connection: connection) else {
            core.deadlines.disarm(worker: index)
            _ = request.end()
            _ = close(connection)
            logger.error("libfcgi did not take over a FastCGI request; its connection is closed")
            return
        }
        core.busyWorkers.add(1, ordering: .relaxed)
        let outcome = serve(
            head,
            request,
            handler: tools.handler,
            decoder: tools.decoder,
            bodyReader: tools.bodyReader,
            logger: logger
        )
        let clean = request.end()
        core.busyWorkers.subtract(1, ordering: .relaxed)
        switch outcome {
        case .keep where clean && head.keepConnection && !core.isDraining:
            core.poller.park(connection, requestsServed: requestsServed + 1, fresh: fresh)
        case .keep, .close:
            closeAfterAnswer(connection)
        case .drop:
            core.deadlines.disarm(worker: index)
            _ = shutdown(connection, Int32(SHUT_RDWR))
            _ = close(connection)
        }
    }

    /// Closes a connection after its answer, the way libfcgi does (`OS_IpcClose`): shut down
    /// the sending side, then read and discard what the web server still sends until it
    /// closes, so that the answer is not lost to a reset. Unlike libfcgi, bounded: at most
    /// 2 s of silence, and at most ``FastCGIServerConfiguration/requestTimeout`` in all.
    private func closeAfterAnswer(_ connection: Int32) {
        core.deadlines.arm(
            worker: index,
            connection: connection,
            until: .now + core.configuration.requestTimeout
        )
        if shutdown(connection, Int32(SHUT_WR)) == 0 {
            var trash = [UInt8](repeating: 0, count: 4096)
            var descriptors = pollfd(fd: connection, events: Int16(POLLIN), revents: 0)
            while poll(&descriptors, 1, 2000) > 0 {
                let count = trash.withUnsafeMutableBytes { recv(connection, $0.baseAddress, $0.count, 0) }
                if count <= 0 { break }
            }
        }
        core.deadlines.disarm(worker: index)
        _ = close(connection)
    }

    /// Accepts one connection if there is one. Transient failures return nil; a broken
    /// listening socket shuts the server down.
    private func acceptConnection(logger: Logger) -> Int32? {
        let listening = core.listener.descriptor
        let fd = accept(listening, nil, nil)
        if fd < 0 {
            let number = errno
            switch number {
            case EAGAIN, EWOULDBLOCK, EINTR, ECONNABORTED, EPROTO, ENETDOWN, ENOPROTOOPT, EHOSTDOWN, ENONET,
                EHOSTUNREACH, EOPNOTSUPP, ENETUNREACH, ETIMEDOUT, ECONNRESET:
                return nil
            case EMFILE, ENFILE, ENOBUFS, ENOMEM:
                core.warnResourceExhaustion(errno: number)
                usleep(100_000)
                return nil
            default:
                if core.isDraining { return nil }
                logger.critical("accepting FastCGI connections failed: \(SystemErrorText.describe(number))")
                core.beginShutdown(failure: .system(.acceptFailed, "accept failed", errno: number))
                return nil
            }
        }
        if let allowlist = core.peerAllowlist, !allowlist.allows(connection: fd) {
            logger.warning("refused a FastCGI connection from an address not in the allowed web server list")
            _ = close(fd)
            return nil
        }
        // accept4 is not in Swift's Glibc module; the responder runs no other programs, so
        // setting close-on-exec right after accept is enough.
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        var one: Int32 = 1
        _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        // A kept-alive TCP connection waits for its next request without a time limit; TCP
        // keepalive makes a crashed or unplugged web-server host's connections end (about
        // 90 s: 60 s idle, then 3 probes 10 s apart), and they leave the epoll set. No effect
        // on unix sockets.
        var idle: Int32 = 60
        var interval: Int32 = 10
        var probes: Int32 = 3
        _ = setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, socklen_t(MemoryLayout<Int32>.size))
        _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_KEEPIDLE, &idle, socklen_t(MemoryLayout<Int32>.size))
        _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_KEEPINTVL, &interval, socklen_t(MemoryLayout<Int32>.size))
        _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_KEEPCNT, &probes, socklen_t(MemoryLayout<Int32>.size))
        SocketTimeouts.apply(core.configuration.connectionIOTimeout, to: fd)
        core.connectionsAccepted.add(1, ordering: .relaxed)
        return fd
    }

    /// What to do with the connection once a request is answered.
    private enum Outcome {
        /// Reusable if the web server asked (`FCGI_KEEP_CONN`) and libfcgi's streams ended cleanly.
        case keep
        /// Close it after the answer (the body was not consumed, or writing failed).
        case close
        /// The request was dropped unanswered (deadline, failed connection): close at once.
        case drop
    }

    /// Serves one request whose head has been read and handed to libfcgi: reads the body
    /// within the deadline, answers.
    private func serve(
        _ head: RequestHead,
        _ request: LibFCGIRequest,
        handler: any FastCGIRequestHandler,
        decoder: ParameterDecoder,
        bodyReader: BodyReader,
        logger: Logger
    ) -> Outcome {
        let prepared = prepare(head, request, decoder: decoder, bodyReader: bodyReader)
        // The request has arrived (or failed): its deadline no longer applies.
        if core.deadlines.disarm(worker: index) {
            core.requestsTimedOut.add(1, ordering: .relaxed)
            logger.notice(
                "dropped a FastCGI request whose body did not arrive within the request timeout",
                metadata: ["fastcgi.request_timeout": "\(core.configuration.requestTimeout)"]
            )
            return .drop
        }
        let headRequest = prepared.method == "HEAD"
        switch prepared.value {
        case .request(let fastCGIRequest):
            let response = handler.respond(to: fastCGIRequest)
            let failed = !write(response, headRequest: headRequest, to: request, logger: logger)
            core.requestsServed.add(1, ordering: .relaxed)
            logger.debug(
                "FastCGI request answered",
                metadata: [
                    "fastcgi.method": "\(ParameterDecoder.loggable(fastCGIRequest.method))",
                    "fastcgi.status": "\(response.status)",
                ]
            )
            return failed ? .close : .keep
        case .rejected(let rejection, let parameters, let reusable):
            let failed = answer(
                rejection: rejection,
                parameters: parameters,
                headRequest: headRequest,
                request,
                handler: handler,
                logger: logger
            )
            return failed || !reusable ? .close : .keep
        case .connectionFailed(let streamError):
            logger.info(
                "the web server connection failed while the request body was read; nothing answered",
                metadata: ["fastcgi.stream_error": "\(streamError)"]
            )
            return .drop
        }
    }

    /// Checks the parameters and reads (or, for a refused request, discards) the body.
    private func prepare(
        _ head: RequestHead,
        _ request: LibFCGIRequest,
        decoder: ParameterDecoder,
        bodyReader: BodyReader
    ) -> (value: Prepared, method: String?) {
        guard head.role == LibFCGIRequest.responderRole else {
            // An authorizer gets no FCGI_STDIN and a filter also gets FCGI_DATA: read nothing
            // more, answer, close.
            let rejection = FastCGIRequestRejection.malformed(
                reason: "FastCGI role \(head.role) is not supported; this application is a responder"
            )
            return (.rejected(rejection, parameters: [:], connectionReusable: false), nil)
        }
        let parameters: [String: String]
        switch decoder.decode(head, tooLarge: head.parametersTooLarge) {
        case .rejected(let rejection, let subset):
            // Parameters that were not read to their end leave nothing readable after them.
            let reusable = head.parametersComplete && consumeBody(request, bodyReader: bodyReader)
            return (.rejected(rejection, parameters: subset, connectionReusable: reusable), subset["REQUEST_METHOD"])
        case .decoded(let decoded):
            parameters = decoded
        }
        guard let method = parameters["REQUEST_METHOD"], !method.isEmpty else {
            let reusable = consumeBody(request, bodyReader: bodyReader)
            return (
                .rejected(
                    .malformed(reason: "REQUEST_METHOD is missing"),
                    parameters: parameters,
                    connectionReusable: reusable
                ), nil
            )
        }
        let declared: Int?
        switch ContentLength.parse(parameters["CONTENT_LENGTH"]) {
        case .length(let length): declared = length
        case .absent: declared = nil
        case .invalid:
            let reusable = consumeBody(request, bodyReader: bodyReader)
            return (
                .rejected(
                    .malformed(reason: "CONTENT_LENGTH is not a decimal number"),
                    parameters: parameters,
                    connectionReusable: reusable
                ), method
            )
        }
        switch bodyReader.read(declaredLength: declared, from: request) {
        case .complete(let body):
            return (.request(FastCGIRequest(parameters: parameters, body: body)), method)
        case .rejected(let rejection, let reusable):
            return (.rejected(rejection, parameters: parameters, connectionReusable: reusable), method)
        case .connectionFailed(let streamError):
            return (.connectionFailed(streamError: streamError), method)
        }
    }

    /// Reads and discards whatever body a refused request has; true if the connection can be
    /// reused.
    private func consumeBody(_ request: LibFCGIRequest, bodyReader: BodyReader) -> Bool {
        if case .finished = bodyReader.discard(from: request, alreadyRead: 0) { return true }
        return false
    }

    /// Asks the handler to answer a refused request and writes the answer; true if the
    /// connection failed.
    private func answer(
        rejection: FastCGIRequestRejection,
        parameters: [String: String],
        headRequest: Bool,
        _ request: LibFCGIRequest,
        handler: any FastCGIRequestHandler,
        logger: Logger
    ) -> Bool {
        let response = handler.respond(toRejected: rejection, parameters: parameters)
        let failed = !write(response, headRequest: headRequest, to: request, logger: logger)
        core.requestsServed.add(1, ordering: .relaxed)
        core.requestsRejected.add(1, ordering: .relaxed)
        logger.info(
            "FastCGI request refused",
            metadata: ["fastcgi.rejection": "\(rejection)", "fastcgi.status": "\(response.status)"]
        )
        return failed
    }

    /// Writes the response (for a HEAD request, without its body); false when the connection
    /// failed.
    private func write(
        _ response: FastCGIResponse,
        headRequest: Bool,
        to request: LibFCGIRequest,
        logger: Logger
    ) -> Bool {
        switch ResponseEncoder.encodeHead(response, headRequest: headRequest) {
        case .success(let head):
            var ok = head.bytes.withUnsafeBytes { request.writeOutput($0) }
            if ok && head.allowsBody && !response.body.isEmpty {
                ok = response.body.withUnsafeBytes { request.writeOutput($0) }
            }
            if !ok { logger.info("the web server connection failed while the response was written") }
            return ok
        case .failure(let problem):
            logger.error(
                "the handler's response cannot be written as HTTP; answering 500 instead",
                metadata: ["fastcgi.problem": "\(problem)"]
            )
            return ResponseEncoder.internalErrorHead.withUnsafeBytes { request.writeOutput($0) }
        }
    }
}
