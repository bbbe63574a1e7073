import Yams

/// A strict reader over one YAML mapping of the configuration: it hands out
/// typed values by key, records a problem (with the full key path and line)
/// for every wrong type, and at the end reports every key nobody asked for,
/// so that a typo never silently falls back to a default.
struct YAMLSection {
    private struct Entry {
        var node: Node
        var line: Int?
    }

    let path: String
    private var entries: [String: Entry] = [:]
    private var order: [String] = []
    private var consumed: Set<String> = []

    /// Reads a mapping node; non-mapping nodes and duplicate or non-string keys are problems.
    init(node: Node?, path: String, problems: inout [ConfigurationProblem]) {
        self.path = path
        guard let node else { return }
        guard case .mapping(let mapping) = node else {
            problems.append(
                .init(
                    key: path.isEmpty ? "(file)" : path,
                    message: "must be a mapping of keys to values",
                    line: node.mark?.line
                )
            )
            return
        }
        for (keyNode, valueNode) in mapping {
            guard case .scalar(let scalar) = keyNode else {
                problems.append(
                    .init(key: Self.join(path, "?"), message: "keys must be plain strings", line: keyNode.mark?.line)
                )
                continue
            }
            let key = scalar.string
            if entries[key] != nil {
                problems.append(
                    .init(key: Self.join(path, key), message: "appears more than once", line: keyNode.mark?.line)
                )
                continue
            }
            entries[key] = Entry(node: valueNode, line: keyNode.mark?.line)
            order.append(key)
        }
    }

    static func join(_ path: String, _ key: String) -> String {
        path.isEmpty ? key : "\(path).\(key)"
    }

    func keyPath(_ key: String) -> String { Self.join(path, key) }

    func line(of key: String) -> Int? { entries[key]?.line }

    /// The keys present, in file order: for mappings whose keys are data (role names,
    /// certificate attribute names), read one by one with the typed getters.
    var keys: [String] { order }

    /// Whether the key is present (and not YAML null).
    func contains(_ key: String) -> Bool {
        guard let entry = entries[key] else { return false }
        if case .scalar(let scalar) = entry.node,
            scalar.tag == Tag(.null)
                || (scalar.style == .plain && ["", "~", "null", "Null", "NULL"].contains(scalar.string))
        {
            return false
        }
        return true
    }

    /// A nested mapping; absent → an empty section.
    mutating func section(_ key: String, problems: inout [ConfigurationProblem]) -> YAMLSection {
        consumed.insert(key)
        return YAMLSection(node: contains(key) ? entries[key]?.node : nil, path: keyPath(key), problems: &problems)
    }

    /// A string scalar. Numbers and booleans written without quotes are refused
    /// for string keys only when `strict`; otherwise their text is taken.
    mutating func string(_ key: String, problems: inout [ConfigurationProblem]) -> String? {
        consumed.insert(key)
        guard contains(key), let entry = entries[key] else { return nil }
        guard case .scalar(let scalar) = entry.node else {
            problems.append(.init(key: keyPath(key), message: "must be a string", line: entry.line))
            return nil
        }
        return scalar.string
    }

    /// An integer within `range`.
    mutating func integer(_ key: String, in range: ClosedRange<Int>, problems: inout [ConfigurationProblem]) -> Int? {
        consumed.insert(key)
        guard contains(key), let entry = entries[key] else { return nil }
        guard case .scalar(let scalar) = entry.node, scalar.style == .plain, let value = Int(scalar.string) else {
            problems.append(.init(key: keyPath(key), message: "must be a whole number", line: entry.line))
            return nil
        }
        guard range.contains(value) else {
            problems.append(
                .init(
                    key: keyPath(key),
                    message: "must be between \(range.lowerBound) and \(range.upperBound), got \(value)",
                    line: entry.line
                )
            )
            return nil
        }
        return value
    }

    /// A boolean (`true`/`false` only; YAML 1.1's yes/no/on/off are refused as ambiguous).
    mutating func boolean(_ key: String, problems: inout [ConfigurationProblem]) -> Bool? {
        consumed.insert(key)
        guard contains(key), let entry = entries[key] else { return nil }
        guard case .scalar(let scalar) = entry.node, scalar.style == .plain else {
            problems.append(.init(key: keyPath(key), message: "must be true or false", line: entry.line))
            return nil
        }
        switch scalar.string {
        case "true": return true
        case "false": return false
        default:
            problems.append(.init(key: keyPath(key), message: "must be true or false", line: entry.line))
            return nil
        }
    }

    /// A list of strings.
    mutating func stringList(_ key: String, problems: inout [ConfigurationProblem]) -> [String]? {
        consumed.insert(key)
        guard contains(key), let entry = entries[key] else { return nil }
        guard case .sequence(let sequence) = entry.node else {
            problems.append(.init(key: keyPath(key), message: "must be a list of strings", line: entry.line))
            return nil
        }
        var values: [String] = []
        for (index, item) in sequence.enumerated() {
            guard case .scalar(let scalar) = item else {
                problems.append(
                    .init(key: "\(keyPath(key))[\(index)]", message: "must be a string", line: item.mark?.line)
                )
                continue
            }
            values.append(scalar.string)
        }
        return values
    }

    /// The raw nodes of a list, for lists of mappings.
    mutating func list(_ key: String, problems: inout [ConfigurationProblem]) -> [Node]? {
        consumed.insert(key)
        guard contains(key), let entry = entries[key] else { return nil }
        guard case .sequence(let sequence) = entry.node else {
            problems.append(.init(key: keyPath(key), message: "must be a list", line: entry.line))
            return nil
        }
        return Array(sequence)
    }

    /// A problem with the value of `key`, with its full path and line.
    func problem(_ key: String, _ message: String) -> ConfigurationProblem {
        ConfigurationProblem(key: keyPath(key), message: message, line: line(of: key))
    }

    /// An https URL usable as an issuer or base URL (RFC 8414 §2 rules).
    mutating func issuerURL(_ key: String, problems: inout [ConfigurationProblem]) -> IssuerURL? {
        guard let text = string(key, problems: &problems) else { return nil }
        switch IssuerURL.parse(text) {
        case .success(let value): return value
        case .failure(let invalid):
            problems.append(problem(key, invalid.reason))
            return nil
        }
    }

    /// Records every key present that no reader asked for.
    func reportUnknownKeys(problems: inout [ConfigurationProblem]) {
        for key in order where !consumed.contains(key) {
            problems.append(.init(key: keyPath(key), message: "unknown key", line: entries[key]?.line))
        }
    }
}
