import CredenceCore
import Synchronization

/// A `JWKSetFetcher` that serves documents the test puts in it, counts fetches per URL, and
/// fails on demand, so the cache's timing rules can be checked without a network.
public final class InMemoryJWKSetFetcher: JWKSetFetcher, Sendable {
    private struct State {
        var documents: [String: FetchedJWKSetDocument] = [:]
        var failures: [String: RemoteJWKSError] = [:]
        var fetches: [String: Int] = [:]
    }

    private let state = Mutex(State())

    /// Creates a fetcher that knows no URL (every fetch fails with `fetchFailed` until told).
    public init() {}

    /// Serves `body` (with `maxAge`) at `url` from now on, and stops failing there.
    public func serve(_ body: [UInt8], at url: String, maxAge: Int? = nil) {
        state.withLock {
            $0.documents[url] = FetchedJWKSetDocument(body: body, maxAge: maxAge)
            $0.failures[url] = nil
        }
    }

    /// Serves `text` (a JSON document) at `url`.
    public func serve(_ text: String, at url: String, maxAge: Int? = nil) {
        serve(Array(text.utf8), at: url, maxAge: maxAge)
    }

    /// Makes every fetch of `url` fail with `error` until `serve` is called again.
    public func fail(_ url: String, with error: RemoteJWKSError = RemoteJWKSError(.fetchFailed, "switched off")) {
        state.withLock { $0.failures[url] = error }
    }

    /// How many times `url` was fetched (failed fetches included).
    public func fetchCount(_ url: String) -> Int {
        state.withLock { $0.fetches[url] ?? 0 }
    }

    public func fetchJWKSetDocument(from url: RemoteJWKSURL) throws(RemoteJWKSError) -> FetchedJWKSetDocument {
        let outcome: Result<FetchedJWKSetDocument, RemoteJWKSError> = state.withLock { state in
            state.fetches[url.value, default: 0] += 1
            if let failure = state.failures[url.value] { return .failure(failure) }
            guard let document = state.documents[url.value] else {
                return .failure(RemoteJWKSError(.fetchFailed, "the server answered 404"))
            }
            return .success(document)
        }
        return try outcome.get()
    }
}
