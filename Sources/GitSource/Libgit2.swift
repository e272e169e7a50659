import CGit2
import Foundation

/// libgit2, started once per process and cut off from the machine's git configuration.
///
/// libgit2 otherwise reads the system, global and XDG gitconfig files, whose `insteadOf` rewrites
/// and credential helpers would change what a source URL means from one machine to the next.
/// Their search paths point at an empty folder, so only what the user gave Roomkeeper counts.
enum Libgit2 {
    static let ready: Result<Void, GitSourceError> = {
        guard git_libgit2_init() >= 0 else { return .failure(.other("libgit2 did not start")) }
        // A folder below /dev/null can never exist, so no one (another user writing to a shared
        // /tmp, say) can ever put a configuration file where libgit2 looks.
        let nowhere = "/dev/null/roomkeeper-no-gitconfig"
        for level in [GIT_CONFIG_LEVEL_SYSTEM, GIT_CONFIG_LEVEL_XDG, GIT_CONFIG_LEVEL_GLOBAL, GIT_CONFIG_LEVEL_PROGRAMDATA] {
            guard roomkeeper_git_set_search_path(Int32(level.rawValue), nowhere) >= 0 else {
                return .failure(.other("libgit2 would not ignore the machine's git configuration: \(lastError())"))
            }
        }
        _ = roomkeeper_git_enable_strict_object_creation(1)
        return .success(())
    }()

    /// Throws the error libgit2 reported when `code` is negative.
    static func check(_ code: Int32, _ doing: @autoclosure () -> String) throws {
        guard code < 0 else { return }
        throw GitSourceError.other("\(doing()): \(lastError())")
    }

    /// libgit2's message for the last error on this thread, with the user information of any URL
    /// in it removed (libgit2 quotes the URL it was given, credentials and all).
    static func lastError() -> String {
        guard let error = git_error_last(), let message = error.pointee.message else { return "unknown libgit2 error" }
        return redactingURLs(in: String(cString: message))
    }

    static func lastErrorClass() -> git_error_t? {
        git_error_last().map { git_error_t(rawValue: UInt32($0.pointee.klass)) }
    }
}

/// Calls `body` with the strings as a `git_strarray`.
func withStrarray<Result>(_ strings: [String], _ body: (inout git_strarray) throws -> Result) rethrows -> Result {
    var array: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
    defer { for string in array { free(string) } }
    return try array.withUnsafeMutableBufferPointer { buffer in
        var strarray = git_strarray(strings: buffer.baseAddress, count: buffer.count)
        return try body(&strarray)
    }
}
