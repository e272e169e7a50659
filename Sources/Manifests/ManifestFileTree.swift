import Foundation

/// Where manifest files come from: a folder on disk, or a commit read from git's object
/// database. Paths are relative to the repository root and use '/'.
public protocol ManifestFileTree: Sendable {
    /// Every `*.yaml` and `*.yml` file, recursively, sorted by path.
    func yamlFiles() throws -> [String]
    /// The bytes of one file listed by `yamlFiles()`.
    func contents(of path: String) throws -> [UInt8]
}

/// What one manifest repository may hold, however it is read: far above any real tenant's
/// manifests, low enough that a hostile tree (one large blob named a thousand times, a folder
/// nested ten thousand deep) is refused before it costs gigabytes or minutes.
public enum RepositoryLimits {
    public static let maximumFiles = 20_000
    /// All `*.yaml` and `*.yml` files together, counting a file named twice twice.
    public static let maximumTotalBytes = 64 << 20
    public static let maximumFolderDepth = 32

    /// The message for a tree past one of the limits.
    public static func exceeded(_ what: String) -> String {
        "the manifests hold \(what); Roomkeeper reads at most \(maximumFiles) files and \(maximumTotalBytes >> 20) MiB, "
            + "in folders at most \(maximumFolderDepth) deep"
    }
}

/// A manifest tree on disk, read as it is (for trying changes before committing them).
///
/// Hidden files and folders (`.git`, `.github`) are skipped, and symbolic links are not followed,
/// so a link cannot pull in files from outside the repository.
public struct DirectoryTree: ManifestFileTree {
    public let root: URL

    public init(root: URL) {
        self.root = root.standardizedFileURL
    }

    public func yamlFiles() throws -> [String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw DirectoryTreeError.notADirectory(root.path)
        }
        var files: [String] = []
        var totalBytes = 0
        var pending = [(path: "", depth: 0)]
        while let (relative, depth) = pending.popLast() {
            let folder = relative.isEmpty ? root : root.appendingPathComponent(relative)
            let names = try FileManager.default.contentsOfDirectory(atPath: folder.path)
            for name in names where !name.hasPrefix(".") {
                let path = relative.isEmpty ? name : "\(relative)/\(name)"
                // lstat, not stat: a symbolic link is skipped, never followed.
                var status = stat()
                guard lstat(absolute(path), &status) == 0 else { continue }
                let type = status.st_mode & S_IFMT
                if type == S_IFDIR {
                    guard depth < RepositoryLimits.maximumFolderDepth else {
                        throw DirectoryTreeError.overLimit(RepositoryLimits.exceeded("folders nested deeper than \(depth) ('\(path)')"))
                    }
                    pending.append((path, depth + 1))
                } else if type == S_IFREG, name.hasSuffix(".yaml") || name.hasSuffix(".yml") {
                    files.append(path)
                    totalBytes += Int(status.st_size)
                    guard files.count <= RepositoryLimits.maximumFiles, totalBytes <= RepositoryLimits.maximumTotalBytes else {
                        throw DirectoryTreeError.overLimit(RepositoryLimits.exceeded("over \(files.count) files or \(totalBytes >> 20) MiB"))
                    }
                }
            }
        }
        return files.sorted()
    }

    public func contents(of path: String) throws -> [UInt8] {
        let descriptor = open(absolute(path), O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard descriptor >= 0 else { throw CocoaError(.fileReadNoSuchFile, userInfo: [NSFilePathErrorKey: path]) }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw CocoaError(.fileReadUnknown, userInfo: [NSFilePathErrorKey: path]) }
        let size = Int(status.st_size)
        if size > ManifestLoader.maximumFileSize { throw DirectoryTreeError.tooLarge(path, size) }
        // Read to the end, but never past the limit: the file may grow while it is read.
        var bytes = [UInt8](repeating: 0, count: size + 1)
        var filled = 0
        while filled < bytes.count {
            let count = bytes.withUnsafeMutableBytes { buffer in read(descriptor, buffer.baseAddress! + filled, buffer.count - filled) }
            if count < 0 { throw CocoaError(.fileReadUnknown, userInfo: [NSFilePathErrorKey: path]) }
            if count == 0 { break }
            filled += count
            if filled == bytes.count, filled <= ManifestLoader.maximumFileSize { bytes += [UInt8](repeating: 0, count: 64 << 10) }
        }
        if filled > ManifestLoader.maximumFileSize { throw DirectoryTreeError.tooLarge(path, filled) }
        bytes.removeSubrange(filled...)
        return bytes
    }

    private func absolute(_ path: String) -> String { root.path + "/" + path }
}

/// Why a folder could not be read as a manifest tree.
public enum DirectoryTreeError: Error, Equatable, CustomStringConvertible {
    case notADirectory(String)
    case tooLarge(String, Int)
    case overLimit(String)

    public var description: String {
        switch self {
        case .notADirectory(let path): "'\(path)' is not a folder"
        case .tooLarge(let path, let size): "'\(path)' is \(size) bytes, over the per-file limit"
        case .overLimit(let message): message
        }
    }
}

/// A tree read once into memory: its file list and every file's bytes (or why a file could not
/// be read). The revision digest and the loader then share one read of each file, instead of
/// each reading the disk.
public struct ReadTree: ManifestFileTree {
    private let paths: [String]
    private let files: [String: Result<[UInt8], any Error>]

    /// Reads `tree`; throws what listing it throws.
    public init(reading tree: some ManifestFileTree) throws {
        paths = try tree.yamlFiles()
        var files: [String: Result<[UInt8], any Error>] = [:]
        for path in paths { files[path] = Result { try tree.contents(of: path) } }
        self.files = files
    }

    public func yamlFiles() throws -> [String] { paths }

    public func contents(of path: String) throws -> [UInt8] {
        guard let file = files[path] else { throw CocoaError(.fileNoSuchFile) }
        return try file.get()
    }
}
