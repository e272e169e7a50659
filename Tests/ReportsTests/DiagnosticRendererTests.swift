import Manifests
import Reports
import Testing

@Suite("Diagnostics for people")
struct DiagnosticRendererTests {
    private let source = SourceText(
        path: "rooms/london.yaml", bytes: Array("kind: RoomGroup\nspec:\n  roms: [a@contoso.com]\n".utf8))

    @Test("A diagnostic shows file:line:col, the line, a caret under the token, the hint and notes")
    func compilerStyle() {
        let diagnostic = Diagnostic.error(
            "unknown field 'roms' in RoomGroup spec", at: SourceLocation(file: "rooms/london.yaml", line: 3, column: 3),
            hint: "did you mean 'rooms'?",
            notes: [.init("declared here", at: SourceLocation(file: "rooms/other.yaml", line: 1, column: 1))])
        let text = DiagnosticRenderer(style: TerminalStyle(usesColor: false)).render([diagnostic], sources: [source.path: source])
        #expect(
            text == """
                rooms/london.yaml:3:3: error: unknown field 'roms' in RoomGroup spec
                   3 |   roms: [a@contoso.com]
                     |   ^^^^
                   hint: did you mean 'rooms'?
                   rooms/other.yaml:1:1: note: declared here

                """)
    }

    @Test("A diagnostic that may concern a secret never shows its line")
    func secretLineHidden() {
        let diagnostic = Diagnostic(
            .error, "'token' looks like a secret", at: SourceLocation(file: "rooms/london.yaml", line: 3, column: 3),
            showsSource: false)
        let text = DiagnosticRenderer(style: TerminalStyle(usesColor: false)).render([diagnostic], sources: [source.path: source])
        #expect(!text.contains("a@contoso.com"))
        #expect(text == "rooms/london.yaml:3:3: error: 'token' looks like a secret\n")
    }

    @Test("Control characters from input are escaped, so they cannot drive the terminal")
    func terminalInjection() {
        let diagnostic = Diagnostic.error("unknown kind 'x\u{1B}[2Jy'", at: nil)
        let text = DiagnosticRenderer(style: TerminalStyle(usesColor: false)).render([diagnostic], sources: [:])
        #expect(text == "roomkeeper: error: unknown kind 'x\\u{1B}[2Jy'\n")
    }

    @Test("Colour only when asked for")
    func colour() {
        let diagnostic = Diagnostic.warning("no manifest files", at: nil)
        let plain = DiagnosticRenderer(style: TerminalStyle(usesColor: false)).render(diagnostic, source: nil)
        let coloured = DiagnosticRenderer(style: TerminalStyle(usesColor: true)).render(diagnostic, source: nil)
        #expect(!plain.contains("\u{1B}["))
        #expect(coloured.contains("\u{1B}[1;33mwarning:\u{1B}[0m"))
        #expect(DiagnosticRenderer.count([diagnostic, .error("x", at: nil), .error("y", at: nil)]) == "2 errors and 1 warning")
    }
}
