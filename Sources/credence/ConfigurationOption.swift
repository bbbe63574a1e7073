import ArgumentParser
import CredenceServer
import Foundation
import Logging

/// The `--config` option every subcommand shares, and loading the file with
/// every problem printed by key.
struct ConfigurationOption: ParsableArguments {
    @Option(
        name: .shortAndLong,
        help: ArgumentHelp(
            "Path of the YAML configuration file.",
            discussion: "Defaults to $CREDENCE_CONFIG, then /etc/credence/credence.yaml.",
            valueName: "file"
        )
    )
    var config: String?

    /// The path actually used.
    var path: String {
        config ?? ProcessInfo.processInfo.environment["CREDENCE_CONFIG"] ?? "/etc/credence/credence.yaml"
    }

    /// Loads the configuration or exits with status 78 (EX_CONFIG) after
    /// printing every problem to standard error.
    func load() throws -> CredenceConfiguration {
        do {
            return try CredenceConfiguration.load(path: path)
        } catch {
            FileHandle.standardError.write(Data("credence: \(path): \(error.description)\n".utf8))
            throw ExitCode(78)
        }
    }
}

/// Process-wide logging set-up: logfmt lines on standard error at the configured level.
enum LoggingSetup {
    private static let once: Void = {
        LoggingSystem.bootstrap { label in LogfmtLogHandler.standardError(label: label) }
    }()

    static func bootstrap(level: Logger.Level) -> Logger {
        _ = once
        var logger = Logger(label: "credence")
        logger.logLevel = level
        return logger
    }

    static func logger(_ label: String, level: Logger.Level) -> Logger {
        _ = once
        var logger = Logger(label: label)
        logger.logLevel = level
        return logger
    }
}

/// Prints a line to standard error (command-line diagnostics, not log events).
func printError(_ message: String) {
    FileHandle.standardError.write(Data("credence: \(message)\n".utf8))
}
