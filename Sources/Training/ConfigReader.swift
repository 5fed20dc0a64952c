// Typed, strict reading of a ConfigTree: every key must be known, every value must parse, and
// errors name the file and the dotted key.

/// Reads one mapping of a config tree, remembering which keys were read so that `finish()` can
/// reject unknown ones (a misspelt key must not be silently ignored).
struct ConfigReader {
    let source: String
    let path: String
    private let pairs: [(key: String, value: ConfigTree)]
    private var known: [String] = []

    init(_ tree: ConfigTree?, source: String, path: String) throws {
        self.source = source
        self.path = path
        switch tree {
        case nil: pairs = []
        case .map(let pairs)?: self.pairs = pairs
        case .scalar(let text)? where text.isEmpty: pairs = []
        default: throw ConfigError(source: source, key: path.isEmpty ? "(top level)" : path, message: "must be a mapping of keys")
        }
    }

    private func dotted(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    func error(_ key: String, _ message: String) -> ConfigError {
        ConfigError(source: source, key: dotted(key), message: message)
    }

    mutating func tree(_ key: String) -> ConfigTree? {
        known.append(key)
        return pairs.last { $0.key == key }?.value
    }

    mutating func section(_ key: String) throws -> ConfigReader {
        try ConfigReader(tree(key), source: source, path: dotted(key))
    }

    mutating func string(_ key: String, default value: String) throws -> String {
        switch tree(key) {
        case nil: return value
        case .scalar(let text)?: return text
        default: throw error(key, "must be a single value")
        }
    }

    mutating func optionalString(_ key: String) throws -> String? {
        switch tree(key) {
        case nil: return nil
        case .scalar(let text)?: return text.isEmpty || text == "null" || text == "~" ? nil : text
        default: throw error(key, "must be a single value")
        }
    }

    mutating func int(_ key: String, default value: Int, minimum: Int? = nil) throws -> Int {
        guard let text = try optionalString(key) else { return value }
        guard let number = Int(text) else { throw error(key, "must be an integer, got '\(text)'") }
        if let minimum, number < minimum { throw error(key, "must be ≥ \(minimum), got \(number)") }
        return number
    }

    mutating func optionalInt(_ key: String, minimum: Int) throws -> Int? {
        guard let text = try optionalString(key) else { return nil }
        guard let number = Int(text) else { throw error(key, "must be an integer, got '\(text)'") }
        if number < minimum { throw error(key, "must be ≥ \(minimum), got \(number)") }
        return number
    }

    mutating func float(_ key: String, default value: Float, range: ClosedRange<Float>? = nil,
                        positive: Bool = false) throws -> Float {
        guard let text = try optionalString(key) else { return value }
        guard let number = Float(text), number.isFinite else { throw error(key, "must be a number, got '\(text)'") }
        if positive, !(number > 0) { throw error(key, "must be > 0, got \(text)") }
        if let range, !range.contains(number) { throw error(key, "must be in [\(range.lowerBound), \(range.upperBound)], got \(text)") }
        return number
    }

    mutating func bool(_ key: String, default value: Bool) throws -> Bool {
        guard let text = try optionalString(key) else { return value }
        switch text.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: throw error(key, "must be true or false, got '\(text)'")
        }
    }

    mutating func intList(_ key: String) throws -> [Int]? {
        switch tree(key) {
        case nil: return nil
        case .list(let items)?:
            return try items.map { item in
                guard case .scalar(let text) = item, let number = Int(text), number > 0 else {
                    throw error(key, "must be a list of positive integers")
                }
                return number
            }
        default: throw error(key, "must be a list of positive integers, e.g. [784]")
        }
    }

    mutating func list(_ key: String) throws -> [ConfigTree] {
        switch tree(key) {
        case nil: return []
        case .list(let items)?: return items
        default: throw error(key, "must be a list")
        }
    }

    mutating func choice(_ key: String, default value: String, from choices: [String]) throws -> String {
        let text = try string(key, default: value)
        guard !text.isEmpty || choices.contains(text) else {   // no default: the key is required
            throw error(key, "is required: one of \(choices.joined(separator: ", "))")
        }
        guard choices.contains(text) else {
            var message = "must be one of \(choices.joined(separator: ", ")), got '\(text)'"
            if let suggestion = choices.min(by: { editDistance($0, text) < editDistance($1, text) }), editDistance(suggestion, text) <= 2 {
                message += "; did you mean '\(suggestion)'?"
            }
            throw error(key, message)
        }
        return text
    }

    /// Keys users of other frameworks write whose setting lives under another name here, with
    /// that name (Keras puts L2 beside L1 in its regularizers).
    private static let keysKnownElsewhere: [(key: String, name: String, hint: String)] = [
        ("regularization.l2", "L2 regularization", "optimizer.weight_decay (g ← g + λ·p; adamw: decoupled)"),
    ]

    /// Throws for any key that was never read, suggesting the closest known one. In a section
    /// whose keys depend on its `type`, `typeKeys` lists the keys of every type, so that a key
    /// of another type (`momentum` under `type: adam`, left from the config file when `--set`
    /// changed the type) is named as such.
    func finish(typeKeys: [String: [String]] = [:]) throws {
        for (key, _) in pairs where !known.contains(key) {
            let suggestion = known.min { editDistance($0, key) < editDistance($1, key) }
            var message = "is not a known key"
            let owners = typeKeys.filter { $0.value.contains(key) }.keys.sorted()
            if !owners.isEmpty {
                let type: String? = if case .scalar(let text)? = pairs.last(where: { $0.key == "type" })?.value { text } else { nil }
                message += "; it is a key of \(path) type \(owners.joined(separator: ", "))\(type.map { ", not of type \($0)" } ?? "") "
                    + "(drop it, or give the whole mapping anew: --set '\(path)={type: \(type ?? "…"), …}')"
            } else if let elsewhere = Self.keysKnownElsewhere.first(where: { dotted(key) == $0.key }) {
                message += "; \(elsewhere.name) is \(elsewhere.hint)"
            } else if let suggestion, editDistance(suggestion, key) <= 3 {
                message += "; did you mean '\(dotted(suggestion))'?"
            }
            message += " (known here: \(known.joined(separator: ", ")))"
            throw ConfigError(source: source, key: dotted(key), message: message)
        }
    }
}

/// The Levenshtein distance, for "did you mean" hints.
func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    if a.isEmpty || b.isEmpty { return max(a.count, b.count) }
    var previous = Array(0...b.count)
    for i in 1...a.count {
        var current = [i] + Array(repeating: 0, count: b.count)
        for j in 1...b.count {
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        previous = current
    }
    return previous[b.count]
}
