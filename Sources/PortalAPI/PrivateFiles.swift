import Foundation

/// Files only this user may read: the state folder holds the embedded portal (with its
/// enrollment key), journals, history and inventory records. Folders are 0700 and files 0600,
/// also after an atomic rewrite, whatever the process's umask.
public enum PrivateFiles {
    /// Creates `folder` (and missing parents) as 0700, or tightens it to 0700 if it exists.
    public static func createFolder(_ folder: URL) throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        guard chmod(folder.path, 0o700) == 0 else { throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: folder.path]) }
    }

    /// Replaces `url` with `data` in one step (a reader sees the old file or the new one), as 0600.
    /// `privateFolder`: the folder is Roomkeeper's own, created or tightened to 0700; else (a
    /// report written where the operator said) it must exist and is left as it is.
    public static func write(_ data: Data, to url: URL, privateFolder: Bool = true) throws {
        if privateFolder { try createFolder(url.deletingLastPathComponent()) }
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).tmp")
        let descriptor = open(temporary.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: temporary.path]) }
        var failed = false
        data.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = Foundation.write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if written <= 0 {
                    failed = true
                    return
                }
                offset += written
            }
        }
        if !failed, fsync(descriptor) != 0 { failed = true }
        close(descriptor)
        guard !failed, rename(temporary.path, url.path) == 0 else {
            unlink(temporary.path)
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: url.path])
        }
    }

    /// Creates an empty 0600 file at `url` if none is there, and tightens an existing one to 0600.
    public static func touch(_ url: URL) throws {
        try createFolder(url.deletingLastPathComponent())
        let descriptor = open(url.path, O_WRONLY | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: url.path]) }
        defer { close(descriptor) }
        guard fchmod(descriptor, 0o600) == 0 else { throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: url.path]) }
    }
}

extension FileHandle {
    /// The file's bytes, refusing a file larger than `limit`: nothing a path points at can exhaust memory.
    public static func readBounded(path: String, limit: Int) throws -> Data {
        let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        let data = try handle.read(upToCount: limit + 1) ?? Data()
        guard data.count <= limit else { throw CocoaError(.fileReadTooLarge) }
        return data
    }
}

/// A file that holds a secret (a token, a password, a private key, a webhook URL), read as
/// OpenSSH reads a private key: refused when other users may read it, or when it is this user's
/// own and its group may (a file owned by root and shared with this user's group, as Kubernetes
/// mounts a Secret with `fsGroup`, is allowed). Bounded: nothing a path points at exhausts memory.
public enum SecretFile {
    public struct Refused: Error, CustomStringConvertible {
        public var path: String
        public var problem: String
        public var description: String { "\(path) \(problem)" }
    }

    /// Whether the file at `path` is private enough to hold a secret; throws `Refused` if not.
    public static func checkPermissions(_ path: String) throws {
        var status = stat()
        guard stat(path, &status) == 0 else { throw Refused(path: path, problem: "cannot be read") }
        let mode = Int(status.st_mode) & 0o777
        let exposed = status.st_uid == getuid() ? mode & 0o077 : mode & 0o007
        guard exposed == 0 else {
            throw Refused(
                path: path,
                problem: "holds a secret but other users may read it (mode \(String(mode, radix: 8))); "
                    + "make it readable by its owner only (chmod 600 \(path)), as ssh requires of a private key")
        }
    }

    /// The secret in the file at `path`, trimmed of surrounding white space.
    public static func read(_ path: String, limit: Int = 64 << 10) throws -> String {
        try checkPermissions(path)
        let data: Data
        do {
            data = try FileHandle.readBounded(path: path, limit: limit)
        } catch CocoaError.fileReadTooLarge {
            throw Refused(path: path, problem: "is larger than any secret (\(limit >> 10) KiB)")
        } catch {
            throw Refused(path: path, problem: "cannot be read")
        }
        guard let text = String(data: data, encoding: .utf8) else { throw Refused(path: path, problem: "is not UTF-8 text") }
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
