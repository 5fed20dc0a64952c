// Setting a model's parameters by hand, for forward tests on hand-computed numbers.
import NN

/// Overwrites the model's parameters, in `store.parameters` order, with `values` (one array per
/// parameter, row-major).
public func setParameters(_ model: Sequential, _ values: [[Float]]) {
    precondition(values.count == model.store.parameters.count, "setParameters: \(values.count) arrays for \(model.store.parameters.count) parameters")
    for (parameter, value) in zip(model.store.parameters, values) {
        precondition(value.count == parameter.count, "setParameters: \(value.count) values for \(parameter.name) \(parameter.shape)")
        _ = model.store.value(parameter).buffer.update(fromContentsOf: value)
    }
}
