import Foundation

/// The outside checkers some tests run (Chromium, kubectl, actionlint, the Python checkers) and
/// the release tarball one unpacks: `scripts/setup` installs them and `scripts/test` requires them,
/// as CI does, so that a test never skips there. A plain `swift test` skips those tests, and says
/// why in each one's name of the reason.
public enum Checkers {
    /// True under `scripts/test` and in CI: a missing checker is then a failure, not a skip.
    public static var required: Bool {
        let environment = ProcessInfo.processInfo.environment
        return environment["ROOMKEEPER_CHECKERS"] == "required" || environment["CI"] == "true"
    }

    /// The reason a test gives when it is skipped.
    public static let reason = "needs the checkers scripts/setup installs; scripts/test runs it with them"

    /// The executable `name` on PATH, if any.
    public static func find(_ name: String) -> URL? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").map { URL(fileURLWithPath: String($0)).appendingPathComponent(name) }
            .first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }
}
