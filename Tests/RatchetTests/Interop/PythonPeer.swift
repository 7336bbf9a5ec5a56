import Foundation
import MeshCore

@testable import Ratchet

/// The Python interop peer (scripts/test.d/40-ratchet-interop-peer.py) as a child process speaking JSON lines.
final class PythonPeer {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    private let process = Process()
    private let input = Pipe()
    private let output = Pipe()
    private var buffer: [UInt8] = []

    init(python: String) throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [root.appendingPathComponent("scripts/test.d/40-ratchet-interop-peer.py").path]
        process.standardInput = input
        process.standardOutput = output
        try process.run()
    }

    deinit {
        try? input.fileHandleForWriting.close()
        process.waitUntilExit()
    }

    /// Sends one command and returns its `ok` object; a Python-side error is thrown with its message.
    func call(_ request: [String: Any]) throws -> [String: Any] {
        var line = try JSONSerialization.data(withJSONObject: request)
        line.append(0x0A)
        try input.fileHandleForWriting.write(contentsOf: line)
        let reply = try JSONSerialization.jsonObject(with: Data(readLine())) as? [String: Any]
        if let ok = reply?["ok"] as? [String: Any] { return ok }
        throw Failure(description: "python peer: \(reply?["error"] ?? "no reply")")
    }

    private func readLine() throws -> [UInt8] {
        while true {
            if let newline = buffer.firstIndex(of: 0x0A) {
                let line = Array(buffer[..<newline])
                buffer.removeFirst(newline + 1)
                return line
            }
            let chunk = output.fileHandleForReading.availableData
            guard !chunk.isEmpty else { throw Failure(description: "python peer exited") }
            buffer.append(contentsOf: chunk)
        }
    }
}

/// JSON shapes shared with the Python peer (hex everywhere).
enum InteropJSON {
    static func message(_ message: RatchetMessage) throws -> [String: Any] {
        let header = try RatchetHeader(decoding: message.header)
        return [
            "dh": Hex.encode(header.ratchetKey.rawRepresentation),
            "pn": Int(header.previousChainLength),
            "n": Int(header.messageNumber),
            "ciphertext": Hex.encode(message.ciphertext),
        ]
    }

    static func message(from value: Any?) throws -> RatchetMessage {
        guard let value = value as? [String: Any], let pn = value["pn"] as? Int, let n = value["n"] as? Int else {
            throw PythonPeer.Failure(description: "bad message JSON")
        }
        let header = RatchetHeader(
            ratchetKey: try X25519.PublicKey(rawRepresentation: hex(value["dh"])),
            previousChainLength: UInt32(pn),
            messageNumber: UInt32(n)
        )
        return RatchetMessage(header: header.encoded, ciphertext: try hex(value["ciphertext"]))
    }

    static func hex(_ value: Any?) throws -> [UInt8] {
        guard let text = value as? String, let bytes = Hex.decode(text) else {
            throw PythonPeer.Failure(description: "expected hex, got \(String(describing: value))")
        }
        return bytes
    }
}
