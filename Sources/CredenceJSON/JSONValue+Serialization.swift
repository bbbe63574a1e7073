/// Rendering values as compact JSON text, for response bodies, JWKs and JWS payloads.
extension JSONValue: CustomStringConvertible {
    /// The compact UTF-8 JSON text: no insignificant whitespace, only the escapes RFC 8259 §7
    /// requires, numbers exactly as kept. With `sortedKeys`, every object's members are ordered
    /// by the code points of their names, which is the RFC 7638 §3 thumbprint input.
    public func serialized(sortedKeys: Bool = false) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(128)
        JSONWriter.append(self, to: &out, sortedKeys: sortedKeys)
        return out
    }

    /// Appends the compact JSON text to a buffer, for building larger outputs without copies.
    public func serialize(into buffer: inout [UInt8], sortedKeys: Bool = false) {
        JSONWriter.append(self, to: &buffer, sortedKeys: sortedKeys)
    }

    /// The compact JSON text as a `String` (see ``serialized(sortedKeys:)``).
    public func serializedString(sortedKeys: Bool = false) -> String {
        String(decoding: serialized(sortedKeys: sortedKeys), as: UTF8.self)
    }

    /// The compact JSON text, for printing.
    public var description: String { serializedString() }
}

/// The same renderings for an object on its own.
extension JSONObject {
    /// The compact UTF-8 JSON text (see ``JSONValue/serialized(sortedKeys:)``).
    public func serialized(sortedKeys: Bool = false) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(128)
        JSONWriter.appendObject(self, to: &out, sortedKeys: sortedKeys)
        return out
    }

    /// The compact JSON text as a `String`.
    public func serializedString(sortedKeys: Bool = false) -> String {
        String(decoding: serialized(sortedKeys: sortedKeys), as: UTF8.self)
    }
}
