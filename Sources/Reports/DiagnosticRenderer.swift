import Manifests

/// Renders diagnostics the way compilers do, for people:
///
/// ```
/// rooms/london.yaml:12:5: error: unknown field 'roms' in RoomGroup spec
///    12 |     roms: [conf-lon-1@contoso.com]
///       |     ^^^^
///    hint: did you mean 'rooms'?
/// ```
public struct DiagnosticRenderer: Sendable {
    public var style: TerminalStyle

    public init(style: TerminalStyle) {
        self.style = style
    }

    /// Every diagnostic in order, then a one-line count.
    public func render(_ diagnostics: [Diagnostic], sources: [String: SourceText]) -> String {
        var output = ""
        for diagnostic in diagnostics {
            output += render(diagnostic, source: diagnostic.location.flatMap { sources[$0.file] })
        }
        return output
    }

    public func render(_ diagnostic: Diagnostic, source: SourceText?) -> String {
        let severity = diagnostic.severity == .error ? style.red("error:") : style.yellow("warning:")
        let prefix = diagnostic.location.map { "\($0.description.terminalSafe): " } ?? "roomkeeper: "
        var output = style.bold(prefix) + severity + " " + style.bold(diagnostic.message.terminalSafe) + "\n"
        if diagnostic.showsSource, let location = diagnostic.location, let source {
            output += excerpt(source, at: location)
        }
        if let hint = diagnostic.hint {
            output += "   " + style.cyan("hint:") + " " + hint.terminalSafe + "\n"
        }
        for note in diagnostic.notes {
            output += "   " + style.bold("\(note.location.description.terminalSafe):") + " note: " + note.message.terminalSafe + "\n"
        }
        return output
    }

    /// A summary such as "2 errors and 1 warning".
    public static func count(_ diagnostics: [Diagnostic]) -> String {
        let errors = diagnostics.filter { $0.severity == .error }.count
        let warnings = diagnostics.count - errors
        switch (errors, warnings) {
        case (_, 0): return counted(errors, "error")
        case (0, _): return counted(warnings, "warning")
        default: return counted(errors, "error") + " and " + counted(warnings, "warning")
        }
    }

    private func excerpt(_ source: SourceText, at location: SourceLocation) -> String {
        guard let line = source.line(location.line) else { return "" }
        let shown = String(line.map { $0 == "\t" ? " " : $0 }).terminalSafe
        let number = String(location.line)
        let gutter = String(repeating: " ", count: number.count)
        let characters = Array(shown)
        let start = min(max(location.column - 1, 0), characters.count)
        var end = start
        while end < characters.count, !" :,[]{}".contains(characters[end]) { end += 1 }
        let marker = String(repeating: " ", count: start) + String(repeating: "^", count: max(end - start, 1))
        return "   \(style.dim(number + " |")) \(shown)\n   \(style.dim(gutter + " |")) \(style.red(marker))\n"
    }
}
