import Foundation

/// Where manifest files come from: a folder on disk, or a commit read from git's object
/// database. Paths are relative to the repository root and use '/'.
public protocol ManifestFileTree: Sendable {
    /// Every `*.yaml` and `*.yml` file, recursively, sorted by path.
    func yamlFiles() throws -> [String]
    /// The bytes of one file listed by `yamlFiles()`.
    func contents(of path: String) throws -> [UInt8]
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
        var pending = [""]
        while let relative = pending.popLast() {
            let folder = relative.isEmpty ? root : root.appendingPathComponent(relative)
            let names = try FileManager.default.contentsOfDirectory(atPath: folder.path)
            for name in names where !name.hasPrefix(".") {
                let path = relative.isEmpty ? name : "\(relative)/\(name)"
                let values = try root.appendingPathComponent(path).resourceValues(
                    forKeys: [.isSymbolicLinkKey, .isDirectoryKey, .isRegularFileKey])
                if values.isSymbolicLink == true { continue }
                if values.isDirectory == true {
                    pending.append(path)
                } else if values.isRegularFile == true, name.hasSuffix(".yaml") || name.hasSuffix(".yml") {
                    files.append(path)
                }
            }
        }
        return files.sorted()
    }

    public func contents(of path: String) throws -> [UInt8] {
        let url = root.appendingPathComponent(path)
        let size = (try? url.resourceValues(forKeys: [.fileSizeKey]).fileSize) ?? 0
        if size > ManifestLoader.maximumFileSize { throw DirectoryTreeError.tooLarge(path, size) }
        return Array(try Data(contentsOf: url))
    }
}

/// Why a folder could not be read as a manifest tree.
public enum DirectoryTreeError: Error, Equatable, CustomStringConvertible {
    case notADirectory(String)
    case tooLarge(String, Int)

    public var description: String {
        switch self {
        case .notADirectory(let path): "'\(path)' is not a folder"
        case .tooLarge(let path, let size): "'\(path)' is \(size) bytes, over the per-file limit"
        }
    }
}
