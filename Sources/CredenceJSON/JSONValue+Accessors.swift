/// Typed reads that return `nil` on a type mismatch, so callers can validate a document with
/// `guard let` instead of nested `switch` statements.
extension JSONValue {
    /// Whether the value is `null`.
    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// The boolean, if the value is `true` or `false`.
    public var boolValue: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }

    /// The number, if the value is a number.
    public var numberValue: JSONNumber? {
        if case .number(let value) = self { return value }
        return nil
    }

    /// The integer, if the value is a number whose value is an integer within `Int64`
    /// (see ``JSONNumber/int64Value``).
    public var int64Value: Int64? { numberValue?.int64Value }

    /// The integer, if the value is a number whose value is an integer within `Int`.
    public var intValue: Int? { numberValue?.intValue }

    /// The nearest finite `Double`, if the value is a number (see ``JSONNumber/doubleValue``).
    public var doubleValue: Double? { numberValue?.doubleValue }

    /// The string, if the value is a string.
    public var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    /// The elements, if the value is an array.
    public var arrayValue: [JSONValue]? {
        if case .array(let value) = self { return value }
        return nil
    }

    /// The strings, if the value is an array whose elements are all strings; the shape of
    /// `crit` (RFC 7515 §4.1.11), `aud` in its array form (RFC 7519 §4.1.3), `redirect_uris`.
    public var stringArrayValue: [String]? {
        guard case .array(let values) = self else { return nil }
        var strings: [String] = []
        strings.reserveCapacity(values.count)
        for value in values {
            guard case .string(let string) = value else { return nil }
            strings.append(string)
        }
        return strings
    }

    /// The object, if the value is an object.
    public var objectValue: JSONObject? {
        if case .object(let value) = self { return value }
        return nil
    }

    /// The member with this name, if the value is an object that has one.
    public subscript(name: String) -> JSONValue? {
        if case .object(let object) = self { return object[name] }
        return nil
    }

    /// The element at this position, if the value is an array long enough; never traps.
    public subscript(index: Int) -> JSONValue? {
        if case .array(let values) = self, values.indices.contains(index) { return values[index] }
        return nil
    }
}

/// Wrapping Swift values without naming the case, for building responses.
extension JSONValue {
    /// A string value.
    public init(_ value: String) { self = .string(value) }

    /// A boolean value.
    public init(_ value: Bool) { self = .bool(value) }

    /// An integer value.
    public init(_ value: Int) { self = .number(JSONNumber(value)) }

    /// An integer value.
    public init(_ value: Int64) { self = .number(JSONNumber(value)) }

    /// A number, or `nil` for NaN and the infinities, which JSON cannot express.
    public init?(_ value: Double) {
        guard let number = JSONNumber(value) else { return nil }
        self = .number(number)
    }

    /// An array of strings, the common shape of `grant_types`, `redirect_uris` and the like.
    public init(_ strings: [String]) { self = .array(strings.map(JSONValue.string)) }
}
