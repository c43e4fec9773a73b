import JSON
import Testing
import YAML

@Suite("Anchors, aliases and merge keys")
struct AnchorTests {
    @Test("an alias is a copy of the anchored node")
    func aliases() throws {
        let value = try YAML.parse("""
            defaults: &defaults
              image: busybox
              resources: &resources {cpu: 100m, memory: 64Mi}
            name: &name web
            first: *defaults
            second:
              resources: *resources
              name: *name
            list: &list [1, 2, *name]
            again: *list
            """)
        let defaults: JSONValue = ["image": "busybox", "resources": ["cpu": "100m", "memory": "64Mi"]]
        #expect(value["defaults"] == defaults)
        #expect(value["first"] == defaults)
        #expect(value["second"] == ["resources": ["cpu": "100m", "memory": "64Mi"], "name": "web"])
        #expect(value["list"] == [1, 2, "web"])
        #expect(value["again"] == [1, 2, "web"])
    }

    @Test("an anchor redefined later applies from there on; aliases do not cross documents")
    func redefinition() throws {
        let value = try YAML.parse("a: &x 1\nb: *x\nc: &x two\nd: *x\n")
        #expect(value == ["a": 1, "b": 1, "c": "two", "d": "two"])

        let error = #expect(throws: YAMLError.self) { try YAML.parseAll("a: &x 1\n---\nb: *x\n") }
        #expect(error == YAMLError(message: "unknown alias \"x\"", line: 3, column: 4))
    }

    @Test("an aliased scalar as a key takes its text")
    func aliasKey() throws {
        let value = try YAML.parse("a: &k 1\n*k : one\n")
        #expect(value == ["a": 1, "1": "one"])
    }

    @Test("merge keys: explicit keys win, keys go where << stood")
    func mergeOne() throws {
        let value = try YAML.parse("""
            base: &base
              image: busybox
              imagePullPolicy: Always
              restartPolicy: Never
            task:
              name: task-1
              <<: *base
              imagePullPolicy: IfNotPresent
            """)
        let task = try #require(value["task"]?.objectValue)
        #expect(task.keys == ["name", "image", "restartPolicy", "imagePullPolicy"])
        #expect(value["task"] == [
            "name": "task-1", "image": "busybox", "restartPolicy": "Never", "imagePullPolicy": "IfNotPresent",
        ])
    }

    @Test("merge keys: a list of mappings, earlier ones win")
    func mergeList() throws {
        let value = try YAML.parse("""
            - &CENTER {x: 1, y: 2}
            - &LEFT {x: 0, y: 2}
            - &BIG {r: 10}
            - &SMALL {r: 1}
            - # Merge multiple maps
              << : [*CENTER, *BIG]
              label: center/big
            - # Override
              << : [*BIG, *LEFT, *SMALL]
              x: 1
              label: center/big
            - <<: {a: 1, b: 2}
              b: 3
            """)
        let items = try #require(value.arrayValue)
        #expect(items[4] == ["x": 1, "y": 2, "r": 10, "label": "center/big"])
        #expect(items[5] == ["x": 1, "y": 2, "r": 10, "label": "center/big"])
        #expect(items[6] == ["a": 1, "b": 3])
    }

    @Test("a quoted << is an ordinary key")
    func quotedMergeKey() throws {
        #expect(try YAML.parse("\"<<\": {a: 1}\n") == ["<<": ["a": 1]])
        #expect(try YAML.parse("'<<': x\n") == ["<<": "x"])
    }

    @Test("merge keys: a value that is not a mapping is an error")
    func mergeErrors() {
        let scalar = #expect(throws: YAMLError.self) { try YAML.parse("a: 1\n<<: 2\n") }
        #expect(scalar?.line == 2)
        #expect(scalar?.column == 5)
        #expect(scalar?.message.contains("merge key") == true)

        let list = #expect(throws: YAMLError.self) { try YAML.parse("<<: [{a: 1}, 2]\n") }
        #expect(list?.line == 1)
        #expect(list?.column == 5)
    }

    @Test("an alias bomb is refused")
    func aliasBomb() {
        let bomb = """
            a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
            b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
            c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
            d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
            e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
            f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
            g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
            h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
            i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
            """
        let error = #expect(throws: YAMLError.self) { try YAML.parse(bomb) }
        #expect(error?.message.contains("aliases expand to more than 1000000 nodes") == true)
        #expect(error?.line == 7)
    }

    @Test("many small aliases are fine")
    func manyAliases() throws {
        var text = "x: &x {a: 1}\nitems:\n"
        for _ in 0..<10_000 { text += "- *x\n" }
        let items = try #require(try YAML.parse(text)["items"]?.arrayValue)
        #expect(items.count == 10_000)
        #expect(items.allSatisfy { $0 == ["a": 1] })
    }
}
