/// A JSON object: members in the order they were written or added, each name at most once.
///
/// Unique names are an invariant, not a convention: RFC 7515 §5.2 and RFC 7519 §4 require a
/// JOSE header or claims set with a repeated name to be refused, and a type that cannot hold one
/// makes "which `alg` wins?" unaskable. Names are compared by code points (RFC 8259 §8.3), not
/// by Swift's canonical equivalence.
///
/// Two objects are equal when they have the same members, in any order, as JSON means it
/// (RFC 8259 §4); iteration and serialization keep the order.
public struct JSONObject: Sendable, Hashable, Sequence, CustomStringConvertible {
    /// One member: its name and its value.
    public typealias Element = (name: String, value: JSONValue)

    /// Above this many members, a dictionary of positions makes lookups constant time, so a
    /// hostile object with thousands of members cannot make duplicate checks quadratic.
    static let indexThreshold = 16

    /// Stored as a struct rather than the public tuple: arrays of structs get specialised
    /// copy and destroy code, arrays of tuples go through slow generic runtime paths.
    struct Member: Sendable {
        var name: String
        var value: JSONValue
    }

    private(set) var members: [Member]
    private var index: [CodePointString: Int]?

    /// An object with no members.
    public init() {
        members = []
        index = nil
    }

    /// An object from members whose names are known to be unique, with their index if the
    /// caller built one (it must then map every name to its position).
    init(uniqueMembers members: [Member], index: [CodePointString: Int]?) {
        self.members = members
        self.index = index
        if index == nil && members.count > Self.indexThreshold { rebuildIndex() }
    }

    /// An object with these members in this order; throws ``JSONError/Code/duplicateMember``
    /// if a name appears twice.
    public init(_ members: some Sequence<(String, JSONValue)>) throws(JSONError) {
        self.init()
        for (name, value) in members {
            guard !contains(name) else { throw .duplicateMember(name, at: nil) }
            appendUnchecked(name, value)
        }
    }

    /// The number of members.
    public var count: Int { members.count }

    /// Whether the object has no members.
    public var isEmpty: Bool { members.isEmpty }

    /// The member names, in order.
    public var names: [String] { members.map(\.name) }

    /// The member values, in order.
    public var values: [JSONValue] { members.map(\.value) }

    /// Whether a member has exactly this name.
    public func contains(_ name: String) -> Bool { position(of: name) != nil }

    /// The value of the member with this name, or `nil`; setting a value replaces the member in
    /// place or appends a new one, setting `nil` removes it.
    public subscript(name: String) -> JSONValue? {
        get {
            guard let i = position(of: name) else { return nil }
            return members[i].value
        }
        set {
            if let newValue { updateValue(newValue, forKey: name) } else { removeValue(forKey: name) }
        }
    }

    /// Sets the value of a member, keeping its position if it exists or appending it if not;
    /// returns the value it replaced.
    @discardableResult
    public mutating func updateValue(_ value: JSONValue, forKey name: String) -> JSONValue? {
        if let i = position(of: name) {
            let old = members[i].value
            members[i].value = value
            return old
        }
        appendUnchecked(name, value)
        return nil
    }

    /// Removes the member with this name, keeping the order of the others; returns its value.
    @discardableResult
    public mutating func removeValue(forKey name: String) -> JSONValue? {
        guard let i = position(of: name) else { return nil }
        let old = members.remove(at: i).value
        rebuildIndex()
        return old
    }

    /// Iterates the members in order, as `(name, value)` pairs.
    public func makeIterator() -> Iterator { Iterator(base: members.makeIterator()) }

    /// Yields the members in order.
    public struct Iterator: IteratorProtocol {
        var base: IndexingIterator<[Member]>

        /// The next member, or `nil` after the last.
        public mutating func next() -> Element? {
            guard let member = base.next() else { return nil }
            return (member.name, member.value)
        }
    }

    /// The number of members.
    public var underestimatedCount: Int { members.count }

    /// The compact JSON text of the object.
    public var description: String { JSONValue.object(self).serializedString() }

    // MARK: Internals

    /// Appends a member whose name the caller has checked is not present.
    mutating func appendUnchecked(_ name: String, _ value: JSONValue) {
        members.append(Member(name: name, value: value))
        if index != nil {
            index?[CodePointString(name)] = members.count - 1
        } else if members.count > Self.indexThreshold {
            rebuildIndex()
        }
    }

    private func position(of name: String) -> Int? {
        if let index { return index[CodePointString(name)] }
        for i in members.indices where members[i].name.hasSameCodePoints(as: name) { return i }
        return nil
    }

    private mutating func rebuildIndex() {
        guard members.count > Self.indexThreshold else {
            index = nil
            return
        }
        var index: [CodePointString: Int] = [:]
        index.reserveCapacity(members.count)
        for (i, member) in members.enumerated() { index[CodePointString(member.name)] = i }
        self.index = index
    }

    // MARK: Equality

    /// Equal when both have the same names with equal values, whatever the order.
    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        guard lhs.count == rhs.count else { return false }
        for (i, member) in lhs.members.enumerated() {
            // Fast path: same name at the same position.
            let other = rhs.members[i]
            if other.name.hasSameCodePoints(as: member.name) {
                guard other.value == member.value else { return false }
                continue
            }
            guard let value = rhs[member.name], value == member.value else { return false }
        }
        return true
    }

    /// Hashes the members independently of their order, consistent with ``==(_:_:)``.
    public func hash(into hasher: inout Hasher) {
        var sum = 0
        for member in members {
            var memberHasher = Hasher()
            member.name.hashCodePoints(into: &memberHasher)
            member.value.hash(into: &memberHasher)
            sum &+= memberHasher.finalize()
        }
        hasher.combine(members.count)
        hasher.combine(sum)
    }
}

extension JSONObject: ExpressibleByDictionaryLiteral {
    /// An object written as a literal in code, members in the order written. A repeated name in
    /// a literal is a programming error and stops the program.
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self.init()
        for (name, value) in elements {
            precondition(!contains(name), "duplicate member name in a JSONObject literal")
            appendUnchecked(name, value)
        }
    }
}
