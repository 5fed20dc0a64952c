// `launch/bench.sh suite`'s second half (launch/bench_suite.py) on RESULT lines of two made-up
// launches: medians over launches, ratios within a launch, the JSON keys docs/performance.md
// lists, and issue 8's done-when checks judged against their targets.
import Foundation
import Testing
import TestSupport

@Suite struct BenchSuiteTests {
    /// Two launches; launch 2 is the slow one (the 2-rank loop at 1.5× instead of 1.9×). Both run the
    /// CNN loop at 1 and 2 ranks too (1.979× and 1.8×).
    private let results = """
        RESULT step threads=1 other_pct=5 steal_pct=0 step_ms=4 samples_per_s=32000 train_gflops=90 gemm_seq_ms=3.6 gemm_gflops=96 ratio_pct=93 launch=1 busy=3
        RESULT cnn threads=1 padding=2 batch=64 other_pct=5 steal_pct=0 step_ms=60 samples_per_s=1000 layers_gflops=80 layers_gemm_gflops=90 layers_pct=88 step_gflops=60 step_pct=66 launch=1 busy=3
        RESULT ddp ranks=1 bucket_mb=4 agree=1 poll=on other_pct=4 steal_pct=0 samples_per_s=30000 step_ms=4.2 local_step_ms=4.1 compute_us=4100 launch=1 busy=2
        RESULT ddp ranks=2 bucket_mb=4 agree=1 poll=on other_pct=4 steal_pct=0 samples_per_s=54000 step_ms=4.7 local_step_ms=4.3 compute_us=4300 exposed_us=300 raw_us=150 det_us=180 bucketed_us=200 exposed_over_raw=2 det_over_raw=1.2 launch=1 busy=2
        RESULT trainloop config=fashion-mnist-mlp ranks=1 threads=1 batch=128 steps=200 parameters=535818 samples_per_s=30000 wall_ms=4 step_ms=3.95 data_ms=0.1 compute_ms=3.7 optimizer_ms=0.1 comm_ms=0.01 allreduce_wait_ms=0 other_ms=0.05 data_pct=2.5 comm_pct=0.25 allocs_per_step=0 peak_rss_mb=270 steps_peak_rss_mb=260 peak_rss_mb_rank0=270 train_data_mb=164.5 eval_data_mb=44.9 parameters_x4_mb=8.2 activations_mb=1.5 fixed_mb=100 rss_bound_mb=319 rss_within_bound=1 steps_rss_within_bound=1 launch=1 busy=1
        RESULT trainloop config=fashion-mnist-mlp ranks=2 threads=1 batch=128 steps=200 parameters=535818 samples_per_s=57000 wall_ms=4.5 step_ms=4.45 data_ms=0.1 compute_ms=3.8 optimizer_ms=0.1 comm_ms=0.45 allreduce_wait_ms=0.4 other_ms=0.05 data_pct=2.2 comm_pct=10 allocs_per_step=3 peak_rss_mb=190 steps_peak_rss_mb=180 peak_rss_mb_rank0=190 peak_rss_mb_rank1=140 train_data_mb=82.2 eval_data_mb=44.9 parameters_x4_mb=8.2 activations_mb=1.5 fixed_mb=100 rss_bound_mb=236.8 rss_within_bound=1 steps_rss_within_bound=1 launch=1 busy=1
        RESULT trainloop config=fashion-mnist-cnn ranks=1 threads=1 batch=64 steps=60 parameters=421642 samples_per_s=950 wall_ms=67.4 step_ms=67 data_ms=0.08 compute_ms=66 optimizer_ms=0.5 comm_ms=0.01 allreduce_wait_ms=0 other_ms=0.02 data_pct=0.12 comm_pct=0.01 allocs_per_step=0 peak_rss_mb=600 steps_peak_rss_mb=230 peak_rss_mb_rank0=600 train_data_mb=41.1 eval_data_mb=44.9 parameters_x4_mb=6.9 activations_mb=423.3 fixed_mb=100 rss_bound_mb=616.2 rss_within_bound=1 steps_rss_within_bound=1 launch=1 busy=1
        RESULT trainloop config=fashion-mnist-cnn ranks=2 threads=1 batch=64 steps=60 parameters=421642 samples_per_s=1880 wall_ms=68 step_ms=67.5 data_ms=1.6 compute_ms=65 optimizer_ms=0.5 comm_ms=0.8 allreduce_wait_ms=0.7 other_ms=0.02 data_pct=2.35 comm_pct=1.2 allocs_per_step=0 peak_rss_mb=580 steps_peak_rss_mb=210 peak_rss_mb_rank0=580 peak_rss_mb_rank1=165 train_data_mb=20.6 eval_data_mb=44.9 parameters_x4_mb=6.9 activations_mb=423.3 fixed_mb=100 rss_bound_mb=595.6 rss_within_bound=1 steps_rss_within_bound=1 launch=1 busy=1
        RESULT loader batch=128 flip=0 shards=2 samples=55000 file_mb=43.4 memory_mb=172.5 load_s=0.2 load_file_mb_per_s=217 load_memory_mb_per_s=862 load_samples_per_s=275000 epoch_start_ms=0.8 batch_us=80 batch_samples_per_s=1600000 launch=1 busy=1
        RESULT checkpoint parameters=10000000 copy_s=0.1 write_s=0.3 cached_write_s=0.2 read_s=0.15 bytes=120000000 launch=1 busy=1
        RESULT step threads=1 other_pct=5 steal_pct=0 step_ms=4.4 samples_per_s=29000 train_gflops=82 gemm_seq_ms=3.8 gemm_gflops=90 ratio_pct=89 launch=2 busy=30
        RESULT cnn threads=1 padding=2 batch=64 other_pct=5 steal_pct=0 step_ms=64 samples_per_s=940 layers_gflops=78 layers_gemm_gflops=88 layers_pct=86 step_gflops=56 step_pct=64 launch=2 busy=30
        RESULT ddp ranks=1 bucket_mb=4 agree=1 poll=on other_pct=4 steal_pct=0 samples_per_s=20000 step_ms=6.4 local_step_ms=6 compute_us=6000 launch=2 busy=30
        RESULT ddp ranks=2 bucket_mb=4 agree=1 poll=on other_pct=4 steal_pct=0 samples_per_s=38000 step_ms=6.7 local_step_ms=6.6 compute_us=6300 exposed_us=500 raw_us=170 det_us=200 bucketed_us=220 exposed_over_raw=2.9 det_over_raw=1.18 launch=2 busy=30
        RESULT trainloop config=fashion-mnist-mlp ranks=1 threads=1 batch=128 steps=200 parameters=535818 samples_per_s=20000 wall_ms=6.4 step_ms=6.3 data_ms=0.1 compute_ms=6 optimizer_ms=0.1 comm_ms=0.01 allreduce_wait_ms=0 other_ms=0.1 data_pct=1.6 comm_pct=0.2 allocs_per_step=0 peak_rss_mb=270 steps_peak_rss_mb=260 peak_rss_mb_rank0=270 train_data_mb=164.5 eval_data_mb=44.9 parameters_x4_mb=8.2 activations_mb=1.5 fixed_mb=100 rss_bound_mb=319 rss_within_bound=1 steps_rss_within_bound=1 launch=2 busy=30
        RESULT trainloop config=fashion-mnist-mlp ranks=2 threads=1 batch=128 steps=200 parameters=535818 samples_per_s=30000 wall_ms=8.5 step_ms=8.4 data_ms=0.1 compute_ms=6 optimizer_ms=0.1 comm_ms=2.2 allreduce_wait_ms=2 other_ms=0.1 data_pct=1.2 comm_pct=25 allocs_per_step=3 peak_rss_mb=190 steps_peak_rss_mb=180 peak_rss_mb_rank0=190 peak_rss_mb_rank1=140 train_data_mb=82.2 eval_data_mb=44.9 parameters_x4_mb=8.2 activations_mb=1.5 fixed_mb=100 rss_bound_mb=236.8 rss_within_bound=1 steps_rss_within_bound=1 launch=2 busy=30
        RESULT trainloop config=fashion-mnist-cnn ranks=1 threads=1 batch=64 steps=60 parameters=421642 samples_per_s=900 wall_ms=71 step_ms=70.5 data_ms=0.08 compute_ms=69 optimizer_ms=0.5 comm_ms=0.01 allreduce_wait_ms=0 other_ms=0.02 data_pct=0.11 comm_pct=0.01 allocs_per_step=0 peak_rss_mb=600 steps_peak_rss_mb=230 peak_rss_mb_rank0=600 train_data_mb=41.1 eval_data_mb=44.9 parameters_x4_mb=6.9 activations_mb=423.3 fixed_mb=100 rss_bound_mb=616.2 rss_within_bound=1 steps_rss_within_bound=1 launch=2 busy=30
        RESULT trainloop config=fashion-mnist-cnn ranks=2 threads=1 batch=64 steps=60 parameters=421642 samples_per_s=1620 wall_ms=72 step_ms=71.5 data_ms=1.2 compute_ms=69 optimizer_ms=0.5 comm_ms=1.5 allreduce_wait_ms=1.4 other_ms=0.02 data_pct=1.67 comm_pct=2.1 allocs_per_step=0 peak_rss_mb=600 steps_peak_rss_mb=210 peak_rss_mb_rank0=600 peak_rss_mb_rank1=165 train_data_mb=20.6 eval_data_mb=44.9 parameters_x4_mb=6.9 activations_mb=423.3 fixed_mb=100 rss_bound_mb=595.6 rss_within_bound=0 steps_rss_within_bound=1 launch=2 busy=30
        RESULT allocations config=fashion-mnist-mlp steps=29 allocs_per_step=0 allocs_per_step_mean=0.1 peak_rss_mb=268 launch=1 busy=1

        """

