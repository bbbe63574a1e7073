/// Bounds on what the parser accepts, so that hostile input costs a bounded amount of memory
/// and time and can never exhaust the stack (RFC 8259 §9 lets a parser set such limits).
public struct JSONLimits: Sendable, Hashable {
    /// The deepest nesting any caller may ask for. Values are recursive structures: equality,
    /// hashing, serialization and deallocation walk them recursively, so depth stays small
    /// enough for a worker thread's stack whatever a configuration says.
    public static let depthCeiling = 256

    /// Longest accepted input, in bytes; longer input is refused with ``JSONError/Code/tooLarge``
    /// before any parsing.
    public var maxBytes: Int
    /// Deepest accepted nesting of arrays and objects: `[]` is depth 1, `[[]]` depth 2, a bare
    /// scalar depth 0. Deeper input fails with ``JSONError/Code/tooDeep``. Clamped to
    /// ``depthCeiling``.
    public var maxDepth: Int {
        get { _maxDepth }
        set { _maxDepth = min(max(newValue, 0), Self.depthCeiling) }
    }
    /// Longest accepted string (member names included), in UTF-8 bytes after unescaping;
    /// `nil` leaves strings bounded only by ``maxBytes``.
    public var maxStringBytes: Int?

    private var _maxDepth: Int

    /// Limits for a document; every parameter has the default of ``default``.
    public init(maxBytes: Int = 1 << 20, maxDepth: Int = 32, maxStringBytes: Int? = nil) {
        self.maxBytes = maxBytes
        self._maxDepth = min(max(maxDepth, 0), Self.depthCeiling)
        self.maxStringBytes = maxStringBytes
    }

    /// 1 MiB of input, 32 levels of nesting, strings bounded only by the input size.
    public static let `default` = JSONLimits()
}
