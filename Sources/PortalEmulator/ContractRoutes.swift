import Foundation
import Manifests
import PortalAPI

/// The paths of the contract and the methods each takes, read once from `openapi.yaml`: so that
/// a known path asked with another method answers 405 with the right `Allow`, not 404.
struct ContractRoutes: Sendable {
    private let routes: [(segments: [String?], methods: [String])]

    /// The shipped contract's routes; none if the document cannot be read.
    static let shipped: ContractRoutes = {
        guard let url = PortalContract.documentURL, let data = try? Data(contentsOf: url) else { return ContractRoutes(routes: []) }
        let (tree, _) = YAMLParser.parse(SourceText(path: "openapi.yaml", bytes: Array(data)))
        guard let paths = tree.documents.first?["paths"] else { return ContractRoutes(routes: []) }
        let verbs = ["get", "put", "post", "delete"]
        return ContractRoutes(
            routes: paths.entries.compactMap { path, item in
                guard let text = path.text else { return nil }
                let methods = item.entries.compactMap { $0.key.text }.filter(verbs.contains).map { $0.uppercased() }
                let segments = text.split(separator: "/").map { $0.hasPrefix("{") ? nil : String($0) }
                return (segments, methods)
            })
    }()

    /// The methods the contract allows on `path`, or nil when the contract has no such path.
    func methods(for path: String) -> [String]? {
        let parts = path.split(separator: "/").map(String.init)
        return routes.first { route in
            route.segments.count == parts.count && zip(route.segments, parts).allSatisfy { $0 == nil || $0 == $1 }
        }?.methods
    }
}
