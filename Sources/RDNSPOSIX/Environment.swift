#if canImport(Glibc)
import Glibc
#endif

/// This process's environment, `NAME=value` strings split at the first `=`: what the parts that pass variables on
/// (the `aws` command, the metadata endpoint, sd_notify, the `on-change` program's locale) read, each choosing its
/// names, so that tests hand them a dictionary instead.
public func environmentVariables() -> [String: String] {
    var variables: [String: String] = [:]
    var entry: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = environ
    while let pointer = entry?.pointee {
        let text = String(cString: pointer)
        if let equals = text.firstIndex(of: "=") {
            variables[String(text[..<equals])] = String(text[text.index(after: equals)...])
        }
        entry = entry?.advanced(by: 1)
    }
    return variables
}
