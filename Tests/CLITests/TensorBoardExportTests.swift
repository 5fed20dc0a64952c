// TensorBoard event files written during training, read back with TensorBoard's own reader
// (pip tensorboard) and compared with metrics.jsonl, across a resumed segment; metrics.csv beside
// them; the progress bar.
import Foundation
import Testing
import TestSupport

@Suite(.serialized)
struct TensorBoardExportTests {
    /// Reads RUN/tensorboard with EventAccumulator and checks every scalar against the records
    /// of metrics.jsonl that docs/metrics.md keeps (a resume at step S drops the earlier
    /// segment's records after S): same tags, steps, float32 values and wall times.
    private static let compare = #"""
        import json, sys
        import numpy as np
        from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
        run = sys.argv[1]
        records = [json.loads(line) for line in open(run + "/metrics.jsonl")]
        segment, starts, kept = 0, [r["step"] for r in records if r["split"] == "resume"], []
        for r in records:
            if r["split"] == "resume":
                segment += 1
            elif all(r["step"] <= s for s in starts[segment:]):
                kept.append(r)
        train_skip = {"time", "step", "epoch", "steps", "samples", "world_size", "step_ms", "compute_ms", "comm_ms", "allreduce_wait_ms", "data_ms"}
        expected = {}
        for r in kept:
            for key, value in r.items():
                if r["split"] == "train" and key not in train_skip and key != "split":
                    tag = key if key in ("lr", "samples_per_sec") else "train/" + key
                elif r["split"] != "train" and key not in ("time", "step", "epoch", "samples", "split"):
                    tag = r["split"] + "/" + key
                else:
                    continue
                expected.setdefault(tag, []).append((r["step"], float(np.float32(value)), r["time"]))
        events = EventAccumulator(run + "/tensorboard")
        events.Reload()
        tags = events.Tags()["scalars"]
        assert sorted(tags) == sorted(expected), (sorted(tags), sorted(expected))
        for tag, points in expected.items():
            got = [(e.step, e.value, e.wall_time) for e in events.Scalars(tag)]
            assert got == points, (tag, got, points)
        print("ok", len(tags), sum(len(p) for p in expected.values()), len(starts))
        """#

    @Test func eventFilesReadBackWithTensorBoardEqualMetricsJSONL() throws {
        let directory = try TemporaryDirectory("tensorboard")
        try TinyDatasets.writeBlobDirectory(directory.file("data"), shardSizes: [64])
        // 4 steps per epoch, 3 epochs; a record every 2 steps and a checkpoint every 2 steps
        try TinyDatasets.blobConfig(dataDirectory: directory.file("data"), epochs: 3, batchSize: 16,
                                    extra: "checkpoint: {every_steps: 2, keep_last: 10}\nlogging: {tensorboard: true, csv: true}")
            .replacingOccurrences(of: "log_every: 5", with: "log_every: 2")
            .write(toFile: directory.file("config.yaml"), atomically: true, encoding: .utf8)
        let run = directory.file("run")
        let first = try swiftddp("train", "--config", directory.file("config.yaml"), "--run-dir", run)
        #expect(first.status == 0, "\(first.error)")
        // go on again from step 6: the first segment's records and events after step 6 are superseded
        let resumed = try swiftddp("train", "--config", directory.file("config.yaml"), "--run-dir", run,
                                   "--resume-from", run + "/checkpoints/ckpt-00000006.h5")
        #expect(resumed.status == 0, "\(resumed.error)")
        let files = try FileManager.default.contentsOfDirectory(atPath: run + "/tensorboard").filter { $0.hasPrefix("events.out.tfevents.") }
        #expect(files.count == 2, "\(files)")

        let check = try python(TensorBoardExportTests.compare, [run])
        #expect(check.status == 0 && check.output.hasPrefix("ok "), "\(check.output)\(check.error)")
        #expect(check.output.hasSuffix(" 1\n"), "one resume: \(check.output)")

        // metrics.csv has a row per line of metrics.jsonl, under one header
        let csv = try python(#"""
            import csv, json, sys
            rows = list(csv.DictReader(open(sys.argv[1] + "/metrics.csv")))
            lines = [json.loads(line) for line in open(sys.argv[1] + "/metrics.jsonl")]
            assert len(rows) == len(lines), (len(rows), len(lines))
            for row, line in zip(rows, lines):
                assert row["split"] == line["split"] and int(row["step"]) == line["step"]
                if "loss" in line: assert float(row["loss"]) == line["loss"]
                if line["split"] == "val": assert float(row["f1_macro"]) == line["f1_macro"] and float(row["auc"]) == line["auc"]
            print("ok", len(rows))
            """#, [run])
        #expect(csv.status == 0, "\(csv.output)\(csv.error)")
    }

    @Test func progressBarIsDrawnOnlyWhenAskedOrOnATerminal() throws {
        let directory = try TemporaryDirectory("progress")
        try TinyDatasets.writeBlobDirectory(directory.file("data"), shardSizes: [64])
        try TinyDatasets.blobConfig(dataDirectory: directory.file("data"), epochs: 2, batchSize: 16)
            .write(toFile: directory.file("config.yaml"), atomically: true, encoding: .utf8)
        let bar = try swiftddp("train", "--config", directory.file("config.yaml"), "--run-dir", directory.file("bar"), "--set", "logging.progress=bar")
        #expect(bar.status == 0, "\(bar.error)")
        #expect(bar.output.contains("\repoch 2/2 ") && bar.output.contains("4/4 | loss ") && bar.output.contains("samples/s | ETA 0:00"), "\(bar.output)")
        #expect(bar.output.contains("\r\u{1B}[Kepoch 1/2 | step 4 | loss"), "the epoch line clears the bar: \(bar.output)")
        #expect(!(try String(contentsOfFile: directory.file("bar/train.log"), encoding: .utf8)).contains("\r"))
        // stdout is a pipe here: `auto` prints plain lines
        let plain = try swiftddp("train", "--config", directory.file("config.yaml"), "--run-dir", directory.file("plain"))
        #expect(plain.status == 0 && !plain.output.contains("\r") && plain.output.contains("epoch 2/2 | step 8"), "\(plain.output)")
    }
}
