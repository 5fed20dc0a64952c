// Rendering attribute values of any type as short text, for `swiftddp inspect`.

extension HDF5File {
    /// Any attribute's value as compact text: `1`, `0.003921569`, `"train"`, `[1, 28, 28]`,
    /// `["T-shirt/top", "Trouser", … (10 values)]`.
    ///
    /// Arrays longer than `maxElements` show their first `maxElements` values and the total
    /// count; types this wrapper does not read show as `<compound [3]>`.
    ///
    /// - Throws: `HDF5Error.missingObject` if there is no such attribute.
    public func attributeDisplayString(_ name: String, of object: String = "/", maxElements: Int = 8) throws -> String {
        let (shape, type) = try attributeInfo(name, of: object)
        let items: [String]
        if type.isInteger {
            items = try readIntArrayAttribute(name, of: object).map { String($0) }
        } else if type == .float32 {
            items = try readDoubleArrayAttribute(name, of: object).map { String(Float($0)) }
        } else if type.isFloat {
            items = try readDoubleArrayAttribute(name, of: object).map { String($0) }
        } else if type == .string {
            items = try readStringArrayAttribute(name, of: object).map(quoted)
        } else {
            return "<\(type) \(shape)>"
        }
        return Self.compactList(items, isScalar: shape.isEmpty, maxElements: maxElements)
    }

    /// `items` as `a` (scalar) or `[a, b, … (n values)]`, showing at most `maxElements`.
    static func compactList(_ items: [String], isScalar: Bool, maxElements: Int) -> String {
        if isScalar, items.count == 1 { return items[0] }
        var shown = items.prefix(max(maxElements, 1)).joined(separator: ", ")
        if items.count > maxElements { shown += ", … (\(items.count) values)" }
        return "[\(shown)]"
    }

    /// A string in double quotes with quotes, backslashes and control characters escaped, cut at 200 characters.
    private func quoted(_ text: String) -> String {
        var result = "\""
        for character in text.prefix(200) {
            switch character {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\t": result += "\\t"
            default: result.append(character)
            }
        }
        if text.count > 200 { result += "…" }
        return result + "\""
    }
}
