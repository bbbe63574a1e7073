internal import CCurl

/// Owns one `CURL` easy handle and its error buffer; the only place they are freed.
/// One handle serves one request on one thread and is never shared.
final class EasyHandle {
    /// The libcurl handle, valid until `deinit`.
    let pointer: UnsafeMutableRawPointer
    /// `CURLOPT_ERRORBUFFER`: libcurl writes its message for a failed transfer here.
    private let errorBuffer: UnsafeMutablePointer<CChar>

    init?() {
        guard CurlGlobal.isInitialized, let pointer = curl_easy_init() else { return nil }
        self.pointer = pointer
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        _ = CCurl_curl_easy_setopt_pointer(pointer, CURLOPT_ERRORBUFFER, errorBuffer)
    }

    deinit {
        curl_easy_cleanup(pointer)
        errorBuffer.deallocate()
    }

    /// libcurl's message for the last failure, or its generic text for `code`.
    func message(for code: CURLcode) -> String {
        if errorBuffer.pointee != 0 { return String(cString: errorBuffer) }
        return curl_easy_strerror(code).map { String(cString: $0) } ?? "curl error \(code.rawValue)"
    }

    func set(_ option: CURLoption, _ value: Int) -> CURLcode {
        CCurl_curl_easy_setopt_long(pointer, option, value)
    }

    func set(_ option: CURLoption, offset value: Int64) -> CURLcode {
        CCurl_curl_easy_setopt_offset(pointer, option, curl_off_t(value))
    }

    /// A string option; libcurl copies it (`nil` restores the built-in default).
    func set(_ option: CURLoption, _ value: String?) -> CURLcode {
        guard let value else { return CCurl_curl_easy_setopt_string(pointer, option, nil) }
        return value.withCString { CCurl_curl_easy_setopt_string(pointer, option, $0) }
    }

    /// An integer transfer property after `curl_easy_perform`.
    func info(_ info: CURLINFO) -> Int? {
        var value = 0
        guard CCurl_curl_easy_getinfo_long(pointer, info, &value) == CURLE_OK else { return nil }
        return value
    }

    /// A string transfer property after `curl_easy_perform` (copied out of libcurl's memory).
    func info(string info: CURLINFO) -> String? {
        var value: UnsafePointer<CChar>?
        guard CCurl_curl_easy_getinfo_string(pointer, info, &value) == CURLE_OK, let value else { return nil }
        return String(cString: value)
    }

    /// Every value of the response header field `name` (case-insensitive), in order.
    func headerValues(_ name: String) -> [String] {
        var values: [String] = []
        var index = 0
        while true {
            var header: UnsafeMutablePointer<curl_header>?
            let result = name.withCString {
                curl_easy_header(pointer, $0, index, UInt32(CURLH_HEADER), -1, &header)
            }
            guard result == CURLHE_OK, let header else { break }
            if let value = header.pointee.value { values.append(String(cString: value)) }
            index += 1
            if index >= header.pointee.amount { break }
        }
        return values
    }
}

/// Owns one `curl_slist` (request header lines); freed in `deinit`, after the handle using it.
final class HeaderList {
    private(set) var pointer: UnsafeMutablePointer<curl_slist>?

    init(_ lines: [String]) {
        for line in lines {
            // On failure curl_slist_append returns NULL and leaves the list as it was.
            if let appended = curl_slist_append(pointer, line) { pointer = appended }
        }
    }

    deinit {
        curl_slist_free_all(pointer)
    }
}

/// Collects the body in the write callback and stops the transfer once it exceeds the limit
/// (libcurl's `CURLOPT_MAXFILESIZE` only sees an announced length, not a chunked body).
final class ResponseSink {
    let limit: Int
    var body: [UInt8] = []
    var exceeded = false

    init(limit: Int) { self.limit = limit }

    /// `CURLOPT_WRITEFUNCTION`: returning anything but `size * count` makes libcurl fail the
    /// transfer with `CURLE_WRITE_ERROR`.
    static let writeCallback: CCurl_write_callback = { data, size, count, context in
        guard let context else { return 0 }
        let sink = Unmanaged<ResponseSink>.fromOpaque(context).takeUnretainedValue()
        let length = size * count
        guard sink.body.count + length <= sink.limit else {
            sink.exceeded = true
            return 0
        }
        if length > 0, let data {
            data.withMemoryRebound(to: UInt8.self, capacity: length) {
                sink.body.append(contentsOf: UnsafeBufferPointer(start: $0, count: length))
            }
        }
        return length
    }
}
