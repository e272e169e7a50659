import Reports
import Testing

@Suite("JSON output")
struct JSONValueTests {
    @Test("Keys are sorted and strings escaped, including characters unsafe in HTML")
    func rendering() {
        let value: JSONValue = ["b": [1, true, .null], "a": "x\"<script>\u{1B}\n"]
        #expect(
            value.rendered() == """
                {
                  "a": "x\\"\\u003cscript\\u003e\\u001b\\n",
                  "b": [
                    1,
                    true,
                    null
                  ]
                }

                """)
    }
}
