// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "SwiftDDP",
    products: [
        .executable(name: "swiftddp", targets: ["swiftddp"]),
        .executable(name: "swiftddp-bench", targets: ["SwiftDDPBench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
    ],
    targets: [
        // C libraries: each is imported by exactly one Swift module (platform.md §1).
        .systemLibrary(name: "CBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CMPI", pkgConfig: "ompi-c", providers: [.apt(["libopenmpi-dev"])]),
        .systemLibrary(name: "CHDF5", pkgConfig: "hdf5", providers: [.apt(["libhdf5-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // Heap-allocation counting for the benchmark (interposes malloc; never linked into swiftddp).
        .target(name: "CAllocCount"),
        // Software prefetch (`__builtin_prefetch`), wrapped by Tensors.
        .target(name: "CPrefetch"),
        // uint8 feature rows normalized into floats, built for AVX-512/AVX2/baseline (target_clones), wrapped by Data.
        .target(name: "CByteRows"),

        // Core libraries
        .target(name: "Tensors", dependencies: ["CBLAS", "CPrefetch"]),
        .target(name: "NN", dependencies: ["Tensors"]),
        .target(name: "Data", dependencies: ["Tensors", "CHDF5", "CZlib", "CByteRows"]),
        .target(name: "Comm", dependencies: ["Tensors"]),
        .target(name: "CommMPI", dependencies: ["Comm", "Tensors", "CMPI"]),
        .target(name: "Metrics"),
        .target(name: "Checkpoints", dependencies: ["Tensors", "NN", "Data"]),
        .target(name: "Training", dependencies: [
            "Tensors", "NN", "Data", "Comm", "Metrics", "Checkpoints",
            .product(name: "Yams", package: "Yams"),
        ]),

        // Executables: the CLI and the benchmark
        .executableTarget(name: "swiftddp", dependencies: [
            "Training", "Data", "CommMPI", "Checkpoints", "NN", "Metrics",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "SwiftDDPBench", dependencies: ["Training", "Data", "Tensors", "NN", "Comm", "CommMPI", "Checkpoints", "CAllocCount"]),

        // Tests
        .target(name: "TestSupport", dependencies: ["Tensors", "NN", "Data"], path: "Tests/TestSupport"),
        .testTarget(name: "TensorsTests", dependencies: ["Tensors", "TestSupport"]),
        .testTarget(name: "NNTests", dependencies: ["NN", "TestSupport"]),
        .testTarget(name: "DataTests", dependencies: ["Data", "TestSupport"]),
        .testTarget(name: "TrainingTests", dependencies: ["Training", "TestSupport"]),
        .testTarget(name: "CLITests", dependencies: ["Data", "TestSupport"]),
        .testTarget(name: "CommTests", dependencies: ["Comm"]),
        .testTarget(name: "MetricsTests", dependencies: ["Metrics", "TestSupport"]),
        .testTarget(name: "DistributedTests", dependencies: ["Training", "Comm", "Checkpoints", "TestSupport"]),
    ]
)
