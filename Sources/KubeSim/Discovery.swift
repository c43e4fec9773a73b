import JSON

/// The discovery documents clients read first: `/version`, `/api`, `/api/v1`, `/apis`, `/apis/coordination.k8s.io`
/// and `/apis/coordination.k8s.io/v1`, plain or aggregated (`apidiscovery.k8s.io/v2`) as the client asks.
enum Discovery {
    /// The media type of aggregated discovery, as `kubectl` asks for it first.
    static let aggregatedMediaType = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"

    static let version: JSONValue = [
        "major": "1", "minor": "37", "emulationMajor": "1", "emulationMinor": "37", "minCompatibilityMajor": "1",
        "minCompatibilityMinor": "36", "gitVersion": "v1.37.0-kubesim",
        "gitCommit": "0000000000000000000000000000000000000000", "gitTreeState": "clean",
        "buildDate": "2026-04-01T00:00:00Z", "goVersion": "go1.26.1", "compiler": "gc", "platform": "linux/amd64",
    ]

    /// Whether `accept` asks for aggregated discovery (v2, or v2beta1 answered as v2).
    static func wantsAggregated(_ accept: String?) -> Bool {
        guard let accept else { return false }
        return accept.split(separator: ",").contains { range in
            let parameters = Set(range.split(separator: ";").map { String($0).trimmingWhitespace })
            return parameters.contains("as=APIGroupDiscoveryList") && parameters.contains("g=apidiscovery.k8s.io")
                && parameters.contains("v=v2")
        }
    }

    static func apiVersions(serverAddress: String) -> JSONValue {
        [
            "kind": "APIVersions", "versions": ["v1"],
            "serverAddressByClientCIDRs": [["clientCIDR": "0.0.0.0/0", "serverAddress": .string(serverAddress)]],
        ]
    }

    private static let podVerbs: JSONValue = ["create", "delete", "get", "list", "patch", "update", "watch"]
    private static let statusVerbs: JSONValue = ["get", "patch", "update"]
    private static let eventVerbs: JSONValue = ["get", "list", "watch"]
    private static let leaseVerbs: JSONValue = ["create", "delete", "get", "list", "patch", "update"]

    /// The core group's resources in name order, as the API server lists them, with the verbs KubeSim serves.
    static let resourceList: JSONValue = [
        "kind": "APIResourceList", "groupVersion": "v1",
        "resources": [
            [
                "name": "events", "singularName": "event", "namespaced": true, "kind": "Event", "verbs": eventVerbs,
                "shortNames": ["ev"],
            ],
            [
                "name": "pods", "singularName": "pod", "namespaced": true, "kind": "Pod", "verbs": podVerbs,
                "shortNames": ["po"], "categories": ["all"],
            ],
            ["name": "pods/log", "singularName": "", "namespaced": true, "kind": "Pod", "verbs": ["get"]],
            ["name": "pods/status", "singularName": "", "namespaced": true, "kind": "Pod", "verbs": statusVerbs],
        ],
    ]

    static let coordinationGroup: JSONValue = [
        "name": "coordination.k8s.io",
        "versions": [["groupVersion": "coordination.k8s.io/v1", "version": "v1"]],
        "preferredVersion": ["groupVersion": "coordination.k8s.io/v1", "version": "v1"],
    ]

    static let groupList: JSONValue = ["kind": "APIGroupList", "apiVersion": "v1", "groups": [coordinationGroup]]

    /// `/apis/coordination.k8s.io`: the APIGroup.
    static let coordination: JSONValue = {
        var group = coordinationGroup
        group["kind"] = "APIGroup"
        group["apiVersion"] = "v1"
        return PodDefaults.reorder(group, ["kind", "apiVersion", "name", "versions", "preferredVersion"])
    }()

    static let coordinationResources: JSONValue = [
        "kind": "APIResourceList", "apiVersion": "v1", "groupVersion": "coordination.k8s.io/v1",
        "resources": [
            ["name": "leases", "singularName": "lease", "namespaced": true, "kind": "Lease", "verbs": leaseVerbs],
        ],
    ]

    /// `/api` as aggregated discovery.
    static let aggregatedCore: JSONValue = aggregated([
        [
            "metadata": ["creationTimestamp": .null],
            "versions": [
                [
                    "version": "v1", "freshness": "Current",
                    "resources": [
                        [
                            "resource": "events", "responseKind": ["group": "", "version": "v1", "kind": "Event"],
                            "scope": "Namespaced", "singularResource": "event", "verbs": eventVerbs,
                            "shortNames": ["ev"],
                        ],
                        [
                            "resource": "pods", "responseKind": ["group": "", "version": "v1", "kind": "Pod"],
                            "scope": "Namespaced", "singularResource": "pod", "verbs": podVerbs,
                            "shortNames": ["po"], "categories": ["all"],
                            "subresources": [
                                [
                                    "subresource": "log",
                                    "responseKind": ["group": "", "version": "v1", "kind": "Pod"], "verbs": ["get"],
                                ],
                                [
                                    "subresource": "status",
                                    "responseKind": ["group": "", "version": "v1", "kind": "Pod"], "verbs": statusVerbs,
                                ],
                            ],
                        ],
                    ],
                ],
            ],
        ],
    ])

    /// `/apis` as aggregated discovery.
    static let aggregatedGroups: JSONValue = aggregated([
        [
            "metadata": ["name": "coordination.k8s.io", "creationTimestamp": .null],
            "versions": [
                [
                    "version": "v1", "freshness": "Current",
                    "resources": [
                        [
                            "resource": "leases",
                            "responseKind": ["group": "coordination.k8s.io", "version": "v1", "kind": "Lease"],
                            "scope": "Namespaced", "singularResource": "lease", "verbs": leaseVerbs,
                        ],
                    ],
                ],
            ],
        ],
    ])

    private static func aggregated(_ items: [JSONValue]) -> JSONValue {
        ["kind": "APIGroupDiscoveryList", "apiVersion": "apidiscovery.k8s.io/v2", "metadata": .object([:]),
         "items": .array(items)]
    }
}
