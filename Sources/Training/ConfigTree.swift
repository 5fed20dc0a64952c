// A parsed YAML config as a plain tree, with `--set key=value` overrides applied by dotted path.
import Yams

/// A config document: mappings keep their key order, scalars keep their text.
public indirect enum ConfigTree: Equatable, Sendable {
    case scalar(String)
    case list([ConfigTree])
    case map([(key: String, value: ConfigTree)])

    public static func == (lhs: ConfigTree, rhs: ConfigTree) -> Bool {
        switch (lhs, rhs) {
        case (.scalar(let a), .scalar(let b)): return a == b
        case (.list(let a), .list(let b)): return a == b
        case (.map(let a), .map(let b)): return a.map(\.key) == b.map(\.key) && a.map(\.value) == b.map(\.value)
        default: return false
        }
    }

    /// Parses YAML text; `source` names the file (or flag) in errors.
    public static func parse(yaml: String, source: String) throws -> ConfigTree {
        let node: Node?
        do {
            node = try Yams.compose(yaml: yaml)
        } catch {
            throw ConfigError(source: source, key: nil, message: "is not valid YAML: \(error)")
        }
        guard let node else { return .map([]) }
        return try ConfigTree(node, source: source)
    }

    private init(_ node: Node, source: String) throws {
        switch node {
        case .scalar(let scalar):
            self = .scalar(scalar.string)
        case .sequence(let sequence):
            self = .list(try sequence.map { try ConfigTree($0, source: source) })
        case .mapping(let mapping):
            var pairs: [(key: String, value: ConfigTree)] = []
            for (key, value) in mapping {
                guard let name = key.string else {
                    throw ConfigError(source: source, key: nil, message: "has a mapping key that is not a string")
                }
                pairs.append((name, try ConfigTree(value, source: source)))
            }
            self = .map(pairs)
        case .alias:
            throw ConfigError(source: source, key: nil, message: "uses a YAML alias, which configs do not support")
        }
    }

    /// Returns the tree with the value at the dotted `path` (list elements by index:
    /// `model.layers.0.units`) replaced by `value`, creating mapping keys that do not exist yet.
    /// Whether a key is *known* is checked later, when the tree is read.
    public func setting(_ path: [String], to value: ConfigTree, source: String, fullPath: String) throws -> ConfigTree {
        guard let head = path.first else { return value }
        let rest = Array(path.dropFirst())
        switch self {
        case .map(var pairs):
            if let index = pairs.firstIndex(where: { $0.key == head }) {
                pairs[index].value = try pairs[index].value.setting(rest, to: value, source: source, fullPath: fullPath)
            } else {
                pairs.append((head, try ConfigTree.map([]).setting(rest, to: value, source: source, fullPath: fullPath)))
            }
            return .map(pairs)
        case .list(var items):
            guard let index = Int(head), items.indices.contains(index) else {
                throw ConfigError(source: source, key: fullPath,
                                  message: "'\(head)' is not an index of this list (it has \(items.count) items, 0..<\(items.count))")
            }
            items[index] = try items[index].setting(rest, to: value, source: source, fullPath: fullPath)
            return .list(items)
        case .scalar:
            throw ConfigError(source: source, key: fullPath, message: "cannot set '\(head)' inside a scalar value")
        }
    }

    /// Applies `key=value` overrides in order; the value is read as YAML (`0.1`, `true`, `[1, 2]`).
    public func applying(overrides: [String]) throws -> ConfigTree {
        var tree = self
        for override in overrides {
            let source = "--set \(override)"
            guard let equals = override.firstIndex(of: "="), equals != override.startIndex else {
                throw ConfigError(source: source, key: nil, message: "must look like key.path=value")
            }
            let key = String(override[..<equals])
            let value = try ConfigTree.parse(yaml: String(override[override.index(after: equals)...]), source: source)
            tree = try tree.setting(key.split(separator: ".").map(String.init), to: value, source: source, fullPath: key)
        }
        return tree
    }
}

extension ConfigTree {
    /// The `--set` override to name in an error about the dotted `key` of the tree that `overrides`
    /// made of this one (the file): the last override that set the key or a value around it
    /// (`--set loss={…}` for `loss.type`), or that put the key into the tree, the file not
    /// holding it (`--set schedul.type=cosine` for an unknown `schedul`). Nil when the file is
    /// to blame.
    func override(blamedFor key: String, among overrides: [String]) -> String? {
        overrides.last { override in
            let path = String(override.prefix { $0 != "=" })
            return path == key || key.hasPrefix(path + ".") || (path.hasPrefix(key + ".") && !holds(key))
        }
    }

    /// Whether the dotted `path` (list elements by index) names a value in this tree.
    func holds(_ path: String) -> Bool {
        var node = self
        for part in path.split(separator: ".").map(String.init) {
            switch node {
            case .map(let pairs):
                guard let value = pairs.last(where: { $0.key == part })?.value else { return false }
                node = value
            case .list(let items):
                guard let index = Int(part), items.indices.contains(index) else { return false }
                node = items[index]
            case .scalar:
                return false
            }
        }
        return true
    }
}

/// A config that cannot be used, naming the file (or flag) and the key.
public struct ConfigError: Error, CustomStringConvertible {
    /// The config file or the `--set` flag.
    public let source: String
    /// The dotted key, when one is at fault.
    public let key: String?
    /// What is wrong and, where there is one, the fix.
    public let message: String

    /// Creates an error.
    public init(source: String, key: String?, message: String) {
        self.source = source
        self.key = key
        self.message = message
    }

    public var description: String {
        if let key { return "\(source): \(key) \(message)" }
        return "\(source) \(message)"
    }
}
