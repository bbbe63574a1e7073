/// Entry points of the strict RFC 8259 parser.
extension JSONValue {
    /// Parses one JSON document strictly (RFC 8259): no comments, trailing commas, leading
    /// zeros, NaN, byte order mark, raw control characters, invalid UTF-8, lone surrogates or
    /// data after the value; a repeated member name anywhere is ``JSONError/Code/duplicateMember``
    /// (RFC 7515 §5.2). Nesting and size are bounded by `limits`, and nesting never uses stack.
    public static func parse(
        _ bytes: some Collection<UInt8>,
        limits: JSONLimits = .default
    ) throws(JSONError) -> JSONValue {
        if let result = bytes.withContiguousStorageIfAvailable({ buffer in
            Result { () throws(JSONError) in try JSONParser.parse(buffer, limits: limits) }
        }) {
            return try result.get()
        }
        // Check the size before copying, so an oversize non-contiguous input costs nothing.
        guard bytes.count <= limits.maxBytes else {
            throw .tooLarge("input longer than \(limits.maxBytes) bytes", at: limits.maxBytes)
        }
        let copy = Array(bytes)
        return try copy.withUnsafeBufferPointer { buffer in
            Result { () throws(JSONError) in try JSONParser.parse(buffer, limits: limits) }
        }.get()
    }

    /// Parses the UTF-8 text of a string, with the same rules.
    public static func parse(_ text: String, limits: JSONLimits = .default) throws(JSONError) -> JSONValue {
        var text = text
        return try text.withUTF8 { buffer in
            Result { () throws(JSONError) in try JSONParser.parse(buffer, limits: limits) }
        }.get()
    }
}

/// Entry points for documents that must be objects, such as a JOSE header (RFC 7515 §4) or a
/// JWT claims set (RFC 7519 §7.2).
extension JSONObject {
    /// Parses a document as ``JSONValue`` does and requires it to be an object; anything else is
    /// ``JSONError/Code/invalidSyntax``.
    public static func parse(
        _ bytes: some Collection<UInt8>,
        limits: JSONLimits = .default
    ) throws(JSONError) -> JSONObject {
        try requireObject(JSONValue.parse(bytes, limits: limits))
    }

    /// Parses the UTF-8 text of a string and requires an object.
    public static func parse(_ text: String, limits: JSONLimits = .default) throws(JSONError) -> JSONObject {
        try requireObject(JSONValue.parse(text, limits: limits))
    }

    private static func requireObject(_ value: JSONValue) throws(JSONError) -> JSONObject {
        guard case .object(let object) = value else {
            throw .invalidSyntax("expected an object", at: 0)
        }
        return object
    }
}
