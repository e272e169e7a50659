import Foundation
import TestSupport
import Testing

@Suite("The core is pure")
struct CorePurityTests {
    /// The Swift files of a module, with their paths relative to the repository.
    private func sources(_ module: String) throws -> [(path: String, text: String)] {
        let folder = repositoryRoot.appendingPathComponent("Sources/\(module)")
        let files = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: nil)?.compactMap { $0 as? URL } ?? []
        return try files.filter { $0.pathExtension == "swift" }.map {
            ("Sources/\(module)/" + $0.path.dropFirst(folder.path.count + 1), try String(contentsOf: $0, encoding: .utf8))
        }
    }

    @Test("Reconciler and Manifests import no HTTP, server, database, git or front-end module, and Reconciler touches no file")
    func noOutsideWorld() throws {
        let forbidden = [
            "AsyncHTTPClient", "NIOCore", "NIOHTTP1", "Hummingbird", "GRDB", "CGit2", "GitSource", "HTTPTransport", "PortalClient",
            "GraphClient", "Engine", "StateStore", "Controller", "RoomkeeperCLI",
        ]
        var found: [String] = []
        for module in ["Reconciler", "Manifests"] {
            let files = try sources(module)
            #expect(!files.isEmpty, "no sources found for \(module)")
            for file in files {
                for line in file.text.split(separator: "\n") where line.hasPrefix("import ") {
                    let name = line.split(separator: " ").last.map(String.init) ?? ""
                    if forbidden.contains(name) { found.append("\(file.path): \(line)") }
                }
                guard module == "Reconciler" else { continue }
                for api in ["FileManager", "FileHandle", "Data(contentsOf:", "PrivateFiles", ".write(to:"] where file.text.contains(api) {
                    found.append("\(file.path): \(api)")
                }
            }
        }
        #expect(found.isEmpty, "\(found)")
    }
}
