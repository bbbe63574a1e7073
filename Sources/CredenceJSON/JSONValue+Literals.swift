/// Literal conformances, so responses and fixtures can be written as
/// `["error": "invalid_request", "expires_in": 300]`.
extension JSONValue: ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByFloatLiteral, ExpressibleByStringLiteral, ExpressibleByStringInterpolation,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral
{
    /// `true` or `false`.
    public init(booleanLiteral value: Bool) { self = .bool(value) }

    /// An integer.
    public init(integerLiteral value: Int64) { self = .number(JSONNumber(value)) }

    /// A finite floating-point literal.
    public init(floatLiteral value: Double) { self = .number(JSONNumber(floatLiteral: value)) }

    /// A string.
    public init(stringLiteral value: String) { self = .string(value) }

    /// An array.
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }

    /// An object; a repeated name in a literal is a programming error and stops the program.
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        var object = JSONObject()
        for (name, value) in elements {
            precondition(!object.contains(name), "duplicate member name in a JSONValue literal")
            object.appendUnchecked(name, value)
        }
        self = .object(object)
    }
}
