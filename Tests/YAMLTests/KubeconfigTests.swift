import JSON
import Testing
import YAML

@Suite("Kubeconfig")
struct KubeconfigTests {
    /// A kubeconfig as `kubectl config view --raw` writes it, with one user of each kind.
    static let kubeconfig = """
        apiVersion: v1
        kind: Config
        preferences: {}
        current-context: kind-taskpod
        clusters:
        - cluster:
            certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUJkekNDQVIyZ0F3SUJBZ0lCQURBS0JnZ3Foa2pPUFFRREFqQWpNU0V3SHdZRFZRUUREQmhyTTNNdGMyVnkKLS0tLS1FTkQgQ0VSVElGSUNBVEUtLS0tLQo=
            server: https://127.0.0.1:6443
          name: kind-taskpod
        - cluster:
            insecure-skip-tls-verify: true
            server: https://10.0.0.1:443
            proxy-url: http://proxy.internal:3128
          name: staging
        contexts:
        - context:
            cluster: kind-taskpod
            user: kind-taskpod
            namespace: default
          name: kind-taskpod
        - context:
            cluster: staging
            user: staging-token
          name: staging
        - context:
            cluster: staging
            user: gke-exec
            namespace: "0755"
          name: gke
        users:
        - name: kind-taskpod
          user:
            client-certificate-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSURJVENDQWdtZ0F3SUJBZ0lJYm5xTGZTSFp2Qm93RFFZSktvWklodmNOQVFFTEJRQXcKLS0tLS1FTkQgQ0VSVElGSUNBVEUtLS0tLQo=
            client-key-data: LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQpNSUlFb3dJQkFBS0NBUUVBNnd3Ci0tLS0tRU5EIFJTQSBQUklWQVRFIEtFWS0tLS0tCg==
        - name: staging-token
          user:
            token: eyJhbGciOiJSUzI1NiIsImtpZCI6IiJ9.eyJpc3MiOiJrdWJlcm5ldGVzL3NlcnZpY2VhY2NvdW50In0.c2lnbmF0dXJl
        - name: gke-exec
          user:
            exec:
              apiVersion: client.authentication.k8s.io/v1beta1
              command: gke-gcloud-auth-plugin
              args:
              - --use_application_default_credentials
              - "--verbosity=9"
              env:
              - name: CLOUDSDK_CORE_PROJECT
                value: my-project
              - name: USE_GKE_GCLOUD_AUTH_PLUGIN
                value: "True"
              - name: EMPTY
                value: ""
              installHint: |
                Install gke-gcloud-auth-plugin for use with kubectl by following
                https://cloud.google.com/kubernetes-engine/docs/how-to/cluster-access-for-kubectl
              provideClusterInfo: true
              interactiveMode: IfAvailable

        """

    @Test("top-level fields")
    func topLevel() throws {
        let config = try YAML.parse(Self.kubeconfig)
        #expect(config["apiVersion"] == "v1")
        #expect(config["kind"] == "Config")
        #expect(config["preferences"] == .object([:]))
        #expect(config["current-context"] == "kind-taskpod")
        #expect(config.objectValue?.keys == ["apiVersion", "kind", "preferences", "current-context", "clusters",
                                             "contexts", "users"])
    }

    @Test("clusters")
    func clusters() throws {
        let config = try YAML.parse(Self.kubeconfig)
        let clusters = try #require(config["clusters"]?.arrayValue)
        try #require(clusters.count == 2)

        #expect(clusters[0]["name"] == "kind-taskpod")
        #expect(clusters[0][path: "cluster", "server"] == "https://127.0.0.1:6443")
        let authority = try #require(clusters[0][path: "cluster", "certificate-authority-data"]?.stringValue)
        #expect(authority.hasPrefix("LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0t"))
        #expect(authority.hasSuffix("LS0tLS1FTkQgQ0VSVElGSUNBVEUtLS0tLQo="))

        #expect(clusters[1]["name"] == "staging")
        #expect(clusters[1][path: "cluster", "insecure-skip-tls-verify"] == true)
        #expect(clusters[1][path: "cluster", "server"] == "https://10.0.0.1:443")
        #expect(clusters[1][path: "cluster", "proxy-url"] == "http://proxy.internal:3128")
    }

    @Test("contexts")
    func contexts() throws {
        let config = try YAML.parse(Self.kubeconfig)
        let contexts = try #require(config["contexts"]?.arrayValue)
        #expect(contexts.count == 3)
        #expect(contexts[0] == [
            "context": ["cluster": "kind-taskpod", "user": "kind-taskpod", "namespace": "default"],
            "name": "kind-taskpod",
        ])
        #expect(contexts[1][path: "context", "user"] == "staging-token")
        #expect(contexts[1][path: "context", "namespace"] == nil)
        // Quoted, so it stays a string even though it reads as a number plain.
        #expect(contexts[2][path: "context", "namespace"] == "0755")
    }

    @Test("users with client certificates, a token, and an exec plugin")
    func users() throws {
        let config = try YAML.parse(Self.kubeconfig)
        let users = try #require(config["users"]?.arrayValue)
        try #require(users.count == 3)

        #expect(users[0]["name"] == "kind-taskpod")
        let certificate = try #require(users[0][path: "user", "client-certificate-data"]?.stringValue)
        #expect(certificate.count == 144)
        #expect(users[0][path: "user", "client-key-data"] == """
            LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQpNSUlFb3dJQkFBS0NBUUVBNnd3Ci0tLS0tRU5EIFJTQSBQUklWQVRFIEtFWS0tLS0tCg==
            """)

        #expect(users[1][path: "user", "token"]
            == "eyJhbGciOiJSUzI1NiIsImtpZCI6IiJ9.eyJpc3MiOiJrdWJlcm5ldGVzL3NlcnZpY2VhY2NvdW50In0.c2lnbmF0dXJl")

        let exec = try #require(users[2][path: "user", "exec"])
        #expect(exec["apiVersion"] == "client.authentication.k8s.io/v1beta1")
        #expect(exec["command"] == "gke-gcloud-auth-plugin")
        #expect(exec["args"] == ["--use_application_default_credentials", "--verbosity=9"])
        #expect(exec["env"] == [
            ["name": "CLOUDSDK_CORE_PROJECT", "value": "my-project"],
            ["name": "USE_GKE_GCLOUD_AUTH_PLUGIN", "value": "True"],
            ["name": "EMPTY", "value": ""],
        ])
        #expect(exec["installHint"] == """
            Install gke-gcloud-auth-plugin for use with kubectl by following
            https://cloud.google.com/kubernetes-engine/docs/how-to/cluster-access-for-kubectl

            """)
        #expect(exec["provideClusterInfo"] == true)
        #expect(exec["interactiveMode"] == "IfAvailable")
    }

    @Test("serializing the kubeconfig reads back the same")
    func roundTrip() throws {
        let config = try YAML.parse(Self.kubeconfig)
        #expect(try YAML.parse(YAML.serialize(config)) == config)
    }
}
