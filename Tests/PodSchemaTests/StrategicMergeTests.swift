import JSON
import PodSchema
import Testing

/// Each expected result is what `kubectl patch --local --type strategic` (kubectl 1.37) prints for the same
/// original and patch; the differential test in TaskPodTests checks the Pod-level cases against kubectl itself.
@Suite("Strategic merge patch, schema-driven")
struct StrategicMergeTests {
    struct Case: Sendable, CustomStringConvertible {
        var name: String
        var original: String
        var patch: String
        var expected: String
        var description: String { name }
    }

    static let pod = #"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"containers":[{"name":"a","image":"x"},{"name":"b","image":"y"},{"name":"c","image":"z"}]}}"#

    static func spec(_ json: String) -> String { #"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":\#(json)}"# }

    static let cases: [Case] = [
        Case(name: "containers merge by name; a new one goes right after the patch's elements it follows",
             original: pod, patch: #"{"spec":{"containers":[{"name":"b","image":"Y"},{"name":"x","image":"new"}]}}"#,
             expected: spec(#"{"containers":[{"name":"a","image":"x"},{"name":"b","image":"Y"},{"name":"x","image":"new"},{"name":"c","image":"z"}]}"#)),
        Case(name: "the patch's order wins for the elements it names",
             original: pod, patch: #"{"spec":{"containers":[{"name":"c","image":"C"},{"name":"a","image":"A"}]}}"#,
             expected: spec(#"{"containers":[{"name":"b","image":"y"},{"name":"c","image":"C"},{"name":"a","image":"A"}]}"#)),
        Case(name: "a new element alone comes first",
             original: pod, patch: #"{"spec":{"containers":[{"name":"n","image":"N"}]}}"#,
             expected: spec(#"{"containers":[{"name":"n","image":"N"},{"name":"a","image":"x"},{"name":"b","image":"y"},{"name":"c","image":"z"}]}"#)),
        Case(name: "nulls and directives inside a new element of a merged list are kept as they are",
             original: pod, patch: #"{"spec":{"containers":[{"name":"n","image":null,"env":[{"name":"A","$patch":"delete"}]}]}}"#,
             expected: spec(#"{"containers":[{"name":"n","image":null,"env":[{"name":"A","$patch":"delete"}]},{"name":"a","image":"x"},{"name":"b","image":"y"},{"name":"c","image":"z"}]}"#)),
        Case(name: "$patch: delete removes an element by its merge key",
             original: pod, patch: #"{"spec":{"containers":[{"name":"b","$patch":"delete"}]}}"#,
             expected: spec(#"{"containers":[{"name":"a","image":"x"},{"name":"c","image":"z"}]}"#)),
        Case(name: "$patch: replace in a list replaces the list with the patch's elements",
             original: pod, patch: #"{"spec":{"containers":[{"name":"x","image":"X"},{"$patch":"replace"}]}}"#,
             expected: spec(#"{"containers":[{"name":"x","image":"X"}]}"#)),
        Case(name: "$setElementOrder orders the list",
             original: pod, patch: #"{"spec":{"$setElementOrder/containers":[{"name":"c"},{"name":"a"},{"name":"b"}]}}"#,
             expected: spec(#"{"containers":[{"name":"c","image":"z"},{"name":"a","image":"x"},{"name":"b","image":"y"}]}"#)),
        Case(name: "$setElementOrder with a new element",
             original: pod,
             patch: #"{"spec":{"$setElementOrder/containers":[{"name":"c"},{"name":"new"},{"name":"a"}],"containers":[{"name":"new","image":"n"}]}}"#,
             expected: spec(#"{"containers":[{"name":"b","image":"y"},{"name":"c","image":"z"},{"name":"new","image":"n"},{"name":"a","image":"x"}]}"#)),
        Case(name: "maps merge; null deletes a key; nulls in a new map are dropped",
             original: spec(#"{"containers":[],"nodeSelector":{"a":"1","b":"2"}}"#),
             patch: #"{"spec":{"nodeSelector":{"a":null,"c":"3"},"affinity":{"nodeAffinity":null}}}"#,
             expected: spec(#"{"containers":[],"nodeSelector":{"b":"2","c":"3"},"affinity":{}}"#)),
        Case(name: "$patch: replace on a map replaces it; on an absent key the key is dropped",
             original: spec(#"{"containers":[],"nodeSelector":{"a":"1"}}"#),
             patch: #"{"spec":{"nodeSelector":{"$patch":"replace","c":"3"},"securityContext":{"$patch":"replace","runAsUser":1}}}"#,
             expected: spec(#"{"containers":[],"nodeSelector":{"c":"3"}}"#)),
        Case(name: "$patch: delete on a map leaves it empty; on an absent key nothing",
             original: spec(#"{"containers":[],"nodeSelector":{"a":"1"}}"#),
             patch: #"{"spec":{"nodeSelector":{"$patch":"delete"},"dnsConfig":{"$patch":"delete"}}}"#,
             expected: spec(#"{"containers":[],"nodeSelector":{}}"#)),
        Case(name: "lists without a merge strategy are replaced, nulls and all",
             original: spec(#"{"containers":[{"name":"a","args":["1","2"],"command":["x"]}],"tolerations":[{"key":"a"}]}"#),
             patch: #"{"spec":{"tolerations":[{"key":"b","value":null}],"containers":[{"name":"a","args":["3"]}]}}"#,
             expected: spec(#"{"containers":[{"name":"a","args":["3"],"command":["x"]}],"tolerations":[{"key":"b","value":null}]}"#)),
        Case(name: "env merges by name; resources deep-merge",
             original: spec(#"{"containers":[{"name":"a","env":[{"name":"A","value":"1"},{"name":"B","value":"2"}],"resources":{"requests":{"cpu":"1","memory":"1Gi"},"limits":{"memory":"2Gi"}}}]}"#),
             patch: #"{"spec":{"containers":[{"name":"a","env":[{"name":"B","value":"3"},{"name":"C","value":"4"}],"resources":{"requests":{"memory":"3Gi"},"limits":null}}]}}"#,
             expected: spec(#"{"containers":[{"name":"a","env":[{"name":"A","value":"1"},{"name":"B","value":"3"},{"name":"C","value":"4"}],"resources":{"requests":{"cpu":"1","memory":"3Gi"}}}]}"#)),
        Case(name: "volumeMounts by mountPath, ports by containerPort (an integer key)",
             original: spec(#"{"containers":[{"name":"a","volumeMounts":[{"name":"d","mountPath":"/d"}],"ports":[{"containerPort":80},{"containerPort":81,"protocol":"UDP"}]}]}"#),
             patch: #"{"spec":{"containers":[{"name":"a","volumeMounts":[{"mountPath":"/d","readOnly":true}],"ports":[{"containerPort":81,"name":"dns"},{"containerPort":82}]}]}}"#,
             expected: spec(#"{"containers":[{"name":"a","volumeMounts":[{"name":"d","mountPath":"/d","readOnly":true}],"ports":[{"containerPort":80},{"containerPort":81,"protocol":"UDP","name":"dns"},{"containerPort":82}]}]}"#)),
        Case(name: "$retainKeys clears the keys it does not list",
             original: spec(#"{"containers":[],"volumes":[{"name":"v","emptyDir":{}}]}"#),
             patch: #"{"spec":{"volumes":[{"name":"v","hostPath":{"path":"/x"},"$retainKeys":["name","hostPath"]}]}}"#,
             expected: spec(#"{"containers":[],"volumes":[{"name":"v","hostPath":{"path":"/x"}}]}"#)),
        Case(name: "finalizers merge as a set; $deleteFromPrimitiveList removes",
             original: #"{"metadata":{"finalizers":["a","b","c"]}}"#,
             patch: #"{"metadata":{"finalizers":["d","a"],"$deleteFromPrimitiveList/finalizers":["c"]}}"#,
             expected: #"{"metadata":{"finalizers":["d","a","b"]}}"#),
        Case(name: "a value of another kind replaces the original",
             original: spec(#"{"containers":[],"nodeSelector":{"a":"1"}}"#),
             patch: #"{"spec":{"nodeSelector":"none","containers":{"name":"a"}}}"#,
             expected: spec(#"{"containers":{"name":"a"},"nodeSelector":"none"}"#)),
        Case(name: "a new key takes the patch's value without directives",
             original: spec(#"{"containers":[]}"#),
             patch: #"{"spec":{"initContainers":[{"name":"i","image":"x"},{"name":"j","$patch":"delete"}]}}"#,
             expected: spec(#"{"containers":[],"initContainers":[{"name":"i","image":"x"}]}"#)),
        Case(name: "$patch: replace at the top replaces the document",
             original: pod, patch: #"{"$patch":"replace","kind":"Pod"}"#, expected: #"{"kind":"Pod"}"#),
        Case(name: "imagePullSecrets and hostAliases by their keys",
             original: spec(#"{"containers":[],"imagePullSecrets":[{"name":"r"}],"hostAliases":[{"ip":"10.0.0.1","hostnames":["a"]}]}"#),
             patch: #"{"spec":{"imagePullSecrets":[{"name":"s"}],"hostAliases":[{"ip":"10.0.0.1","hostnames":["b"]}]}}"#,
             expected: spec(#"{"containers":[],"imagePullSecrets":[{"name":"s"},{"name":"r"}],"hostAliases":[{"ip":"10.0.0.1","hostnames":["b"]}]}"#)),
        Case(name: "ephemeralContainers and initContainers by name",
             original: spec(#"{"containers":[],"initContainers":[{"name":"i","image":"1"}],"ephemeralContainers":[{"name":"e","image":"1"}]}"#),
             patch: #"{"spec":{"initContainers":[{"name":"i","image":"2"}],"ephemeralContainers":[{"name":"e","image":"2"}]}}"#,
             expected: spec(#"{"containers":[],"initContainers":[{"name":"i","image":"2"}],"ephemeralContainers":[{"name":"e","image":"2"}]}"#)),
    ]

    @Test("merges as kubectl does", arguments: cases)
    func merge(_ testCase: Case) throws {
        let result = try StrategicMerge.apply(JSONValue(parsing: testCase.patch), to: JSONValue(parsing: testCase.original))
        let expected = try JSONValue(parsing: testCase.expected)
        #expect(result == expected, "\(result.prettyJSONString)")
    }

    static let refused: [(String, String, String)] = [
        (#"{"spec":{"containers":[{"image":"noname"}]}}"#, "spec.containers[0]", "merge key"),
        (#"{"spec":{"containers":[{"name":"a","$patch":"merge"}]}}"#, "spec.containers[0]", "merging is the default"),
        (#"{"spec":{"containers":[{"name":"a","$patch":"explode"}]}}"#, "spec.containers[0]", "use replace or delete"),
        (#"{"spec":{"nodeSelector":{"$patch":"merge"}}}"#, "spec.nodeSelector", "use replace or delete"),
        (#"{"spec":{"$setElementOrder/containers":[{"name":"a"}],"containers":[{"name":"b","image":"B"}]}}"#, "spec.containers", "$setElementOrder"),
        (#"{"spec":{"volumes":[{"name":"v","hostPath":{"path":"/x"},"$retainKeys":["name"]}]}}"#, "spec.volumes[v].$retainKeys", "hostPath"),
        (#"{"spec":{"containers":[{"name":"a","bogus":{"x":1}}]}}"#, "", ""),
    ]

    @Test("refuses what kubectl refuses, naming where")
    func refuses() throws {
        let original = try JSONValue(parsing: Self.spec(
            #"{"containers":[{"name":"a","image":"x","bogus":{"y":2}}],"nodeSelector":{"a":"1"},"volumes":[{"name":"v","emptyDir":{}}]}"#))
        for (patch, path, message) in Self.refused {
            let patchValue = try JSONValue(parsing: patch)
            do {
                _ = try StrategicMerge.apply(patchValue, to: original)
                Issue.record("accepted \(patch)")
            } catch {
                if !message.isEmpty {
                    #expect(error.path == path, "\(patch): \(error)")
                    #expect(error.message.contains(message), "\(patch): \(error)")
                } else {
                    #expect(error.message.contains("unknown field \"bogus\""), "\(error)")
                }
            }
        }
        #expect(throws: StrategicMergeError.self) { try StrategicMerge.apply("x", to: original) }
    }
}
