import Foundation

/// The `openssl` command-line tool, for tests that make their keys, certificates, CRLs and
/// PKCS#12 files when they run instead of committing them (and so never hold an expired one).
public enum OpenSSLTool {
    /// Where Debian installs it (package `openssl`).
    public static let path = "/usr/bin/openssl"

    /// Whether the tool is installed.
    public static var isAvailable: Bool { FileManager.default.isExecutableFile(atPath: path) }

    /// The failure of one invocation: the arguments it was given.
    public struct Failure: Error, CustomStringConvertible {
        /// The arguments, joined by spaces.
        public let command: String
        /// Its exit status.
        public let status: Int32

        public var description: String { "openssl \(command) exited \(status)" }
    }

    /// Runs `openssl` with `arguments`, its output discarded; throws when it exits non-zero.
    public static func run(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failure(command: arguments.joined(separator: " "), status: process.terminationStatus)
        }
    }
}
