import JSON
import PodSchema
import Testing

@Suite("Pod schema: the generated table and validation")
struct PodSchemaTests {
    @Test("the table holds the Pod's types, merge keys and patch strategies")
    func table() throws {
        #expect(PodSchema.types.count > 100)
        let spec = try #require(PodSchema.type(named: "PodSpec"))
        #expect(spec.required == ["containers"])
        let expectations: [(String, String, String?, PodSchema.PatchStrategy)] = [
            ("PodSpec", "containers", "name", .merge), ("PodSpec", "initContainers", "name", .merge),
            ("PodSpec", "ephemeralContainers", "name", .merge), ("PodSpec", "volumes", "name", [.merge, .retainKeys]),
            ("PodSpec", "imagePullSecrets", "name", .merge), ("PodSpec", "hostAliases", "ip", .merge),
            ("PodSpec", "tolerations", nil, []), ("Container", "env", "name", .merge),
            ("Container", "volumeMounts", "mountPath", .merge), ("Container", "ports", "containerPort", .merge),
            ("Container", "args", nil, []), ("Container", "command", nil, []), ("Container", "envFrom", nil, []),
            ("ObjectMeta", "finalizers", nil, .merge), ("ObjectMeta", "ownerReferences", "uid", .merge),
        ]
        for (type, field, key, strategy) in expectations {
            let found = try #require(PodSchema.field(field, of: type), "\(type).\(field)")
            #expect(found.mergeKey == key, "\(type).\(field)")
            #expect(found.patchStrategy == strategy, "\(type).\(field)")
        }
        #expect(PodSchema.field("requests", of: "ResourceRequirements")?.type == .map(.quantity, valueNullable: true))
        #expect(PodSchema.field("kind", of: "Pod")?.allowedValues == ["Pod"])
        #expect(PodSchema.field("containerPort", of: "ContainerPort")?.type == .integer(bits: 32))
    }

    struct Expectation: Sendable, CustomStringConvertible {
        var document: String
        var partial: Bool
        var path: String
        var kind: SchemaViolation.Kind
        var message: String
        var description: String { document }
    }

