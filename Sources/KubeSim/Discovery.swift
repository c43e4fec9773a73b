import JSON

/// The discovery documents clients read first: `/version`, `/api`, `/api/v1`, `/apis`.
enum Discovery {
    static let version: JSONValue = [
        "major": "1", "minor": "31", "gitVersion": "v1.31.0-kubesim",
        "gitCommit": "0000000000000000000000000000000000000000", "gitTreeState": "clean",
        "buildDate": "2024-08-13T00:00:00Z", "goVersion": "go1.22.5", "compiler": "gc", "platform": "linux/amd64",
    ]

    static func apiVersions(serverAddress: String) -> JSONValue {
        [
            "kind": "APIVersions", "versions": ["v1"],
            "serverAddressByClientCIDRs": [["clientCIDR": "0.0.0.0/0", "serverAddress": .string(serverAddress)]],
        ]
    }

    /// The core group's resources, with only the verbs KubeSim serves.
    static let resourceList: JSONValue = [
        "kind": "APIResourceList", "groupVersion": "v1",
        "resources": [
            [
                "name": "pods", "singularName": "pod", "namespaced": true, "kind": "Pod",
                "verbs": ["create", "delete", "get", "list", "patch", "watch"], "shortNames": ["po"],
                "categories": ["all"],
            ],
            ["name": "pods/log", "singularName": "", "namespaced": true, "kind": "Pod", "verbs": ["get"]],
            ["name": "pods/status", "singularName": "", "namespaced": true, "kind": "Pod", "verbs": ["get", "patch"]],
        ],
    ]

    static let groupList: JSONValue = ["kind": "APIGroupList", "apiVersion": "v1", "groups": []]
}
