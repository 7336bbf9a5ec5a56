import ArgumentParser

/// `meshlab`: the network lab's helpers, in their own binary so nothing lab-only ships in `meshpeer`.
///
/// `ice-connect` derives its direct-channel secret from the ICE credentials the two processes swapped through files
/// and signs with fixed, publicly known lab keys. That is fine between two namespaces on one machine and wrong
/// anywhere else, so it must not be reachable from the product binary (issue 12). `scripts/netlab` and
/// `scripts/test.d/45-ice-interop.sh` run it; `MeshPeerCLITests` checks `meshpeer` carries none of it.
@main
struct MeshLabCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "meshlab",
        abstract: "Lab-only helpers for the network lab and interop tests. Not for use outside a test network.",
        subcommands: [ICEConnectCommand.self]
    )
}

/// A failure reported as one line on stderr with a non-zero exit status.
struct LabError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
