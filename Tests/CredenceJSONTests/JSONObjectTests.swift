import Testing

@testable import CredenceJSON

@Suite("JSONObject")
struct JSONObjectTests {
    @Test("init from pairs refuses a repeated name")
    func pairs() throws {
        let object = try JSONObject([("a", 1), ("b", "x")])
        #expect(object.names == ["a", "b"])
        #expect(throws: JSONError(code: .duplicateMember, offset: nil, reason: "", fileID: "", line: 0)) {
            try JSONObject([("a", 1), ("b", 2), ("a", 3)])
        }
    }

    @Test("subscript set replaces in place, appends, and removes")
    func subscripts() {
        var object: JSONObject = ["a": 1, "b": 2, "c": 3]
        object["b"] = "two"
        object["d"] = 4
        #expect(object.names == ["a", "b", "c", "d"])
        #expect(object["b"] == "two")
        object["a"] = nil
        #expect(object.names == ["b", "c", "d"])
        #expect(object.removeValue(forKey: "c") == 3)
        #expect(object.removeValue(forKey: "zz") == nil)
        #expect(object.updateValue(true, forKey: "d") == 4)
        #expect(object.count == 2)
        #expect(!object.isEmpty)
        #expect(object.values == ["two", true])
    }

    @Test(
        "large objects keep lookups, updates and removals consistent",
        arguments: [5, JSONObject.indexThreshold, JSONObject.indexThreshold + 1, 40]
    )
    func largeObjects(_ size: Int) {
        var object = JSONObject()
        for i in 0..<size { object["k\(i)"] = .number(JSONNumber(i)) }
        #expect(object.count == size)
        for i in stride(from: 0, to: size, by: 2) { object.removeValue(forKey: "k\(i)") }
        #expect(object.count == size / 2)
        for i in 0..<size {
            #expect(object["k\(i)"] == (i % 2 == 0 ? nil : .number(JSONNumber(i))))
        }
        object["k0"] = "back"
        #expect(object.names.last == "k0")
        #expect(object["k0"] == "back")
    }

    @Test("names compare by code points, not canonical equivalence")
    func codePoints() throws {
        var object: JSONObject = ["\u{E9}": 1]
        #expect(object["e\u{301}"] == nil)
        object["e\u{301}"] = 2
        #expect(object.count == 2)
        let many = try JSONObject((0..<20).map { ("n\($0)", JSONValue(Int($0))) } + [("e\u{301}", 1)])
        #expect(many["\u{E9}"] == nil)
        #expect(many["e\u{301}"] == 1)
    }

    @Test("equality ignores member order; hashing agrees")
    func equality() {
        let a: JSONObject = ["x": 1, "y": [1, 2]]
        let b: JSONObject = ["y": [1, 2], "x": 1]
        let c: JSONObject = ["x": 1, "y": [2, 1]]
        #expect(a == b)
        #expect(a != c)
        #expect(a != ["x": 1])
        #expect(a != ["x": 1, "z": [1, 2]])
        #expect(Set([JSONValue.object(a), .object(b), .object(c)]).count == 2)
        // Strings that are canonically equivalent are still different JSON strings.
        #expect(JSONValue.string("\u{E9}") != .string("e\u{301}"))
        #expect(Set([JSONValue.string("\u{E9}"), .string("e\u{301}")]).count == 2)
    }

    @Test("iteration yields named pairs in order")
    func iteration() {
        let object: JSONObject = ["b": 1, "a": 2]
        var seen: [String] = []
        for (name, value) in object {
            seen.append(name)
            #expect(value.intValue != nil)
        }
        #expect(seen == ["b", "a"])
    }

    @Test("accessors return nil on type mismatch")
    func accessors() throws {
        let value = try JSONValue.parse(#"{"s":"x","n":3,"f":1.5,"b":false,"a":[1],"o":{},"z":null}"#)
        #expect(value["s"]?.stringValue == "x")
        #expect(value["n"]?.int64Value == 3)
        #expect(value["n"]?.intValue == 3)
        #expect(value["f"]?.doubleValue == 1.5)
        #expect(value["f"]?.int64Value == nil)
        #expect(value["b"]?.boolValue == false)
        #expect(value["a"]?.arrayValue == [1])
        #expect(value["a"]?[0] == 1)
        #expect(value["a"]?[1] == nil)
        #expect(value["a"]?[-1] == nil)
        #expect(value["a"]?.stringArrayValue == nil)
        #expect(try JSONValue.parse(#"["x","y"]"#).stringArrayValue == ["x", "y"])
        #expect(try JSONValue.parse(#"["x",1]"#).stringArrayValue == nil)
        #expect(try JSONValue.parse("[]").stringArrayValue == [])
        #expect(value["s"]?.stringArrayValue == nil)
        #expect(value["o"]?.objectValue == JSONObject())
        #expect(value["z"]?.isNull == true)
        #expect(value["s"]?.isNull == false)
        #expect(value["s"]?.int64Value == nil)
        #expect(value["n"]?.stringValue == nil)
        #expect(value["missing"] == nil)
        #expect(value["s"]?["x"] == nil)
        #expect(value[0] == nil)
    }
}
