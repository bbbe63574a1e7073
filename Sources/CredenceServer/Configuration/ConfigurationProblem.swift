/// One thing wrong with a configuration file, named by its key path so that an
/// operator can fix it without guessing (`database.url: required`).
public struct ConfigurationProblem: Sendable, Hashable, CustomStringConvertible {
    /// The dotted key path (`keys.encryption_key_file`), or `(file)` for the document itself.
    public var key: String
    /// What is wrong and, where it helps, what is expected.
    public var message: String
    /// The line in the file, when known.
    public var line: Int?

    /// Creates a problem report.
    public init(key: String, message: String, line: Int? = nil) {
        self.key = key
        self.message = message
        self.line = line
    }

    public var description: String {
        if let line { return "\(key) (line \(line)): \(message)" }
        return "\(key): \(message)"
    }
}

/// Thrown when a configuration cannot be used; carries every problem found,
/// not just the first, so one run of `credence check-config` lists them all.
public struct ConfigurationError: Error, Sendable, CustomStringConvertible {
    /// Every problem, in file order.
    public var problems: [ConfigurationProblem]

    /// Creates the error from the problems found.
    public init(problems: [ConfigurationProblem]) {
        self.problems = problems
    }

    public var description: String {
        (["configuration has \(problems.count) problem(s):"] + problems.map { "  - \($0)" }).joined(separator: "\n")
    }
}
