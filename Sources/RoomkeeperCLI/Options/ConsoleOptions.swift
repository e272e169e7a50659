import ArgumentParser
import Console
import Controller
import Crypto
import Foundation
import GraphAPI
import Logging

/// The web console on the controller: off unless `--console-url` names the address people open.
/// People sign in with Entra ID through the app registration Roomkeeper reads Graph with (the
/// Graph sign-in flags, else `AZURE_*`), which must list `URL/console/callback` as a web
/// redirect URI.
struct ConsoleOptions: ParsableArguments {
    @Option(
        help:
            "Serve the web console for people at this address, https://HOST[:PORT] (what browsers open; http only on loopback). Sign-in is through the Graph app registration, whose web redirect URI must be URL/console/callback."
    )
    var consoleURL: String?

    @Option(
        help:
            "With --console-url: a file holding the key that seals sessions (at least 32 characters); replicas share it. Without one, sessions end when the process does.",
        completion: .file())
    var consoleSessionKeyFile: String?

    @Option(help: "With --console-url: the app role (or group object id) that makes a person an operator.")
    var consoleOperatorRole = "Roomkeeper.Operator"

    @Option(help: "With --console-url: the app role (or group object id) that makes a person a viewer.")
    var consoleViewerRole = "Roomkeeper.Viewer"

    func validate() throws {
        if consoleURL == nil, consoleSessionKeyFile != nil {
            throw ValidationError("--console-session-key-file takes effect with --console-url; add it to serve the console")
        }
    }

    /// The console's routes for `served`, or nil when no console was asked for; throws a message
    /// naming the setting to fix.
    func routes(
        serving served: ControllerServer.Served, signIn: () throws -> GraphSignIn, logger: Logger
    ) throws -> ControllerServer.MoreRoutes? {
        guard let consoleURL else { return nil }
        let key: SymmetricKey
        if let consoleSessionKeyFile {
            guard let data = try? FileHandle.readBounded(path: consoleSessionKeyFile, limit: 4096),
                let text = String(data: data, encoding: .utf8)?.trimmingCharacters(in: .whitespacesAndNewlines), text.utf8.count >= 32
            else { throw CommandFailure("cannot read a session key of at least 32 characters from \(consoleSessionKeyFile)") }
            key = SymmetricKey(data: SHA256.hash(data: Data(text.utf8)))
        } else {
            logger.notice(
                "The console's sessions end with this process: give --console-session-key-file to keep them, and to share them between replicas")
            key = SymmetricKey(size: .bits256)
        }
        let settings: ConsoleSettings
        do {
            settings = try ConsoleSettings(
                origin: consoleURL, signIn: try signIn(), operatorRole: consoleOperatorRole, viewerRole: consoleViewerRole, sessionKey: key)
        } catch let error as ConsoleConfigurationError {
            throw CommandFailure("\(error)")
        }
        logger.info("Serving the console", metadata: ["url": "\(settings.origin)/console", "redirectURI": "\(settings.redirectURI)"])
        return { router in ConsoleRoutes.add(to: router, serving: served, settings: settings, logger: logger) }
    }
}
