internal import CCurl

/// `curl_global_init` must run once per process before any other libcurl call, and is not
/// guaranteed thread-safe on every build. A Swift global is initialized exactly once, under a
/// lock, on first use, so every thread that touches libcurl goes through this first.
private let globalInitResult: CURLcode = CCurl_curl_global_init_default()

enum CurlGlobal {
    /// Runs `curl_global_init` on first use; whether it succeeded.
    static var isInitialized: Bool { globalInitResult == CURLE_OK }
}
