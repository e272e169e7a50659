import PortalModel
import Testing

@Suite("Case folding")
struct CaseFoldingTests {
    @Test(
        "lowercasedIfNeeded and uppercasedIfNeeded agree with lowercased() and uppercased(), ASCII or not",
        arguments: [
            "", "conf-lon-3a@contoso.com", "Conf-LON-3A@Contoso.COM", "Besprechungsraum Größe", "ÅSA@CONTOSO.SE", "İstanbul", "ǅ", "@[`{",
            "ΣΊΣΥΦΟΣ straße ﬁ", "😀 Room 👩‍💻", "conference-room-3a@contoso.com", "CONFERENCE-ROOM-3A@CONTOSO.COM", "Conference-Room-3a@Contoso.com",
            "abcdefghijklmnopqrstuvwxyz@[`{ZYXWVUTSRQPONMLKJIHGFEDCBA", "long ascii prefix then ü",
        ])
    func agreesWithFoundation(text: String) {
        #expect(text.lowercasedIfNeeded == text.lowercased())
        #expect(text.uppercasedIfNeeded == text.uppercased())
    }
}
