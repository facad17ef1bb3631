/// What `aws ec2 describe-addresses-attribute --attribute domain-name --output json` prints (SPEC.md, `aws-ptr on`):
/// `{"Addresses": [{"PublicIp", "AllocationId", "PtrRecord", "PtrRecordUpdate": {"Value", "Status", "Reason"}}]}`.
///
/// Read strictly where rdnscheck depends on a value (an address, an allocation ID, a status, a name) and leniently
/// elsewhere: keys it does not know are ignored, so a newer awscli adding fields keeps working. Anything else
/// (not JSON, a wrong type, an address that is not one) is an `AWSUnavailable` naming the element and the key.
public enum DescribeAddressesAttributeOutput {
    /// The records by public IP. The message of a thrown error names what was wrong
    /// (`Addresses[1].PublicIp: "300.1.2.3" is not an IP address`).
    public static func records(from bytes: some Collection<UInt8>) throws(AWSUnavailable)
        -> [IPAddress: AWSAddressRecord] {
        let document: JSONValue
        do {
            document = try JSONValue.parse(bytes)
        } catch {
            throw AWSUnavailable("not JSON: \(error)")
        }
        guard case .object(let top) = document else { throw AWSUnavailable("not a JSON object") }
        guard let addresses = value(of: "Addresses", in: top) else { throw AWSUnavailable("no \"Addresses\"") }
        guard case .array(let elements) = addresses else { throw AWSUnavailable("\"Addresses\" is not an array") }
        var records: [IPAddress: AWSAddressRecord] = [:]
        for (index, element) in elements.enumerated() {
            let record = try self.record(element, at: "Addresses[\(index)]")
            guard records[record.publicIP] == nil else {
                throw AWSUnavailable("Addresses[\(index)]: \(record.publicIP) is listed twice")
            }
            records[record.publicIP] = record
        }
        return records
    }

    private static func record(_ element: JSONValue, at path: String) throws(AWSUnavailable) -> AWSAddressRecord {
        guard case .object(let members) = element else { throw AWSUnavailable("\(path) is not an object") }
        guard let ipText = try string("PublicIp", in: members, at: path) else {
            throw AWSUnavailable("\(path): no PublicIp")
        }
        guard let ip = IPAddress(ipText) else {
            throw AWSUnavailable("\(path).PublicIp: \(Escaping.jsonExcerpt(ipText)) is not an IP address")
        }
        guard let allocationID = try string("AllocationId", in: members, at: path), !allocationID.isEmpty else {
            throw AWSUnavailable("\(path): no AllocationId")
        }
        let ptrRecord = try name("PtrRecord", in: members, at: path)
        var update: AWSAddressRecord.Update?
        if let updateValue = value(of: "PtrRecordUpdate", in: members), updateValue != .null {
            let updatePath = path + ".PtrRecordUpdate"
            guard case .object(let fields) = updateValue else { throw AWSUnavailable("\(updatePath) is not an object") }
            guard let status = try string("Status", in: fields, at: updatePath), !status.isEmpty else {
                throw AWSUnavailable("\(updatePath): no Status")
            }
            update = AWSAddressRecord.Update(value: try name("Value", in: fields, at: updatePath), status: status,
                                             reason: try string("Reason", in: fields, at: updatePath))
        }
        return AWSAddressRecord(publicIP: ip, allocationID: allocationID, ptrRecord: ptrRecord, update: update)
    }

    private static func value(of key: String, in members: [JSONValue.Member]) -> JSONValue? {
        members.first { $0.key == key }?.value
    }

    /// The string at `key`; nil when it is absent or null.
    private static func string(_ key: String, in members: [JSONValue.Member], at path: String)
        throws(AWSUnavailable) -> String? {
        switch value(of: key, in: members) {
        case nil, .null?: return nil
        case .string(let text)?: return text
        default: throw AWSUnavailable("\(path).\(key) is not a string")
        }
    }

    /// The name at `key` (`mail.example.com.`); nil when it is absent, null or empty.
    private static func name(_ key: String, in members: [JSONValue.Member], at path: String)
        throws(AWSUnavailable) -> DNSName? {
        guard let text = try string(key, in: members, at: path), !text.isEmpty else { return nil }
        guard let name = DNSName(text) else {
            throw AWSUnavailable("\(path).\(key): \(Escaping.jsonExcerpt(text)) is not a domain name")
        }
        return name
    }
}
