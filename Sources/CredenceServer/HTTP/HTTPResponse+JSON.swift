import CredenceCore
import CredenceJSON

extension HTTPResponse {
    /// A JSON response. `noStore` adds `Cache-Control: no-store` and
    /// `Pragma: no-cache` (RFC 6749 §5.1), required on anything carrying a
    /// secret or a token.
    public static func json(
        _ value: JSONValue,
        status: Int = 200,
        noStore: Bool = true,
        contentType: String = "application/json",
        headers extra: [HTTPHeaderField] = []
    ) -> HTTPResponse {
        var headers = [HTTPHeaderField(name: "Content-Type", value: contentType)]
        if noStore {
            headers.append(HTTPHeaderField(name: "Cache-Control", value: "no-store"))
            headers.append(HTTPHeaderField(name: "Pragma", value: "no-cache"))
        }
        return HTTPResponse(status: status, headers: headers + extra, body: value.serialized())
    }

    /// The body of an OAuth error (RFC 6749 §5.2): `error` and
    /// `error_description`, with the error's status and headers; never cached.
    public static func error(_ error: OAuthError) -> HTTPResponse {
        var object: JSONObject = ["error": .string(error.code)]
        if let description = error.errorDescription { object["error_description"] = .string(description) }
        return .json(.object(object), status: error.status, headers: error.headers)
    }
}
