// Generated from the repository's bootstrap-nodes.json; edit that file, then copy it here unchanged.
// MeshPeerCLITests (BootstrapListTests) fails when the two differ by a single byte.

extension BootstrapList {
    /// The repository's `bootstrap-nodes.json`, byte for byte (a raw string: no escapes are interpreted).
    public static let builtInJSON = #"""
        {
          "version": 1,
          "nodes": []
        }

        """#
}
