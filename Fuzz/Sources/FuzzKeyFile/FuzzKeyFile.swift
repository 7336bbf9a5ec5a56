import FuzzSupport
import MeshCore

/// Key-file decoding never traps; a decoded file re-encodes to the same bytes; a plain file's key, once
/// unlocked, matches the stored public key (or unlocking says the file is corrupt).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = fuzzBytes(data, size)
    guard let file = try? KeyFile(decoding: bytes) else { return 0 }
    fuzzCheck(file.encoded() == bytes, "key file does not round-trip")
    if !file.isPassphraseProtected, let key = try? file.unlock(passphrase: nil) {
        fuzzCheck(key.publicKey == file.publicKey, "unlocked key does not match the stored public key")
    }
    return 0
}
