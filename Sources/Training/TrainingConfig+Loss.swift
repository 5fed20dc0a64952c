// The `loss` section of the config: which loss, its parameters, and the checks that depend on it.
import NN

extension TrainingConfig {
    /// The `type` names accepted in `loss`.
    static let losses = ["softmax_cross_entropy", "binary_cross_entropy", "mse", "mae", "huber"]

    /// Whether the configured loss compares outputs with float targets as a regression
    /// (`mse`, `mae`, `huber`): its records carry MAE, MSE, RMSE and R² instead of accuracy.
    public var isRegressionLoss: Bool { ["mse", "mae", "huber"].contains(loss) }

    /// The configured loss.
    public func makeLoss() -> any Loss {
        switch loss {
        case "binary_cross_entropy": return BinaryCrossEntropy()
        case "mse": return MeanSquaredError()
        case "mae": return MeanAbsoluteError()
        case "huber": return Huber(delta: huberDelta)
        default: return SoftmaxCrossEntropy(labelSmoothing: labelSmoothing)
        }
    }

    /// Reads `loss`: a type name, or a mapping with `type` and that type's own keys (a key of
    /// another type is reported as unknown).
    mutating func readLoss(_ root: inout ConfigReader) throws {
        let tree = root.tree("loss")
        if case .scalar(let text)? = tree, !text.isEmpty {
            loss = text
        } else {
            var section = try ConfigReader(tree, source: root.source, path: "loss")
            loss = try section.choice("type", default: loss, from: Self.losses)
            switch loss {
            case "softmax_cross_entropy":
                labelSmoothing = try section.float("label_smoothing", default: labelSmoothing, range: 0...0.999_999)
            case "huber":
                huberDelta = try section.float("delta", default: huberDelta, positive: true)
            default: break
            }
            try section.finish()
        }
        guard Self.losses.contains(loss) else {
            throw root.error("loss", "must be one of \(Self.losses.joined(separator: ", ")), got '\(loss)'")
        }
    }

    /// Regression losses report no accuracy, so no callback may monitor `val_accuracy`.
    func checkMonitors(source: String) throws {
        guard isRegressionLoss else { return }
        let monitors = [("early_stopping.monitor", earlyStopping?.monitor), ("reduce_lr_on_plateau.monitor", reduceOnPlateau?.monitor),
                        ("checkpoint.monitor", checkpointMonitor)]
        for (key, monitor) in monitors where monitor == "val_accuracy" {
            throw ConfigError(source: source, key: key, message: "is val_accuracy but loss \(loss) reports no accuracy; monitor val_loss")
        }
    }

    /// The logit losses apply their own squashing: a model that ends in `softmax` before
    /// `softmax_cross_entropy`, or in `sigmoid` before `binary_cross_entropy`, would squash twice
    /// and train on flattened gradients without any error, so it is refused.
    func checkOutputLayer(source: String) throws {
        guard let last = layers.last else { return }
        let index = layers.count - 1
        switch (loss, last) {
        case ("softmax_cross_entropy", .softmax):
            throw ConfigError(source: source, key: "model.layers.\(index).type", message: "is softmax, but loss softmax_cross_entropy "
                + "takes logits and applies the softmax itself; remove this layer (the model then ends in logits)")
        case ("binary_cross_entropy", .sigmoid):
            throw ConfigError(source: source, key: "model.layers.\(index).type", message: "is sigmoid, but loss binary_cross_entropy "
                + "takes logits and applies the sigmoid itself; remove this layer (the model then ends in logits)")
        default: break
        }
    }

    /// The `loss` line of the resolved config.
    var lossYAML: String {
        switch loss {
        case "softmax_cross_entropy": return "{type: \(loss), label_smoothing: \(labelSmoothing)}"
        case "huber": return "{type: huber, delta: \(huberDelta)}"
        default: return "{type: \(loss)}"
        }
    }
}
