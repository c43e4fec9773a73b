// swift-tools-version:6.1
import PackageDescription

// One settings loop for upcoming features, applied to every Swift target.
let upcoming: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

var package = Package(
    name: "taskpod",
    platforms: [.macOS(.v15)],
    products: [
        // The controller and CLI: the one binary a container image ships. It links no simulator code.
        .executable(name: "taskpod", targets: ["TaskPodCLI"]),
        // The simulator (a Kubernetes API server double) for tests, benchmarks and the demo.
        .executable(name: "kubesim", targets: ["KubeSimCLI"]),
        .library(name: "TaskPod", targets: ["TaskPod"]),
        .library(name: "KubeClient", targets: ["KubeClient"]),
        .library(name: "KubeSim", targets: ["KubeSim"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.6.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.6.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.0", traits: []),
        .package(url: "https://github.com/vapor/sqlite-nio.git", from: "1.13.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.81.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.0.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
    ],
    targets: [
        // C libraries, each behind a system-library target with static inline shims.
        .systemLibrary(
            name: "CCurl",
            pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]
        ),
        .systemLibrary(
            name: "CYAML",
            pkgConfig: "yaml-0.1",
            providers: [.apt(["libyaml-dev"])]
        ),

        .target(name: "JSON"),
        .target(name: "YAML", dependencies: ["CYAML", "JSON"]),
        // What Kubernetes knows of a Pod: its schema, strategic merge, quantities. Shared by taskpod and KubeSim.
        .target(name: "PodSchema", dependencies: ["JSON"]),
        .target(
            name: "KubeClient",
            dependencies: [
                "CCurl", "JSON", "YAML",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "KubeSim",
            dependencies: [
                "JSON", "YAML", "PodSchema",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "HummingbirdHTTP2", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "TaskStore",
            dependencies: [
                "JSON",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "SQLiteNIO", package: "sqlite-nio"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "TaskPod",
            dependencies: [
                "JSON", "YAML", "PodSchema", "KubeClient", "TaskStore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // The HTTP API of `taskpod controller --listen`.
        .target(
            name: "TaskPodServer",
            dependencies: [
                "JSON", "TaskPod", "TaskStore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // The Prometheus side of the metrics the libraries emit through swift-metrics, and the process's one bootstrap.
        .target(
            name: "TaskPodMetrics",
            dependencies: [
                "TaskPod", "KubeClient",
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        // Flags shared by the two executables.
        .target(
            name: "CLISupport",
            dependencies: [
                "JSON",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "TaskPodCLI",
            dependencies: [
                "TaskPod", "TaskPodServer", "TaskPodMetrics", "PodSchema", "KubeClient", "TaskStore", "YAML", "JSON", "CLISupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "KubeSimCLI",
            dependencies: [
                "KubeSim", "JSON", "CLISupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ]
        ),

        // Test support, split by what it needs: temporary folders, child processes and the PostgreSQL test server
        // (no simulator); KubeSim in process or as a child process; the chaos harness.
        .target(
            name: "TestSupport",
            dependencies: [.product(name: "Logging", package: "swift-log")]
        ),
        .target(
            name: "KubeSimTestKit",
            dependencies: ["TestSupport", "KubeSim", "KubeClient", "JSON",
                           .product(name: "Logging", package: "swift-log"),
                           .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")]
        ),
        .target(
            name: "ChaosHarness",
            dependencies: ["TestSupport", "KubeSimTestKit", "KubeClient", "TaskStore", "TaskPod", "JSON", "YAML",
                           .product(name: "Logging", package: "swift-log")]
        ),

        // Benchmarks: run by `make bench`, outside the test run.
        .target(
            name: "BenchmarkSuite",
            dependencies: ["KubeClient", "KubeSimTestKit", "TestSupport", "TaskStore", "TaskPod", "JSON",
                           .product(name: "Logging", package: "swift-log")],
            path: "Benchmarks/Suite"
        ),
        .executableTarget(
            name: "ClientBenchmarks",
            dependencies: ["BenchmarkSuite"],
            path: "Benchmarks/ClientBenchmarks"
        ),
        .executableTarget(
            name: "SubmitBench",
            dependencies: ["TaskPodServer", "TaskPod", "TaskStore", "KubeClient", "JSON", "TestSupport",
                           .product(name: "Logging", package: "swift-log"),
                           .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")],
            path: "Benchmarks/SubmitBench"
        ),
        .executableTarget(
            name: "ChaosRunner",
            dependencies: ["ChaosHarness", "TestSupport", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Benchmarks/Chaos"
        ),
        .executableTarget(
            name: "SoakBenchmark",
            dependencies: ["KubeSimTestKit", "TestSupport", "TaskStore", "KubeClient", "JSON",
                           .product(name: "ArgumentParser", package: "swift-argument-parser"),
                           .product(name: "Logging", package: "swift-log")],
            path: "Benchmarks/Soak"
        ),

        .testTarget(name: "JSONTests", dependencies: ["JSON"]),
        .testTarget(name: "YAMLTests", dependencies: ["YAML", "JSON"]),
        .testTarget(name: "KubeClientTests", dependencies: ["KubeClient", "KubeSim", "KubeSimTestKit", "TestSupport", "JSON", "YAML",
                                                          .product(name: "MetricsTestKit", package: "swift-metrics")]),
        .testTarget(name: "KubeSimTests", dependencies: [
            "KubeSim", "JSON", "PodSchema", .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"), .product(name: "NIOTLS", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
        ]),
        .testTarget(name: "TaskStoreTests", dependencies: ["TaskStore", "TestSupport", "JSON",
                                                         .product(name: "Logging", package: "swift-log")]),
        .testTarget(name: "PodSchemaTests", dependencies: ["PodSchema", "JSON"]),
        .testTarget(name: "CompatibilityTests", dependencies: ["KubeSimTestKit", "TestSupport", "JSON"]),
        .testTarget(name: "ChaosTests", dependencies: ["ChaosHarness", "BenchmarkSuite", "KubeSimTestKit", "TestSupport", "TaskStore", "KubeClient", "JSON",
                                                     .product(name: "Logging", package: "swift-log")]),
        .testTarget(name: "TaskPodCLITests", dependencies: ["TestSupport", "KubeSimTestKit", "KubeClient", "JSON"]),
        .testTarget(name: "CLISupportTests", dependencies: ["CLISupport", "JSON", .product(name: "Logging", package: "swift-log")]),
        .testTarget(name: "TaskPodServerTests", dependencies: [
            "TaskPodServer", "TaskPod", "TaskStore", "KubeClient", "TestSupport", "JSON", "YAML",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        .testTarget(name: "TaskPodTests", dependencies: ["TaskPod", "TaskPodMetrics", "PodSchema", "KubeSimTestKit", "TestSupport", "KubeSim", "TaskStore",
                                                       "KubeClient", "JSON", .product(name: "Logging", package: "swift-log"),
                                                       .product(name: "Metrics", package: "swift-metrics")]),
    ]
)

for target in package.targets where target.type != .system {
    target.swiftSettings = (target.swiftSettings ?? []) + upcoming
}
