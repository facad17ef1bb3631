import RDNSCore
import RDNSPOSIX

#if canImport(Glibc)
import Glibc
#endif

/// The environment an `on-change` program runs with (SPEC.md): a fixed `PATH`, `LANG`, `LC_ALL` and `TZ` when
/// rdnscheck has them, and the delivery's `RDNSCHECK_*` variables; nothing else, so no secret of the service
/// (a token, a `NOTIFY_SOCKET`) reaches it.
enum OnChangeEnvironment {
    static let path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    static let inheritedNames = ["LANG", "LC_ALL", "TZ"]
    /// The most bytes of one value: a quarter of the kernel's limit for one environment string (MAX_ARG_STRLEN,
    /// 128 KiB), so that the program can always be started (E2BIG stopped it before, and the drift was lost).
    static let valueLimit = 32 << 10

    /// `NAME=value` strings, sorted by name; `inherited` is rdnscheck's environment (only the names above count).
    static func strings(for delivery: Delivery, inherited: [String: String]) -> [String] {
        strings(variables(for: delivery).merging(base(inherited: inherited)) { _, base in base })
    }

    /// What every program rdnscheck runs gets (the `aws` command adds its own): `PATH`, and `LANG`, `LC_ALL` and
    /// `TZ` from `inherited` where set and within `valueLimit`.
    static func base(inherited: [String: String]) -> [String: String] {
        var environment = ["PATH": path]
        for name in inheritedNames {
            if let value = inherited[name], value.utf8.count <= valueLimit { environment[name] = value }
        }
        return environment
    }

    /// `NAME=value` strings, sorted by name.
    static func strings(_ environment: [String: String]) -> [String] {
        environment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
    }

    /// `LANG`, `LC_ALL` and `TZ` of this process, where set.
    static func inherited() -> [String: String] {
        environmentVariables().filter { inheritedNames.contains($0.key) }
    }

    /// The `RDNSCHECK_*` variables, each value at most `limit` bytes. Lists are cut at a whole word and end with
    /// `+N`, N the words left out (a name or problem code never starts with `+`); `RDNSCHECK_CHANGES` keeps the
    /// whole elements that fit, in order, and `RDNSCHECK_CHANGES_OMITTED` names the fields of those left out.
    static func variables(for delivery: Delivery, limit: Int = valueLimit) -> [String: String] {
        var changes: [String] = []
        var omitted: [String] = []
        var length = 2
        for change in delivery.changes {
            let text = change.json.jsonText
            let added = text.utf8.count + (changes.isEmpty ? 0 : 2)
            if length + added <= limit {
                changes.append(text)
                length += added
            } else {
                omitted.append(change.field.rawValue)
            }
        }
        var variables = [
            "RDNSCHECK_ADDRESS": delivery.address.description,
            "RDNSCHECK_OLD_STATUS": delivery.oldStatus.word,
            "RDNSCHECK_NEW_STATUS": delivery.newStatus.word,
            "RDNSCHECK_PROBLEMS": wordList(delivery.problems.map(\.rawValue), limit: limit),
            "RDNSCHECK_PTR_NAMES": wordList(delivery.ptrNames, of: delivery.ptrCount, limit: limit),
            "RDNSCHECK_CHANGES": "[" + changes.joined(separator: ", ") + "]",
            "RDNSCHECK_DRIFTS": String(delivery.drifts),
        ]
        if !omitted.isEmpty {
            variables["RDNSCHECK_CHANGES_OMITTED"] = omitted.joined(separator: " ")
        }
        return variables
    }

    /// `words` joined with spaces; when that is longer than `limit`, or `words` are the first of `total`, the words
    /// that fit and `+N`, N the words of `total` left out.
    static func wordList(_ words: [String], of total: Int? = nil, limit: Int) -> String {
        let total = max(total ?? words.count, words.count)
        let all = words.joined(separator: " ")
        guard all.utf8.count > limit || total > words.count else { return all }
        let room = limit - " +\(total)".utf8.count
        var kept: [String] = []
        var length = 0
        for word in words {
            let added = word.utf8.count + (kept.isEmpty ? 0 : 1)
            guard length + added <= room else { break }
            kept.append(word)
            length += added
        }
        return (kept + ["+\(total - kept.count)"]).joined(separator: " ")
    }
}
