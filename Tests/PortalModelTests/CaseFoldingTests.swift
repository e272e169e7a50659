import PortalModel
import Testing

@Suite("Case folding")
struct CaseFoldingTests {
    @Test(
        "lowercasedIfNeeded and uppercasedIfNeeded agree with lowercased() and uppercased(), ASCII or not",
        arguments: ["", "conf-lon-3a@contoso.com", "Conf-LON-3A@Contoso.COM", "Besprechungsraum Größe", "ÅSA@CONTOSO.SE", "İstanbul", "ǅ", "@[`{", "ΣΊΣΥΦΟΣ straße ﬁ", "😀 Room 👩‍💻"])
    func agreesWithFoundation(text: String) {
        #expect(text.lowercasedIfNeeded == text.lowercased())
        #expect(text.uppercasedIfNeeded == text.uppercased())
    }
}
