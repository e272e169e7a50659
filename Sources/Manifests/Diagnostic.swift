/// A problem found in user input, with where it is and how to fix it.
///
/// Loaders and validators collect every diagnostic and keep going; the command line renders them
/// all at once. Messages quote what the user wrote; `hint` says what to do about it.
public struct Diagnostic: Hashable, Sendable {
    public enum Severity: String, Sendable, Hashable, Comparable {
        case error
        case warning

        public static func < (lhs: Severity, rhs: Severity) -> Bool {
            lhs == .error && rhs == .warning
        }
    }

    /// A second place that explains the first, e.g. where a duplicate name was first declared.
    public struct Note: Hashable, Sendable {
        public var location: SourceLocation
        public var message: String

        public init(_ message: String, at location: SourceLocation) {
            self.message = message
            self.location = location
        }
    }

    public var severity: Severity
    /// Where the problem is; nil for problems that belong to no file (an empty repository, say).
    public var location: SourceLocation?
    public var message: String
    public var hint: String?
    public var notes: [Note]
    /// False when the source line must not be shown, because it may hold a secret.
    public var showsSource: Bool

    public init(
        _ severity: Severity, _ message: String, at location: SourceLocation?, hint: String? = nil,
        notes: [Note] = [], showsSource: Bool = true
    ) {
        self.severity = severity
        self.message = message
        self.location = location
        self.hint = hint
        self.notes = notes
        self.showsSource = showsSource
    }

    public static func error(
        _ message: String, at location: SourceLocation?, hint: String? = nil, notes: [Note] = []
    ) -> Diagnostic {
        Diagnostic(.error, message, at: location, hint: hint, notes: notes)
    }

    public static func warning(
        _ message: String, at location: SourceLocation?, hint: String? = nil, notes: [Note] = []
    ) -> Diagnostic {
        Diagnostic(.warning, message, at: location, hint: hint, notes: notes)
    }
}

extension Array where Element == Diagnostic {
    /// Whether any diagnostic is an error (warnings alone do not fail a run).
    public var hasErrors: Bool { contains { $0.severity == .error } }

    /// Sorted by file, line and column, so output reads top to bottom; problems without a file first.
    public func sortedByLocation() -> [Diagnostic] {
        enumerated().sorted { a, b in
            switch (a.element.location, b.element.location) {
            case (nil, nil): return a.offset < b.offset
            case (nil, _): return true
            case (_, nil): return false
            case (let left?, let right?):
                if left != right { return left < right }
                return a.offset < b.offset
            }
        }.map(\.element)
    }
}
