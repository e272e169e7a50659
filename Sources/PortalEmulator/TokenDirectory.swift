import Foundation

/// Which bearer token belongs to which directory user. Loaded from a file or the environment,
/// never from arguments, and never logged.
public struct TokenDirectory: Sendable {
    private let users: [String: String]

    /// `tokens` maps user principal names to tokens.
    public init(tokens: [String: String]) {
        users = Dictionary(tokens.map { ($0.value, $0.key) }, uniquingKeysWith: { first, _ in first })
    }

    /// The user a token belongs to; nil for an unknown token. Compares in constant time per token.
    public func user(forToken token: String) -> String? {
        users.first { constantTimeEqual($0.key, token) }?.value
    }

    /// The shortest token the emulator accepts: anything shorter is guessable.
    public static let minimumTokenLength = 12

    /// Reads `upn token` pairs, one per line (blank lines and `#` comments ignored), from the
    /// file at `path`, or `upn=token` pairs separated by `;` from `environment`. Refuses a token
    /// shorter than `minimumTokenLength` and one token given to two users (which one a request
    /// came from would be a guess).
    public static func load(file path: String?, environment: String?) throws -> TokenDirectory {
        TokenDirectory(tokens: try pairs(file: path, environment: environment))
    }

    private static func pairs(file path: String?, environment: String?) throws -> [String: String] {
        var tokens: [String: String] = [:]
        if let path {
            let text = try String(contentsOfFile: path, encoding: .utf8)
            for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                let trimmed = line.trimmingCharacters(in: .whitespaces)
                if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
                let parts = trimmed.split(whereSeparator: { $0 == " " || $0 == "\t" })
                guard parts.count == 2 else { throw TokenFileError(path: path, line: number + 1) }
                tokens[String(parts[0])] = String(parts[1])
            }
        }
        for pair in (environment ?? "").split(separator: ";") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            guard parts.count == 2 else { continue }
            tokens[String(parts[0]).trimmingCharacters(in: .whitespaces)] = String(parts[1]).trimmingCharacters(in: .whitespaces)
        }
        if let short = tokens.keys.sorted().first(where: { tokens[$0, default: ""].count < minimumTokenLength }) {
            throw TokenDirectoryError("the token of \(short) is shorter than \(minimumTokenLength) characters; use a long random one")
        }
        let owners = Dictionary(grouping: tokens.keys.sorted(), by: { tokens[$0, default: ""] })
        if let shared = owners.values.first(where: { $0.count > 1 }) {
            throw TokenDirectoryError("\(shared.joined(separator: " and ")) have the same token; give each user its own")
        }
        return tokens
    }

    public var isEmpty: Bool { users.isEmpty }
}

/// Tokens the emulator refuses to start with. The message names users, never a token.
public struct TokenDirectoryError: Error, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}

/// A line of a token file that is not `upn token`. The message names the line, never its text.
public struct TokenFileError: Error, CustomStringConvertible {
    public var path: String
    public var line: Int
    public var description: String { "\(path):\(line): expected 'user@domain token'" }
}
