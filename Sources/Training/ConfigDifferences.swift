// Where resolved configs (TrainingConfig.yaml) differ, key by key: preflight names the first key
// that differs between ranks, a resume names the keys that differ from the checkpoint's, and
// `swiftddp metrics` shows the keys that differ between the runs it compares.

/// One key whose value differs between two resolved configs. A key only one of them holds has
/// `nil` on the other side.
struct ConfigDifference: Equatable {
    /// The dotted key: `optimizer.learning_rate`, or `model.layers[2]` for an item of a list.
    var key: String
    var first: String?
    var other: String?

    /// `key: value` for one side, or `no key` when that side does not hold it.
    func text(_ value: String?) -> String { value.map { "\(key): \($0)" } ?? "no \(key)" }
}

/// The keys whose values differ between the resolved configs `first` and `other`, in the order
/// they stand in `first` (then the keys only `other` holds).
///
/// A resolved config is block YAML written by `TrainingConfig.yaml`: a mapping of scalars,
/// flow collections and sections indented by two spaces, whose lists are block sequences of flow
/// mappings (`model.layers`). Each scalar line becomes one key; each list item one
/// `list[index]` key (`resolvedConfigEntries`).
func configDifferences(_ first: String, _ other: String) -> [ConfigDifference] {
    let a = resolvedConfigEntries(first), b = resolvedConfigEntries(other)
    let values = Dictionary(b, uniquingKeysWith: { first, _ in first })
    let keys = Set(a.map(\.key))
    var differences = a.compactMap { key, value in
        values[key] == value ? nil : ConfigDifference(key: key, first: value, other: values[key])
    }
    differences += b.filter { !keys.contains($0.key) }.map { ConfigDifference(key: $0.key, first: nil, other: $0.value) }
    return differences
}

/// (dotted key, value) for every scalar, flow collection and list item of a resolved config, in
/// its order: `("optimizer.learning_rate", "0.05")`, `("model.layers[2]", "{type: dense, …}")`.
public func resolvedConfigEntries(_ yaml: String) -> [(key: String, value: String)] {
    var entries: [(key: String, value: String)] = []
    var path: [(indent: Int, key: String)] = []        // the open sections, outermost first
    var listIndex: [String: Int] = [:]
    for line in yaml.split(separator: "\n") {
        let indent = line.prefix { $0 == " " }.count
        let body = line.dropFirst(indent)
        if body.isEmpty || body.hasPrefix("#") { continue }
        while let last = path.last, last.indent >= indent { path.removeLast() }
        let prefix = path.map(\.key).joined(separator: ".")
        if body.hasPrefix("- ") {                       // an item of the innermost open section's list
            let index = listIndex[prefix, default: 0]
            listIndex[prefix] = index + 1
            entries.append(("\(prefix)[\(index)]", String(body.dropFirst(2))))
            continue
        }
        guard let colon = body.firstIndex(of: ":") else { continue }
        let key = String(body[..<colon]), value = body[body.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        let qualified = prefix.isEmpty ? key : "\(prefix).\(key)"
        if value.isEmpty { path.append((indent, key)) } else { entries.append((qualified, value)) }
    }
    return entries
}