    static let violations: [Expectation] = [
        Expectation(document: #"{"spec":{"containers":[{"name":"base","resource":{}}]}}"#, partial: true,
                    path: "spec.containers[base].resource", kind: .unknownField(suggestion: "resources"), message: "did you mean \"resources\""),
        Expectation(document: #"{"spec":{"node_selector":{}}}"#, partial: true, path: "spec.node_selector",
                    kind: .unknownField(suggestion: "nodeSelector"), message: "nodeSelector"),
        Expectation(document: #"{"spec":{"containers":[{"name":"base","limits":{}}]}}"#, partial: true,
                    path: "spec.containers[base].limits", kind: .unknownField(suggestion: nil), message: "resources.limits"),
        Expectation(document: #"{"spec":{"volumeMounts":[]}}"#, partial: true, path: "spec.volumeMounts",
                    kind: .unknownField(suggestion: nil), message: "containers[].volumeMounts"),
        Expectation(document: #"{"spec":{"containers":[{"name":"base","args":"x"}]}}"#, partial: true,
                    path: "spec.containers[base].args", kind: .wrongType(expected: "a list of strings"), message: "must be a list of strings"),
        Expectation(document: #"{"spec":{"containers":[{"name":"base","ports":[{"containerPort":true}]}]}}"#, partial: true,
                    path: "spec.containers[base].ports[0].containerPort", kind: .wrongType(expected: "an integer"), message: "an integer"),
        Expectation(document: #"{"spec":{"containers":[{"name":"base","ports":[{"containerPort":3000000000}]}]}}"#, partial: true,
                    path: "spec.containers[base].ports[0].containerPort", kind: .invalidValue, message: "32-bit"),
        Expectation(document: #"{"spec":{"containers":[{"name":"base","resources":{"limits":{"memory":"1.5Gb"}}}]}}"#, partial: true,
                    path: "spec.containers[base].resources.limits.memory", kind: .invalidValue, message: "G or Gi"),
        Expectation(document: #"{"spec":{"overhead":{"cpu":true}}}"#, partial: true, path: "spec.overhead.cpu",
                    kind: .wrongType(expected: PodSchema.ValueType.quantity.description), message: "a quantity"),
        Expectation(document: #"{"kind":"Deployment"}"#, partial: true, path: "kind", kind: .invalidValue, message: "\"Pod\""),
        Expectation(document: #"{"spec":{"containers":[{"image":"x"}]}}"#, partial: true, path: "spec.containers[0].name",
                    kind: .missingField, message: "merge key"),
        Expectation(document: #"{"spec":{"containers":[{"image":"x"}]}}"#, partial: false, path: "spec.containers[0].name",
                    kind: .missingField, message: "is required in Container"),
        Expectation(document: #"{"spec":{}}"#, partial: false, path: "spec.containers", kind: .missingField, message: "required"),
        Expectation(document: #"{"spec":{"containers":null}}"#, partial: false, path: "spec.containers",
                    kind: .wrongType(expected: "a list of Container"), message: "not null"),
        Expectation(document: #"{"spec":{"containers":[{"name":"a","$patch":"delete"}]}}"#, partial: false,
                    path: "spec.containers[a].$patch", kind: .invalidDirective, message: "left in the merged Pod"),
        Expectation(document: #"{"spec":{"containers":[{"name":"a","$patch":"merge"}]}}"#, partial: true,
                    path: "spec.containers[a].$patch", kind: .invalidDirective, message: "use replace or delete"),
        Expectation(document: #"{"spec":{"$setElementOrder/nodeSelector":[]}}"#, partial: true,
                    path: "spec.$setElementOrder/nodeSelector", kind: .invalidDirective, message: "list field"),
        Expectation(document: #"{"spec":{"$deleteFromPrimitiveList/containers":[]}}"#, partial: true,
                    path: "spec.$deleteFromPrimitiveList/containers", kind: .invalidDirective, message: "$patch: delete"),
        Expectation(document: #"{"spec":{"$foo":1}}"#, partial: true, path: "spec.$foo", kind: .invalidDirective, message: "unknown directive"),
        Expectation(document: #"{"spec":{"volumes":[{"name":"v","$retainKeys":["name","hostpath"]}]}}"#, partial: true,
                    path: "spec.volumes[v].$retainKeys", kind: .invalidDirective, message: "\"hostpath\""),
        Expectation(document: #"{"metadata":{"labels":{"a":1}}}"#, partial: true, path: "metadata.labels.a",
                    kind: .wrongType(expected: "a string"), message: "must be a string"),
        Expectation(document: #"{"spec":{"containers":[null]}}"#, partial: true, path: "spec.containers[0]",
                    kind: .wrongType(expected: "an object (Container)"), message: "cannot be null"),
    ]

    @Test("violations name the path, the kind, and what would be valid", arguments: violations)
    func violation(_ expectation: Expectation) throws {
        let found = PodSchema.validate(try JSONValue(parsing: expectation.document), asPartial: expectation.partial)
        let match = found.first { $0.path.description == expectation.path }
        #expect(match?.kind == expectation.kind, "\(found)")
        #expect(match?.message.contains(expectation.message) == true, "\(found)")
    }

    @Test("valid documents have no violations; partial documents may delete and use directives")
    func valid() throws {
        let pod: JSONValue = try JSONValue(parsing: #"""
            {"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","labels":{"a":"b"}},
             "spec":{"containers":[{"name":"base","image":"x","ports":[{"containerPort":80}],
               "resources":{"requests":{"cpu":"500m","memory":1e9},"limits":{"cpu":2}},
               "readinessProbe":{"httpGet":{"port":"http","path":"/"}}}],
               "volumes":[{"name":"v","emptyDir":{"sizeLimit":"1Gi"}}],"nodeSelector":{"a":"b"}}}
            """#)
        #expect(PodSchema.validate(pod, asPartial: false) == [])
        let patch: JSONValue = try JSONValue(parsing: #"""
            {"metadata":{"labels":{"a":null},"$deleteFromPrimitiveList/finalizers":["x"]},
             "spec":{"$setElementOrder/containers":[{"name":"base"}],"nodeSelector":{"$patch":"replace"},
               "containers":[{"name":"base","image":null,"env":[{"name":"A","$patch":"delete"}]},{"$patch":"replace"}],
               "volumes":[{"name":"v","$retainKeys":["name","hostPath"],"hostPath":{"path":"/x"}}]}}
            """#)
        #expect(PodSchema.validate(patch, asPartial: true) == [])
    }

    @Test("paths name list elements by merge key, or by position the way the API server does")
    func paths() {
        let path: SchemaPath = [.field("spec"), .field("containers"), .element(1, name: "base"), .field("resources")]
        #expect(path.description == "spec.containers[base].resources")
        #expect(path.indexed == "spec.containers[1].resources")
    }

    @Test("nearest field suggestions")
    func suggestions() {
        #expect(PodSchema.nearestField(to: "imagepullpolicy", in: "Container") == "imagePullPolicy")
        #expect(PodSchema.nearestField(to: "image_pull_policy", in: "Container") == "imagePullPolicy")
        #expect(PodSchema.nearestField(to: "comand", in: "Container") == "command")
        #expect(PodSchema.nearestField(to: "zzzzzz", in: "Container") == nil)
        #expect(PodSchema.nearest(to: "cpus", among: ["cpu", "memory"]) == "cpu")
    }
}
