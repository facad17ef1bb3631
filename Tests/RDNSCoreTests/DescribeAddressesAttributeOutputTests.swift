import RDNSCore
import Testing

private func records(_ text: String) throws(AWSUnavailable) -> [IPAddress: AWSAddressRecord] {
    try DescribeAddressesAttributeOutput.records(from: Array(text.utf8))
}

/// The message `records` throws for `text`, or nil when it reads it.
private func failure(_ text: String) -> String? {
    do {
        _ = try records(text)
        return nil
    } catch {
        return error.message
    }
}

@Suite("DescribeAddressesAttributeOutput: reading aws's JSON")
struct DescribeAddressesAttributeOutputTests {
    @Test("awscli's answer becomes one record per public IP, names with or without their trailing dot")
    func readsEveryField() throws {
        let read = try records("""
            {
                "Addresses": [
                    {
                        "PublicIp": "198.51.100.25",
                        "AllocationId": "eipalloc-0123456789abcdef0",
                        "PtrRecord": "mail.example.test.",
                        "PtrRecordUpdate": {"Value": "mx.example.test.", "Status": "PENDING"}
                    },
                    {
                        "PublicIp": "198.51.100.26",
                        "AllocationId": "eipalloc-2",
                        "PtrRecordUpdate": {"Value": "x.example.test", "Status": "failed", "Reason": "no A record"}
                    },
                    {"PublicIp": "2001:db8::25", "AllocationId": "eipalloc-3", "PtrRecord": null}
                ]
            }
            """)
        #expect(read.count == 3)
        #expect(read[IPAddress("198.51.100.25")!] == AWSAddressRecord(
            publicIP: IPAddress("198.51.100.25")!, allocationID: "eipalloc-0123456789abcdef0",
            ptrRecord: DNSName("mail.example.test"),
            update: AWSAddressRecord.Update(value: DNSName("mx.example.test"), status: "PENDING", reason: nil)))
        let failed = try #require(read[IPAddress("198.51.100.26")!])
        #expect(failed.ptrRecord == nil)
        #expect(failed.update == AWSAddressRecord.Update(value: DNSName("x.example.test"), status: "failed",
                                                         reason: "no A record"))
        #expect(read[IPAddress("2001:db8::25")!]?.update == nil)
        #expect(read[IPAddress("2001:db8::25")!]?.ptrRecord == nil)
    }

    @Test("statuses are compared without regard to case", arguments: [
        ("PENDING", true, false), ("pending", true, false), ("Pending", true, false),
        ("SUCCESSFUL", false, true), ("successful", false, true), ("FAILED", false, false),
    ])
    func statusesIgnoreCase(status: String, pending: Bool, successful: Bool) {
        let update = AWSAddressRecord.Update(value: nil, status: status, reason: nil)
        #expect(update.isPending == pending)
        #expect(update.isSuccessful == successful)
    }

    @Test("keys rdnscheck does not know are ignored, at every level")
    func unknownKeysIgnored() throws {
        let read = try records("""
            {"Addresses": [{"PublicIp": "198.51.100.25", "AllocationId": "eipalloc-1", "Tags": [{"Key": "a"}],
              "PtrRecordUpdate": {"Status": "successful", "Value": "mx.example.test.", "UpdatedAt": 17}}],
             "NextToken": null, "ResponseMetadata": {}}
            """)
        #expect(read[IPAddress("198.51.100.25")!]?.update?.isSuccessful == true)
    }

    @Test("no Elastic IP at all is an empty answer")
    func emptyList() throws {
        #expect(try records("{\"Addresses\": []}").isEmpty)
    }

    @Test("what is not the answer is refused with a message naming what was wrong", arguments: [
        ("", "not JSON: byte 0: unexpected end of input, expected a value"),
        ("Traceback (most recent call last):", "not JSON: byte 0: unexpected 'T', expected a value"),
        ("[]", "not a JSON object"),
        ("{}", "no \"Addresses\""),
        ("{\"Addresses\": {}}", "\"Addresses\" is not an array"),
        ("{\"Addresses\": [17]}", "Addresses[0] is not an object"),
        ("{\"Addresses\": [{\"AllocationId\": \"eipalloc-1\"}]}", "Addresses[0]: no PublicIp"),
        ("{\"Addresses\": [{\"PublicIp\": 17, \"AllocationId\": \"e\"}]}", "Addresses[0].PublicIp is not a string"),
        ("{\"Addresses\": [{\"PublicIp\": \"300.1.2.3\", \"AllocationId\": \"e\"}]}",
         "Addresses[0].PublicIp: \"300.1.2.3\" is not an IP address"),
        ("{\"Addresses\": [{\"PublicIp\": \"198.51.100.25\"}]}", "Addresses[0]: no AllocationId"),
        ("{\"Addresses\": [{\"PublicIp\": \"198.51.100.25\", \"AllocationId\": \"\"}]}",
         "Addresses[0]: no AllocationId"),
        ("{\"Addresses\": [{\"PublicIp\": \"198.51.100.25\", \"AllocationId\": \"e\", \"PtrRecord\": 1}]}",
         "Addresses[0].PtrRecord is not a string"),
        ("{\"Addresses\": [{\"PublicIp\": \"198.51.100.25\", \"AllocationId\": \"e\", \"PtrRecord\": \"a..b\"}]}",
         "Addresses[0].PtrRecord: \"a..b\" is not a domain name"),
        ("{\"Addresses\": [{\"PublicIp\": \"198.51.100.25\", \"AllocationId\": \"e\", \"PtrRecordUpdate\": []}]}",
         "Addresses[0].PtrRecordUpdate is not an object"),
        ("{\"Addresses\": [{\"PublicIp\": \"198.51.100.25\", \"AllocationId\": \"e\", \"PtrRecordUpdate\": {}}]}",
         "Addresses[0].PtrRecordUpdate: no Status"),
        ("{\"Addresses\": [{\"PublicIp\": \"198.51.100.25\", \"AllocationId\": \"e\", "
         + "\"PtrRecordUpdate\": {\"Status\": \"failed\", \"Reason\": false}}]}",
         "Addresses[0].PtrRecordUpdate.Reason is not a string"),
        ("{\"Addresses\": [{\"PublicIp\": \"198.51.100.25\", \"AllocationId\": \"a\"}, "
         + "{\"PublicIp\": \"198.51.100.25\", \"AllocationId\": \"b\"}]}",
         "Addresses[1]: 198.51.100.25 is listed twice"),
    ])
    func refusesWhatIsNotTheAnswer(text: String, message: String) {
        #expect(failure(text) == message)
    }

    @Test("a hostile value is escaped and cut in the message")
    func hostileValueEscaped() throws {
        let message = try #require(failure(
            "{\"Addresses\": [{\"PublicIp\": \"\\u001b[31m" + String(repeating: "x", count: 100)
            + "\", \"AllocationId\": \"e\"}]}"))
        #expect(message.hasPrefix("Addresses[0].PublicIp: \"\\u001b[31mxxx"))
        #expect(message.hasSuffix("xxx\"... is not an IP address"))
        #expect(!message.unicodeScalars.contains { $0.value < 0x20 })
    }
}
