/// A configuration value that must never appear in a log line, an error
/// message or `dump` output (a database password, the key-encryption key).
public struct Secret<Value: Sendable & Hashable>: Sendable, Hashable, CustomStringConvertible,
    CustomDebugStringConvertible, CustomReflectable
{
    /// The secret itself; read it only where it is used.
    public let revealed: Value

    /// Wraps a secret value.
    public init(_ value: Value) { self.revealed = value }

    public var description: String { "<redacted>" }
    public var debugDescription: String { "<redacted>" }
    public var customMirror: Mirror { Mirror(self, children: []) }
}
