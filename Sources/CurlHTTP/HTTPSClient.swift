internal import CCurl
import Foundation

/// A blocking HTTPS GET over libcurl for the thread-per-request responder: the calling worker
/// thread waits for the answer, bounded by the configured timeouts and body size.
///
/// Policy, fixed here rather than configurable so that no caller can weaken it:
/// - `https` only, for the request and for any redirect; redirects are never followed (a 3xx is
///   ``HTTPSClientError/Code/unexpectedStatus``), so an allowed host cannot send the fetch elsewhere;
/// - TLS 1.2 or later, the peer's chain and host name always verified;
/// - no proxy unless one is configured (proxy variables of the environment are ignored);
/// - no content coding asked for, so the size limit counts the bytes that arrive;
/// - no cookies, no `.netrc`, no signals (`CURLOPT_NOSIGNAL`: other threads run beside it).
///
/// Each call uses its own libcurl handle, so one client value may be shared by every worker.
public struct HTTPSClient: Sendable {
    /// The limits and trust settings every request uses.
    public let configuration: HTTPSClientConfiguration

    /// Checks the configuration (a readable CA file, positive limits) and readies libcurl.
    public init(configuration: HTTPSClientConfiguration) throws(HTTPSClientError) {
        guard configuration.maxBodyBytes > 0 else {
            throw HTTPSClientError(.invalidConfiguration, "the maximum body size must be positive")
        }
        guard configuration.connectTimeout > .zero, configuration.timeout > .zero else {
            throw HTTPSClientError(.invalidConfiguration, "timeouts must be positive")
        }
        if let caFile = configuration.caFile {
            guard FileManager.default.isReadableFile(atPath: caFile) else {
                throw HTTPSClientError(.invalidConfiguration, "cannot read the CA file \(caFile)")
            }
        }
        guard CurlGlobal.isInitialized else {
            throw HTTPSClientError(.invalidConfiguration, "curl_global_init failed")
        }
        self.configuration = configuration
    }

    /// Fetches `url` (an `https` URL) and returns its `200 OK` answer; any other status, a body
    /// over the limit, a timeout or a TLS failure is an ``HTTPSClientError``.
    ///
    /// - Parameter accept: the `Accept` field value to send, if any.
    public func get(_ url: String, accept: String? = nil) throws(HTTPSClientError) -> HTTPSResponse {
        guard !url.utf8.contains(0) else { throw HTTPSClientError(.invalidURL, "the URL holds a NUL byte") }
        guard url.utf8.count >= 8, url.prefix(8).lowercased() == "https://" else {
            throw HTTPSClientError(.notHTTPS, "only https URLs are fetched")
        }
        guard let handle = EasyHandle() else {
            throw HTTPSClientError(.transferFailure, "curl_easy_init failed")
        }
        let headers = HeaderList(accept.map { ["Accept: \($0)"] } ?? [])
        let sink = ResponseSink(limit: configuration.maxBodyBytes)

        try configure(handle, url: url, headers: headers, sink: sink)
        let result = withExtendedLifetime((headers, sink)) { curl_easy_perform(handle.pointer) }

        guard result == CURLE_OK else {
            throw Self.error(for: result, handle: handle, sink: sink)
        }
        let status = handle.info(CURLINFO_RESPONSE_CODE) ?? 0
        guard status == 200 else {
            throw HTTPSClientError(
                .unexpectedStatus,
                (300..<400).contains(status)
                    ? "the server answered \(status) (redirects are not followed)" : "the server answered \(status)",
                httpStatus: status
            )
        }
        return HTTPSResponse(
            status: status,
            contentType: handle.info(string: CURLINFO_CONTENT_TYPE),
            body: sink.body,
            maxAge: CacheControl.maxAge(handle.headerValues("Cache-Control"))
        )
    }

