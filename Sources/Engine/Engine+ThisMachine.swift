import Foundation
import PortalAPI
import StateStore

extension Engine {
    /// The engine for the state folder the environment names, reading `directory` when given.
    public static func forThisMachine(
        directory: (any DirectorySource)? = nil, environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> Engine {
        Engine(stateFolder: StateFolder.forThisMachine(environment: environment).root, directory: directory)
    }
}
