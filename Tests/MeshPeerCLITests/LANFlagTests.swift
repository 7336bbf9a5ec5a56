import Foundation
import Testing

/// `dht serve --lan` and `--lan-family` say clearly what they cannot do (decision 0108). Discovery itself needs a
/// link with multicast and two hosts: `scripts/test.d/31-dht-lan.sh` and `33-dht-lan-ipv6.sh` run it.
@Suite struct LANFlagTests {
    let cli = CLITests()

    @Test(arguments: [
        (["--lan", "127.0.0.1"], "does not support multicast"),
        (["--lan", "192.0.2.222"], "no interface has the address 192.0.2.222"),
        (["--lan", "no-such-interface-9"], "no interface is called no-such-interface-9"),
        (["--lan", "127.0.0.1", "--lan-family", "ipv5"], "--lan-family must be both, ipv4 or ipv6, not ipv5"),
    ])
    func aLANThatCannotRunIsAClearError(_ flags: [String], _ expected: String) throws {
        let home = cli.temporaryHome()
        defer { try? FileManager.default.removeItem(atPath: home) }
        let result = try cli.run(
            ["dht", "serve", "--ephemeral", "--home", home, "--listen", "127.0.0.1:0", "--json"] + flags
        )
        #expect(result.status != 0)
        #expect(result.stderr.contains(expected), "\(result.stderr)")
    }
}
