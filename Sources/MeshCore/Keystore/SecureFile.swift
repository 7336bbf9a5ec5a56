#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The few POSIX file operations the keystore needs, with the safety properties spelled out:
/// - secret files are created `0600` from the first byte (no chmod race);
/// - writes go to a temporary file that is fsynced and then hard-linked into place, so an existing file is
///   never overwritten and a crash leaves either the old state or the complete new file;
/// - reads refuse symlinks, non-regular files, oversize files and files other users can read.
public enum SecureFile {
    /// Creates `path` with `contents`, failing if it exists.
    public static func createExclusive(at path: String, contents: [UInt8], mode: mode_t = 0o600) throws {
        let temporary = path + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode)
        guard fd >= 0 else { throw ioError("cannot create \(temporary)") }
        defer { unlink(temporary) }
        var written = 0
        while written < contents.count {
            let result = contents.withUnsafeBytes { raw in
                write(fd, raw.baseAddress! + written, raw.count - written)
            }
            if result < 0 {
                if errno == EINTR { continue }
                close(fd)
                throw ioError("cannot write \(temporary)")
            }
            written += result
        }
        guard fsync(fd) == 0 else {
            close(fd)
            throw ioError("cannot sync \(temporary)")
        }
        close(fd)
        if link(temporary, path) != 0 {
            if errno == EEXIST {
                throw KeystoreError(.alreadyExists, "\(path) already exists; refusing to overwrite it")
            }
            throw ioError("cannot move the new file to \(path)")
        }
        syncDirectory(of: path)
    }

    /// Replaces `path` (or creates it) with `contents` atomically: a reader sees the old file or the complete new
    /// one, never a mix. For secrets that rotate (the API token); keys are never replaced, so they use
    /// `createExclusive`.
    public static func replace(at path: String, contents: [UInt8], mode: mode_t = 0o600) throws {
        let temporary = path + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode)
        guard fd >= 0 else { throw ioError("cannot create \(temporary)") }
        var written = 0
        while written < contents.count {
            let result = contents.withUnsafeBytes { raw in
                write(fd, raw.baseAddress! + written, raw.count - written)
            }
            if result < 0 {
                if errno == EINTR { continue }
                close(fd)
                unlink(temporary)
                throw ioError("cannot write \(temporary)")
            }
            written += result
        }
        guard fsync(fd) == 0 else {
            close(fd)
            unlink(temporary)
            throw ioError("cannot sync \(temporary)")
        }
        close(fd)
        guard rename(temporary, path) == 0 else {
            unlink(temporary)
            throw ioError("cannot move the new file to \(path)")
        }
        syncDirectory(of: path)
    }

    /// Reads a file that must be private to its owner.
    public static func readPrivate(at path: String, maximumByteCount: Int) throws -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else {
            if errno == ENOENT { throw KeystoreError(.notFound, "\(path) does not exist") }
            if errno == ELOOP { throw KeystoreError(.insecurePermissions, "\(path) is a symbolic link; refusing it") }
            throw ioError("cannot open \(path)")
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw ioError("cannot stat \(path)") }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw KeystoreError(.corrupt, "\(path) is not a regular file")
        }
        let permissions = info.st_mode & 0o777
        guard permissions & 0o077 == 0 else {
            throw KeystoreError(
                .insecurePermissions,
                "\(path) is readable by others (mode \(String(permissions, radix: 8))); run `chmod 600 \(path)` "
                    + "and consider the key exposed if others had access"
            )
        }
        guard Int(info.st_size) <= maximumByteCount else {
            throw KeystoreError(
                .corrupt,
                "\(path) is \(info.st_size) bytes; a valid file is at most \(maximumByteCount)"
            )
        }
        var buffer = [UInt8](repeating: 0, count: maximumByteCount + 1)
        // The caller gets (and zeroes) its own copy below; this buffer never leaves here, so it is zeroed in place.
        defer { secureZero(&buffer) }
        var total = 0
        while total < buffer.count {
            let result = buffer.withUnsafeMutableBytes { raw in read(fd, raw.baseAddress! + total, raw.count - total) }
            if result < 0 {
                if errno == EINTR { continue }
                throw ioError("cannot read \(path)")
            }
            if result == 0 { break }
            total += result
        }
        guard total <= maximumByteCount else {
            throw KeystoreError(.corrupt, "\(path) grew while being read")
        }
        return Array(buffer.prefix(total))
    }

    /// Creates a directory (and parents) with `mode`, leaving existing ones alone.
    public static func makeDirectory(_ path: String, mode: mode_t = 0o700) throws {
        var current = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            current += "/" + component
            if mkdir(current, mode) != 0 && errno != EEXIST {
                throw ioError("cannot create directory \(current)")
            }
        }
    }

    public static func exists(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }

    private static func syncDirectory(of path: String) {
        let directory = path.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
        let fd = open(directory.isEmpty ? "." : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd >= 0 {
            fsync(fd)
            close(fd)
        }
    }

    private static func ioError(_ message: String) -> KeystoreError {
        KeystoreError(.io, "\(message): \(String(cString: strerror(errno)))")
    }
}