    private func configure(
        _ handle: EasyHandle,
        url: String,
        headers: HeaderList,
        sink: ResponseSink
    ) throws(HTTPSClientError) {
        var failures: [String] = []
        func check(_ code: CURLcode, _ what: String) {
            if code != CURLE_OK { failures.append(what) }
        }
        check(handle.set(CURLOPT_URL, url), "URL")
        check(handle.set(CURLOPT_PROTOCOLS_STR, "https"), "PROTOCOLS_STR")
        check(handle.set(CURLOPT_REDIR_PROTOCOLS_STR, "https"), "REDIR_PROTOCOLS_STR")
        check(handle.set(CURLOPT_FOLLOWLOCATION, 0), "FOLLOWLOCATION")
        check(handle.set(CURLOPT_MAXREDIRS, 0), "MAXREDIRS")
        check(handle.set(CURLOPT_HTTPGET, 1), "HTTPGET")
        check(handle.set(CURLOPT_NOSIGNAL, 1), "NOSIGNAL")
        check(handle.set(CURLOPT_CONNECTTIMEOUT_MS, Self.milliseconds(configuration.connectTimeout)), "CONNECTTIMEOUT")
        check(handle.set(CURLOPT_TIMEOUT_MS, Self.milliseconds(configuration.timeout)), "TIMEOUT")
        check(handle.set(CURLOPT_MAXFILESIZE_LARGE, offset: Int64(configuration.maxBodyBytes)), "MAXFILESIZE")
        check(handle.set(CURLOPT_SSL_VERIFYPEER, 1), "SSL_VERIFYPEER")
        check(handle.set(CURLOPT_SSL_VERIFYHOST, 2), "SSL_VERIFYHOST")
        check(handle.set(CURLOPT_SSLVERSION, CURL_SSLVERSION_TLSv1_2), "SSLVERSION")
        if let caFile = configuration.caFile {
            // Only this bundle: no directory of system CAs beside it.
            check(handle.set(CURLOPT_CAINFO, caFile), "CAINFO")
            check(handle.set(CURLOPT_CAPATH, nil as String?), "CAPATH")
        }
        // "" disables the proxy variables of the environment; a configured proxy replaces them.
        check(handle.set(CURLOPT_PROXY, configuration.proxy ?? ""), "PROXY")
        check(handle.set(CURLOPT_USERAGENT, configuration.userAgent), "USERAGENT")
        check(CCurl_curl_easy_setopt_slist(handle.pointer, CURLOPT_HTTPHEADER, headers.pointer), "HTTPHEADER")
        check(CCurl_curl_easy_setopt_write_callback(handle.pointer, ResponseSink.writeCallback), "WRITEFUNCTION")
        check(
            CCurl_curl_easy_setopt_pointer(
                handle.pointer,
                CURLOPT_WRITEDATA,
                Unmanaged.passUnretained(sink).toOpaque()
            ),
            "WRITEDATA"
        )
        guard failures.isEmpty else {
            throw HTTPSClientError(
                .invalidConfiguration,
                "libcurl refused the option(s) \(failures.joined(separator: ", "))"
            )
        }
    }

    private static func milliseconds(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        return max(1, Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000))
    }

    private static func error(for code: CURLcode, handle: EasyHandle, sink: ResponseSink) -> HTTPSClientError {
        let message = handle.message(for: code)
        switch code {
        case CURLE_WRITE_ERROR where sink.exceeded, CURLE_FILESIZE_EXCEEDED:
            return HTTPSClientError(
                .tooLarge,
                "the body is larger than \(sink.limit) bytes",
                curlMessage: message
            )
        case CURLE_OPERATION_TIMEDOUT:
            return HTTPSClientError(.timeout, "the request timed out", curlMessage: message)
        case CURLE_UNSUPPORTED_PROTOCOL:
            return HTTPSClientError(.notHTTPS, "only https URLs are fetched", curlMessage: message)
        case CURLE_URL_MALFORMAT:
            return HTTPSClientError(.invalidURL, "the URL is malformed", curlMessage: message)
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY, CURLE_COULDNT_CONNECT:
            return HTTPSClientError(.connectFailure, "could not connect", curlMessage: message)
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER,
            CURLE_SSL_ISSUER_ERROR, CURLE_SSL_PINNEDPUBKEYNOTMATCH, CURLE_SSL_INVALIDCERTSTATUS,
            CURLE_SSL_ENGINE_NOTFOUND, CURLE_SSL_ENGINE_SETFAILED, CURLE_SSL_ENGINE_INITFAILED,
            CURLE_USE_SSL_FAILED:
            return HTTPSClientError(.tlsFailure, "the TLS handshake failed", curlMessage: message)
        case CURLE_SSL_CACERT_BADFILE, CURLE_SSL_CRL_BADFILE:
            return HTTPSClientError(.invalidConfiguration, "the CA file is not usable", curlMessage: message)
        default:
            return HTTPSClientError(
                .transferFailure,
                "the transfer failed (curl error \(code.rawValue))",
                curlMessage: message
            )
        }
    }
}
