import Foundation
import Manifests

/// The root of this repository, found from this file's path, for `examples/` and the built tools.
public let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

/// A folder under `examples/`.
public func examples(_ name: String) -> URL { repositoryRoot.appendingPathComponent("examples/\(name)") }

/// A manifest tree held in memory, for tests that build repositories in code.
public struct MemoryTree: ManifestFileTree {
    public var files: [String: [UInt8]]

    public init(files: [String: [UInt8]]) {
        self.files = files
    }

    public func yamlFiles() throws -> [String] { files.keys.sorted() }
    public func contents(of path: String) throws -> [UInt8] { files[path] ?? [] }
}

/// A fresh, empty folder under the temporary directory; remove it with `FileManager.removeItem`.
public func temporaryFolder(_ prefix: String) throws -> URL {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    return folder
}
