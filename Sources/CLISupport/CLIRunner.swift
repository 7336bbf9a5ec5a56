import ArgumentParser
import Foundation
import MeshCore

/// Turns any error into one clear line on stderr and a non-zero exit status, never a stack trace.
public enum CLIRunner {
    /// Exit status 1: the request failed (bad input, a file problem). ArgumentParser itself uses 64 for usage.
    public static func run(_ body: () throws -> Void) throws {
        do {
            try body()
        } catch let error as ExitCode {
            throw error
        } catch {
            FileHandle.standardError.write(Data("meshpeer: error: \(error)\n".utf8))
            throw ExitCode.failure
        }
    }
}
