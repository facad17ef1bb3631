import RDNSCore

/// libFuzzer target: the state file, and the JSON parser under it.
///
/// 1. `JSONValue.parse`: a value that parses prints (`jsonText`) as JSON that parses back to the same value.
/// 2. `StateFile.decode`: states that decode encode to a file that decodes to exactly the same states, and
///    encoding those gives the same text again. Drift between any two decoded states logs one printable line.
/// 3. The promise of `StateFile`'s documentation, that round trips are exact for every state that
///    `AddressState(result:previous:now:)` builds: the input also serves as raw DNS name bytes (any byte, as
///    a reply may hold) for PTR names of a check result, whose state must survive the file unchanged.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: start.assumingMemoryBound(to: UInt8.self), count: count))
    checkJSON(bytes)
    checkStateFile(bytes)
    checkStatesFromNames(bytes)
    return 0
}

func checkJSON(_ bytes: [UInt8]) {
    let value: JSONValue
    do {
        value = try JSONValue.parse(bytes)
    } catch {
        require(error.offset >= 0 && error.offset <= bytes.count, "error offset \(error.offset) outside the input")
        require(isPrintableLine(error.description), "JSON error is not one printable line")
        return
    }
    let text = value.jsonText
    guard let again = try? JSONValue.parse(Array(text.utf8)) else { fatalError("jsonText is not JSON: \(text)") }
    require(again == value, "JSON round trip changed the value: \(text)")
    require(again.jsonText == text, "jsonText changed on a second round")
}

func checkStateFile(_ bytes: [UInt8]) {
    let states: [IPAddress: AddressState]
    do {
        states = try StateFile.decode(bytes)
    } catch {
        require(isPrintableLine(error.description), "state file error is not one printable line: \(error)")
        return
    }
    for state in states.values {
        require(state.forward.keys.allSatisfy(state.ptrNames.contains), "forward answer for a name that is no PTR")
        require(state.temporaryFailures >= 0 && state.since >= 0 && state.checkedAt >= 0, "negative number")
    }
    roundTrip(states)
    let ordered = states.sorted { $0.key < $1.key }
    for (earlier, later) in zip(ordered, ordered.dropFirst()) {
        if let drift = Drift(address: later.key, previous: earlier.value, next: later.value) {
            require(isPrintableLine(drift.description), "drift log line is not one printable line")
            require((try? JSONValue.parse(Array(Drift.json(drift.changes).utf8))) != nil, "changes are not JSON")
        }
    }
}

/// States as a check builds them, from PTR names made of the input's bytes.
func checkStatesFromNames(_ bytes: [UInt8]) {
    // Labels of 1 to 63 bytes, lengths taken from the input itself, at most 255 octets a name.
    var names: [DNSName] = []
    var labels: [ArraySlice<UInt8>] = []
    var index = 0
    while index < bytes.count && names.count < 8 {
        let length = 1 + Int(bytes[index]) % 63
        let label = bytes[(index + 1)...].prefix(length)
        index += 1 + length
        if label.isEmpty { break }
        labels.append(label)
        if labels.count == 3 || index >= bytes.count {
            if let name = DNSName(labels: labels) { names.append(name) }
            labels = []
        }
    }
    let address = IPAddress("192.0.2.10")!
    let ptrNames = Array(Set(names)).sorted()
    let forward = ptrNames.enumerated().map { offset, name in
        ForwardAnswer(name: name, addresses: offset % 2 == 0 ? [address] : [IPAddress("2001:db8::25")!, address])
    }
    let problems = ptrNames.count > 1 ? [Problem(.multiplePTR, .warning, "several")] : []
    let result = AddressResult(target: CheckTarget(address), status: problems.isEmpty ? .ok : .warning,
                               ptrNames: ptrNames, forward: forward, problems: problems, temporaryFailures: 0)
    let state = AddressState(result: result, previous: nil, now: 1_795_441_077)
    roundTrip([address: state])
}

func roundTrip(_ states: [IPAddress: AddressState]) {
    let text: String
    let decoded: [IPAddress: AddressState]
    do {
        text = try StateFile.encode(states)
    } catch {
        fatalError("the state of \(states.count) addresses was not written: \(error)")
    }
    do {
        decoded = try StateFile.decode(Array(text.utf8))
    } catch {
        fatalError("the state file rdnscheck wrote does not read back: \(error)\n\(text)")
    }
    require(decoded == states, "state file round trip changed the states:\n\(text)")
    require((try? StateFile.encode(decoded)) == text, "state file text changed on a second write:\n\(text)")
}

/// True for text of printable ASCII only (a space included): one line, no control or non-ASCII byte.
func isPrintableLine(_ text: String) -> Bool {
    text.utf8.allSatisfy { (0x20...0x7e).contains($0) }
}

func require(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
    if !condition() { fatalError(message()) }
}
