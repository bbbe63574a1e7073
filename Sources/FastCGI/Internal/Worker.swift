import Logging

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// One worker thread's loop: wait for a connection (or the next request on a kept-alive
/// one), read the request through libfcgi, call this thread's handler, write the answer.
/// Nothing a web server (or anyone else) sends can end the loop; only shutdown, or the
/// listening socket itself failing, does.
struct Worker {
    let index: Int
    let core: ServerCore

    private var logger: Logger {
        var logger = core.logger
        logger[metadataKey: "fastcgi.worker"] = "\(index)"
        return logger
    }

    func run() {
        defer {
            core.liveWorkers.subtract(1, ordering: .relaxed)
            core.workersDone.leave()
        }
        let logger = self.logger
        let wake = core.wake.readDescriptor
        let handler = core.makeHandler(index)
        let request = LibFCGIRequest()
        let bodyReader = BodyReader(
            maximumBodyBytes: core.configuration.maxBodyBytes,
            maximumDiscardedBytes: core.configuration.maxDiscardedBodyBytes
        )
        let decoder = ParameterDecoder(maximumBytes: core.configuration.maxParametersBytes)
        var requestsOnConnection = 0

        while true {
            let connection = request.connectionDescriptor
            if connection >= 0 {
                // Between two requests on a kept-alive connection: this worker stays bound to
                // it (libfcgi serves one connection per thread) until the next request, its
                // end, or shutdown.
                core.idleKeptAlive.add(1, ordering: .relaxed)
                let event = ReadinessWaiter.wait(for: connection, wake: wake)
                core.idleKeptAlive.subtract(1, ordering: .relaxed)
                switch event {
                case .ready:
                    break
                case .shutdown:
                    request.closeConnection()
                    continue
                case .failed(let number):
                    logger.error("waiting on a kept-alive connection failed: \(SystemErrorText.describe(number))")
                    request.closeConnection()
                    continue
                }
            } else {
                core.availableWorkers.add(1, ordering: .relaxed)
                guard core.leadership.lead() else {
                    core.availableWorkers.subtract(1, ordering: .relaxed)
                    return
                }
                let event = ReadinessWaiter.wait(for: core.listener.descriptor, wake: wake)
                let accepted = event == .ready ? acceptConnection(logger: logger) : nil
                core.availableWorkers.subtract(1, ordering: .relaxed)
                core.leadership.resign()
                switch event {
                case .shutdown:
                    return
                case .failed(let number):
                    logger.critical("waiting for FastCGI connections failed: \(SystemErrorText.describe(number))")
                    core.beginShutdown(failure: .system(.acceptFailed, "poll failed", errno: number))
                    return
                case .ready:
                    guard let accepted else { continue }
                    request.attach(connection: accepted)
                    requestsOnConnection = 0
                }
            }

            guard request.readNextRequest() else {
                // libfcgi closed the connection: garbage, an abort, an unknown role, a
                // connection closed mid-record, or simply the end of a kept-alive connection.
                // A connection that never carried a request is worth a line in the log.
                if requestsOnConnection == 0 {
                    logger.notice(
                        "closed a FastCGI connection that carried no valid request (garbage, abort or early close)"
                    )
                }
                continue
            }
            requestsOnConnection += 1
            core.busyWorkers.add(1, ordering: .relaxed)
            let mustClose = serve(request, handler: handler, decoder: decoder, bodyReader: bodyReader, logger: logger)
            request.finish(forceClose: mustClose || core.isDraining)
            core.busyWorkers.subtract(1, ordering: .relaxed)
        }
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
        // keepalive makes a crashed or unplugged web-server host release the worker (about
        // 90 s: 60 s idle, then 3 probes 10 s apart). No effect on unix sockets.
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

    /// Serves one request whose parameters libfcgi has read. Returns true when the connection
    /// must be closed afterwards (the body was not consumed, or the connection failed).
    private func serve(
        _ request: LibFCGIRequest,
        handler: any FastCGIRequestHandler,
        decoder: ParameterDecoder,
        bodyReader: BodyReader,
        logger: Logger
    ) -> Bool {
        guard request.role == LibFCGIRequest.responderRole else {
            let rejection = FastCGIRequestRejection.malformed(
                reason: "FastCGI role \(request.role) is not supported; this application is a responder"
            )
            // An authorizer gets no FCGI_STDIN and a filter also gets FCGI_DATA: read nothing
            // more, answer, close.
            _ = answer(rejection: rejection, parameters: [:], request, handler: handler, logger: logger)
            return true
        }
        let parameters: [String: String]
        switch decoder.decode(request) {
        case .rejected(let rejection, let subset):
            let reusable = consumeBody(request, bodyReader: bodyReader)
            return answer(rejection: rejection, parameters: subset, request, handler: handler, logger: logger)
                || !reusable
        case .decoded(let decoded):
            parameters = decoded
        }
        guard let method = parameters["REQUEST_METHOD"], !method.isEmpty else {
            let reusable = consumeBody(request, bodyReader: bodyReader)
            return answer(
                rejection: .malformed(reason: "REQUEST_METHOD is missing"),
                parameters: parameters,
                request,
                handler: handler,
                logger: logger
            ) || !reusable
        }
        let declared: Int?
        switch ContentLength.parse(parameters["CONTENT_LENGTH"]) {
        case .length(let length): declared = length
        case .absent: declared = nil
        case .invalid:
            let reusable = consumeBody(request, bodyReader: bodyReader)
            return answer(
                rejection: .malformed(reason: "CONTENT_LENGTH is not a decimal number"),
                parameters: parameters,
                request,
                handler: handler,
                logger: logger
            ) || !reusable
        }
        switch bodyReader.read(declaredLength: declared, from: request) {
        case .complete(let body):
            let response = handler.respond(to: FastCGIRequest(parameters: parameters, body: body))
            let failed = !write(response, to: request, logger: logger)
            core.requestsServed.add(1, ordering: .relaxed)
            logger.debug(
                "FastCGI request answered",
                metadata: [
                    "fastcgi.method": "\(ParameterDecoder.loggable(method))", "fastcgi.status": "\(response.status)",
                ]
            )
            return failed
        case .rejected(let rejection, let reusable):
            return answer(rejection: rejection, parameters: parameters, request, handler: handler, logger: logger)
                || !reusable
        case .connectionFailed(let streamError):
            logger.info(
                "the web server connection failed while the request body was read; nothing answered",
                metadata: ["fastcgi.stream_error": "\(streamError)"]
            )
            return true
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
        _ request: LibFCGIRequest,
        handler: any FastCGIRequestHandler,
        logger: Logger
    ) -> Bool {
        let response = handler.respond(toRejected: rejection, parameters: parameters)
        let failed = !write(response, to: request, logger: logger)
        core.requestsServed.add(1, ordering: .relaxed)
        core.requestsRejected.add(1, ordering: .relaxed)
        logger.info(
            "FastCGI request refused",
            metadata: ["fastcgi.rejection": "\(rejection)", "fastcgi.status": "\(response.status)"]
        )
        return failed
    }

    /// Writes the response; false when the connection failed.
    private func write(_ response: FastCGIResponse, to request: LibFCGIRequest, logger: Logger) -> Bool {
        switch ResponseEncoder.encodeHead(response) {
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
