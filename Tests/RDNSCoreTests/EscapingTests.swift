import RDNSCore
import Testing

@Suite("Escaping.excerpt: long or hostile text cut and escaped for a one-line message")
struct EscapingTests {
    @Test("text within the limit is only escaped; longer text is cut there and ends in …", arguments: [
        ("status", 6, "status"),
        ("status!", 6, "status…"),
        ("", 3, ""),
        ("a\nb", 3, "a\\010b"),
        ("a\u{9B}2Jb", 3, "a\\194\\1552…"),
        ("é\u{301}\u{301}\u{301}x", 2, "é\u{301}…"),
    ])
    func oneLineExcerpt(text: String, limit: Int, shown: String) {
        #expect(Escaping.excerpt(text, limit: limit) == shown)
    }

    @Test("the cut comes before the escape, so no escape is split")
    func escapeNotSplit() {
        #expect(Escaping.excerpt("ab\u{1B}cd", limit: 3) == "ab\\027…")
    }

    @Test("a JSON excerpt stays printable ASCII, its cut marker too")
    func jsonExcerptASCII() {
        #expect(Escaping.jsonExcerpt(String(repeating: "é", count: 65)) ==
                "\"" + String(repeating: "\\u00e9", count: 64) + "\"...")
        #expect(Escaping.jsonExcerpt("key\u{9B}") == "\"key\\u009b\"")
    }
}
