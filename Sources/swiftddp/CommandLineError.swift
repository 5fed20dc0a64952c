// A flag whose value is well-formed but wrong for the files it is used with (for example
// `metrics --monitor` naming a metric that no record can hold): found only once the command has
// read its files, so not by `validate()`, yet a usage error, exit 2 (ExitStatus).

/// A command-line error found after reading the files the command names; reported in one line by
/// `fail`, without the usage text.
struct CommandLineError: Error, CustomStringConvertible {
    /// The message, naming the flag and its value.
    let description: String

    init(_ description: String) {
        self.description = description
    }
}
