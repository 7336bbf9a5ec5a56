import Foundation
import MeshCore

/// Reads a secret from the terminal with echo turned off.
public enum TerminalPrompt {
    public static func readSecret(_ prompt: String) throws -> SecureBytes {
        FileHandle.standardError.write(Data(prompt.utf8))
        var original = termios()
        let isTerminal = tcgetattr(STDIN_FILENO, &original) == 0
        if isTerminal {
            var silent = original
            silent.c_lflag &= ~tcflag_t(ECHO)
            tcsetattr(STDIN_FILENO, TCSAFLUSH, &silent)
        }
        defer {
            if isTerminal {
                tcsetattr(STDIN_FILENO, TCSAFLUSH, &original)
                FileHandle.standardError.write(Data("\n".utf8))
            }
        }
        var line: [UInt8] = []
        defer { secureZero(&line) }
        while line.count < 4096 {
            var byte: UInt8 = 0
            let count = read(STDIN_FILENO, &byte, 1)
            if count <= 0 || byte == UInt8(ascii: "\n") { break }
            line.append(byte)
        }
        return SecureBytes(line)
    }
}
