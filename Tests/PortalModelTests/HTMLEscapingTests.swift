import PortalModel
import Testing

@Suite("Text made safe for HTML")
struct HTMLEscapingTests {
    /// A string of these code points (Swift's literals refuse some noncharacters).
    private static func text(_ values: [UInt32]) -> String {
        String(String.UnicodeScalarView(values.compactMap(Unicode.Scalar.init)))
    }

    @Test(
        "Plain text is as it was; markup, control characters and noncharacters are escaped, other scripts kept",
        arguments: [
            ("London 3A (conf-lon-3a@contoso.com)", "London 3A (conf-lon-3a@contoso.com)"),
            ("<b>Tom & Jerry's \"room\"</b>", "&lt;b&gt;Tom &amp; Jerry&#39;s &quot;room&quot;&lt;/b&gt;"),
            ("会議室 & salle réunion", "会議室 &amp; salle réunion"),
            ("tab\there", "tab\\u{9}here"),
            (text([0x6F, 0xFFFE, 0x6B]), "o\\u{FFFE}k"),
            ("", ""),
        ])
    func escaping(text: String, expected: String) {
        #expect(text.htmlEscaped == expected)
    }

    /// Escaping as the Unicode properties say, character by character: what the fast version
    /// must always agree with.
    private func reference(_ text: String) -> String {
        var result = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            case "'": result += "&#39;"
            default:
                if scalar.properties.generalCategory == .control || scalar.properties.isNoncharacterCodePoint {
                    result += "\\u{\(String(scalar.value, radix: 16, uppercase: true))}"
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result
    }

    @Test("Agrees with the Unicode properties on every mix of scripts, markup, controls and noncharacters")
    func agreesWithProperties() {
        let pieces: [UInt32] = [
            0x61, 0x5A, 0x20, 0x26, 0x3C, 0x27, 0x22, 0xE9, 0x4F1A, 0x1F3E2, 0x0, 0x1B, 0x7F, 0x85, 0x9F, 0xA0, 0xFDD0, 0xFDEF, 0xFFFE, 0xFFFF,
            0x1FFFF, 0xEFFFE, 0x10FFFF, 0xFFFD,
        ]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let text = Self.text((0..<Int.random(in: 0...12, using: &generator)).compactMap { _ in pieces.randomElement(using: &generator) })
            #expect(text.htmlEscaped == reference(text), "\(Array(text.unicodeScalars))")
        }
    }
}
