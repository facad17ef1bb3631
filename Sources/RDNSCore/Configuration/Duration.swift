/// Durations as written in the configuration and on the command line: one number and one unit (`30s`, `5m`,
/// `1h`, `2d`), a sum of distinct units from the largest to the smallest (`1h30m`), or bare seconds (`45`).
/// The one parser for both, so `timeout 1s0s` means the same, an error, wherever it is written.
public enum Duration {
    /// Why a text is not a duration, or not one that is allowed; `description` reads after the setting's name
    /// ("timeout '1s0s' is not a duration: ...").
    public enum ParseError: Error, Equatable, Sendable, CustomStringConvertible {
        case empty
        case notAUnit(text: String, character: Character)
        case unitWithoutNumber(text: String, unit: Character)
        case numberWithoutUnit(text: String)
        case repeatedUnit(text: String, unit: Character)
        case unitsOutOfOrder(text: String, unit: Character, after: Character)
        case tooLarge(text: String)
        case outOfRange(text: String, range: ClosedRange<Int>)

        public var description: String {
            let hint = "; write one number and one unit (s, m, h, d), or distinct units largest first, as in 1h30m"
            switch self {
            case .empty: return "is empty, not a duration" + hint
            case .notAUnit(let text, let character):
                return "'\(text)' is not a duration: '\(character)' is not a unit" + hint
            case .unitWithoutNumber(let text, let unit):
                return "'\(text)' is not a duration: the unit '\(unit)' has no number before it" + hint
            case .numberWithoutUnit(let text):
                return "'\(text)' is not a duration: the last number has no unit" + hint
            case .repeatedUnit(let text, let unit):
                return "'\(text)' is not a duration: the unit '\(unit)' is given twice" + hint
            case .unitsOutOfOrder(let text, let unit, let after):
                return "'\(text)' is not a duration: '\(unit)' comes after the smaller unit '\(after)'" + hint
            case .tooLarge(let text):
                return "'\(text)' is too large a duration"
            case .outOfRange(let text, let range):
                return "'\(text)' is out of range: from \(Duration.text(range.lowerBound)) "
                    + "to \(Duration.text(range.upperBound))"
            }
        }
    }

    /// The units, largest first, with their seconds.
    private static let units: [(name: Character, seconds: Int)] = [("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1)]

    /// Whole seconds, within `range`.
    public static func parse(_ text: String, within range: ClosedRange<Int>) throws(ParseError) -> Int {
        let seconds = try parse(text)
        guard range.contains(seconds) else { throw .outOfRange(text: text, range: range) }
        return seconds
    }

    /// Whole seconds.
    public static func parse(_ text: String) throws(ParseError) -> Int {
        guard !text.isEmpty else { throw .empty }
        guard text.count <= 20 else { throw .tooLarge(text: text) }
        if text.utf8.allSatisfy(isDecimalDigit) {
            guard let seconds = plainNumber(text) else { throw .tooLarge(text: text) }
            return seconds
        }
        var total = 0
        var digits = ""
        // Index into `units` of the last unit used: the next must come after it.
        var lastUnit: Int? = nil
        for character in text {
            if character.isASCII && character.isNumber {
                digits.append(character)
                continue
            }
            guard let unit = units.firstIndex(where: { $0.name == character }) else {
                throw .notAUnit(text: text, character: character)
            }
            guard !digits.isEmpty else { throw .unitWithoutNumber(text: text, unit: character) }
            if let lastUnit {
                guard unit != lastUnit else { throw .repeatedUnit(text: text, unit: character) }
                guard unit > lastUnit else {
                    throw .unitsOutOfOrder(text: text, unit: character, after: units[lastUnit].name)
                }
            }
            lastUnit = unit
            guard let value = Int(digits) else { throw .tooLarge(text: text) }
            let (product, overflow) = value.multipliedReportingOverflow(by: units[unit].seconds)
            let (sum, sumOverflow) = total.addingReportingOverflow(product)
            guard !overflow, !sumOverflow else { throw .tooLarge(text: text) }
            total = sum
            digits = ""
        }
        guard digits.isEmpty else { throw .numberWithoutUnit(text: text) }
        return total
    }

    /// Seconds in the largest unit that divides them: 30s, 5m, 7d.
    static func text(_ seconds: Int) -> String {
        let unit = units.first { seconds != 0 && seconds % $0.seconds == 0 } ?? units[units.count - 1]
        return "\(seconds / unit.seconds)\(unit.name)"
    }
}
