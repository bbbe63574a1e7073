import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file the configuration names (the configuration itself, the key-encryption key, the CA
/// bundle) as read from disk, with its permission bits, so that a key file open to everyone
/// can be refused as ssh refuses a private key.
public struct ConfigurationFileContents: Sendable {
    /// The file's bytes.
    public var bytes: [UInt8]
    /// The permission bits (`st_mode & 0o7777`), or `nil` when the reader has none (tests'
    /// in-memory files), in which case no permission rule is checked.
    public var permissions: UInt16?

    /// Contents as read.
    public init(bytes: [UInt8], permissions: UInt16? = nil) {
        self.bytes = bytes
        self.permissions = permissions
    }
}

/// Why a file named by the configuration could not be read, in the operating system's words
/// ("No such file or directory", "Permission denied"), so `check-config` says why.
public struct ConfigurationFileError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The reason (`strerror` text, or what else was wrong).
    public var reason: String

    /// An error with its reason.
    public init(reason: String) {
        self.reason = reason
    }

    public var description: String { reason }
}

/// Reading the files a configuration names from the file system.
public enum ConfigurationFiles {
    /// Reads a regular file whole with its permission bits, taken from the open descriptor (so
    /// both describe the same file), refusing one larger than `maximumBytes`.
    public static func read(
        _ path: String,
        maximumBytes: Int = 16 << 20
    ) -> Result<ConfigurationFileContents, ConfigurationFileError> {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return .failure(systemError()) }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { return .failure(systemError()) }
        guard (status.st_mode & S_IFMT) == S_IFREG else {
            return .failure(ConfigurationFileError(reason: "not a regular file"))
        }
        guard Int(status.st_size) <= maximumBytes else {
            return .failure(ConfigurationFileError(reason: "larger than \(maximumBytes) bytes"))
        }
        // One buffer of the announced size (plus one byte to notice growth), read in place: no
        // intermediate copies of what may be key material.
        let capacity = Int(status.st_size) + 1
        var bytes = [UInt8](repeating: 0, count: capacity)
        var filled = 0
        while filled < capacity {
            let count = bytes.withUnsafeMutableBytes { buffer in
                systemRead(descriptor, buffer.baseAddress! + filled, capacity - filled)
            }
            if count < 0 {
                if errno == EINTR { continue }
                return .failure(systemError())
            }
            if count == 0 { break }
            filled += count
        }
        guard filled < capacity else {
            return .failure(ConfigurationFileError(reason: "the file changed while it was read"))
        }
        bytes.removeLast(capacity - filled)
        return .success(ConfigurationFileContents(bytes: bytes, permissions: UInt16(status.st_mode & 0o7777)))
    }

    private static func systemRead(_ descriptor: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int {
        #if canImport(Glibc)
        Glibc.read(descriptor, buffer, count)
        #else
        Darwin.read(descriptor, buffer, count)
        #endif
    }

    private static func systemError() -> ConfigurationFileError {
        ConfigurationFileError(reason: String(cString: strerror(errno)))
    }
}