    @Test func mediansRatiosKeysAndChecks() throws {
        let directory = try TemporaryDirectory("bench-suite")
        try results.write(toFile: directory.file("results.txt"), atomically: true, encoding: .utf8)
        let run = try runCommand("/usr/bin/env", ["python3", repositoryRoot + "/launch/bench_suite.py", directory.file("results.txt"),
                                                  directory.file("bench.json"), "--meta", "date=2026-11-26", "commit=abc"])
        #expect(run.status == 0, "\(run.error)")
        #expect(run.output.contains("issue 8 done-when checks"), "\(run.output)")

        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: directory.file("bench.json")))) as? [String: Any])
        #expect(json["launches"] as? Int == 2)
        #expect(json["commit"] as? String == "abc")
        for key in ["sgemm_gflops", "mlp_1rank", "cnn_1rank", "mlp_2ranks", "allreduce", "train_loop", "loader", "checkpoint", "allocations_per_step", "checks"] {
            #expect(json[key] != nil, "bench.json lacks \(key)")
        }
        func median(_ path: String) -> Double? {
            var value: Any? = json
            for part in path.split(separator: ".") { value = (value as? [String: Any])?[String(part)] }
            return ((value as? [String: Any])?["median"] as? NSNumber)?.doubleValue
        }
        #expect(median("mlp_1rank.vs_sgemm_pct") == 91)                    // (93 + 89) / 2
        #expect(median("sgemm_gflops.mlp_shapes") == 93)
        // the 2-rank / 1-rank ratio is taken within each launch (1.9 and 1.5), then the median: 1.7
        #expect(abs((median("train_loop.scaling_2ranks_over_1rank") ?? 0) - 1.7) < 1e-9)
        #expect(abs((median("mlp_2ranks.scaling") ?? 0) - 1.85) < 1e-9)   // 1.8 and 1.9
        // the step without communication, 2 ranks against 1, within each launch: 4.3 / 4.1 and 6.6 / 6
        #expect(median("mlp_2ranks.compute_only_2ranks_over_1rank") == 1.074)
        #expect(((json["mlp_2ranks"] as? [String: Any])?["launches_compute_only_over_1_05"] as? Int) == 1)
        // shares of the step end to step end: 0.45 / 4.5 ms and 2.2 / 8.5 ms
        #expect(abs((median("train_loop.mlp_2ranks.split_pct.comm") ?? 0) - (10 + 25.88) / 2) < 0.01)
        #expect(median("checkpoint.save_fsync_mb_per_s") == 400)
        #expect(median("loader.load_file_mb_per_s") == 217)

        let checks = try #require(json["checks"] as? [[String: Any]])
        func verdict(_ id: String) -> [Bool?] { checks.filter { $0["id"] as? String == id }.map { $0["pass"] as? Bool } }
        #expect(verdict("1") == [true])       // 91 % ≥ 90 %
        #expect(verdict("2") == [false])      // 65 % < 70 %
        #expect(verdict("3a") == [false])     // 1.7× < 1.85×
        #expect(verdict("3a'") == [true])     // 1.85×
        #expect(verdict("3b") == [false])
        // MLP 1 rank (0.1 ms of 4 and 6.4 ms: median 2.03 %), MLP 2 ranks, CNN 1 rank, CNN 2 ranks (2.35 and 1.67 %: 2.01 %)
        #expect(verdict("4a") == [false, true, true, false])
        #expect(verdict("4b") == [false])     // the 2-rank MLP loop allocates 3 per step
        #expect(verdict("4c") == [true, true, true, false])   // the 2-rank CNN loop's rank 0 went over its bound in launch 2
        // the CNN is reported at 2 ranks too (issue 8: both configs at 1 and 2 ranks), its scaling within each launch
        #expect(abs((median("train_loop.cnn_scaling_2ranks_over_1rank") ?? 0) - (1880.0 / 950 + 1.8) / 2) < 1e-3)
        #expect(median("train_loop.cnn_2ranks.samples_per_s") == 1750)
        #expect(run.output.contains("CNN real loop: 2 ranks / 1 rank"), "\(run.output)")
    }

    /// The `key=value` fields of the first `RESULT <tag>` line in `output`.
    private func fields(_ output: String, _ tag: String) -> [String: String] {
        guard let line = output.split(separator: "\n").first(where: { $0.hasPrefix("RESULT \(tag) ") }) else { return [:] }
        return Dictionary(line.split(separator: " ").dropFirst(2).map { part in
            let pair = part.split(separator: "=", maxSplits: 1).map(String.init)
            return (pair[0], pair.count > 1 ? pair[1] : "")
        }) { $1 }
    }

    /// `ddp --phases on` on 2 ranks: rank 0 prints both ranks' phase tables, each whole and in
    /// rank order, before the summary (ranks printing in turn reached mpirun's output interleaved).
    @Test(.enabled(if: mpirunAvailable)) func ddpPhaseTablesComeWholeAndInRankOrder() throws {
        let bench = builtProduct("swiftddp-bench")
        let run = try runCommand(repositoryRoot + "/launch/mpirun.sh",
                                 ["ddp", "--steps", "2", "--reps", "1", "--warmup", "1", "--reduce-iters", "1", "--phases", "on"],
                                 environment: ["RANKS": "2", "SWIFTDDP": bench], timeout: 180)
        #expect(run.status == 0, "\(run.output)\n\(run.error)")
        let lines = run.output.split(separator: "\n").map(String.init)
        let tables = (0..<2).map { rank in lines.firstIndex { $0.hasPrefix("rank \(rank): µs per step") } }
        guard let first = tables[0], let second = tables[1],
              let summary = lines.firstIndex(where: { $0.hasPrefix("== data-parallel training, 2 rank(s)") }) else {
            Issue.record("phase tables or summary missing:\n\(run.output)")
            return
        }
        // 17 phases per table: 5 layers forward, the loss both ways, 5 layers backward, 5 more
        #expect(second == first + 18 && summary == second + 18, "\(run.output)")
        #expect(lines[(first + 1)..<second].allSatisfy { $0.hasPrefix("  ") }, "\(run.output)")
        #expect(lines[(second + 1)..<summary].allSatisfy { $0.hasPrefix("  ") }, "\(run.output)")
        #expect(lines[second + 17].hasPrefix("  whole step"), "\(run.output)")
    }

    /// The suite's two new pieces on tiny blobs (debug build): the real Trainer loop alone and on 2
    /// ranks, and the shard loader.
    @Test(.enabled(if: mpirunAvailable)) func trainLoopAndLoaderModesRunOnTinyData() throws {
        let directory = try TemporaryDirectory("bench-modes")
        try TinyDatasets.writeBlobDirectory(directory.file("data"), shardSizes: [96, 96])
        try TinyDatasets.blobConfig(dataDirectory: directory.file("data"))
            .write(toFile: directory.file("config.yaml"), atomically: true, encoding: .utf8)
        let bench = builtProduct("swiftddp-bench")
        let arguments = ["train-loop", "--config", directory.file("config.yaml"), "--data", directory.file("data"), "--steps", "3", "--skip", "2"]
        for ranks in [1, 2] {
            let run = try runCommand(repositoryRoot + "/launch/mpirun.sh", arguments,
                                     environment: ["RANKS": String(ranks), "SWIFTDDP": bench], timeout: 120)
            #expect(run.status == 0, "\(run.output)\n\(run.error)")
            let result = fields(run.output, "trainloop")
            #expect(result["ranks"] == String(ranks) && result["config"] == "config", "\(run.output)")
            #expect(Double(result["samples_per_s"] ?? "") ?? 0 > 0, "\(run.output)")
            for key in ["data_ms", "compute_ms", "optimizer_ms", "comm_ms", "other_ms", "allocs_per_step"] {
                #expect((Double(result[key] ?? "") ?? -1) >= 0, "\(key) in \(run.output)")
            }
            // 96 training rows per rank (192 at 1 rank) of 8 floats; 60 val + 60 test rows on rank 0
            #expect(abs((Double(result["train_data_mb"] ?? "") ?? 0) - Double(192 / ranks * 8 * 4) / 1_048_576) < 1e-6, "\(run.output)")
            #expect(result["peak_rss_mb_rank\(ranks - 1)"] != nil, "\(run.output)")
            #expect((Double(result["rss_bound_mb"] ?? "") ?? 0) > 100, "\(run.output)")
        }
        // 2 ranks hold 96 rows each: 6 steps of 16 per epoch, and the measured steps must end before it does
        var crossing = arguments
        crossing[crossing.count - 3] = "4"
        let refused = try runCommand(repositoryRoot + "/launch/mpirun.sh", crossing, environment: ["RANKS": "2", "SWIFTDDP": bench], timeout: 120)
        #expect(refused.status != 0 && refused.error.contains("must stay below the 6 steps of an epoch"), "\(refused.error)")

        // `MODE --help` prints the usage, with every mode's options, and succeeds
        let help = try runCommand(bench, ["train-loop", "--help"], timeout: 60)
        #expect(help.status == 0 && help.output.contains("train-loop [--config") && help.output.contains("--skip"), "\(help.output)\n\(help.error)")

        let loader = try runCommand(bench, ["loader", "--data", directory.file("data"), "--batch", "16", "--reps", "2"], timeout: 60)
        #expect(loader.status == 0, "\(loader.error)")
        let result = fields(loader.output, "loader")
        #expect(result["samples"] == "192" && result["shards"] == "2", "\(loader.output)")
        #expect((Double(result["batch_samples_per_s"] ?? "") ?? 0) > 0, "\(loader.output)")
    }
}
