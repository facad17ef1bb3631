/// Text that is always exactly one line: what the log and the command's error lines print.
public enum OneLine {
    /// Control characters as `\DDD` (one per UTF-8 byte), so one message is one line and cannot drive a
    /// terminal: C0 (newlines included), DEL, C1 (U+0080-U+009F: a lone U+009B is a terminal's CSI) and the
    /// Unicode line and paragraph separators.
    public static func escaped(_ message: String) -> String {
        guard message.unicodeScalars.contains(where: isControl) else { return message }
        var result = ""
        for scalar in message.unicodeScalars {
            if isControl(scalar) {
                for byte in String(scalar).utf8 { result += "\\" + String(String(Int(byte) + 1000).dropFirst()) }
            } else {
                result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    private static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7f...0x9f).contains(scalar.value) || scalar.value == 0x2028 || scalar.value == 0x2029
    }
}
