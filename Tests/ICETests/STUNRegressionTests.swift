import Foundation
import MeshCore
import Testing

@testable import ICE

@Suite("STUN inputs found by the fuzzer")
struct STUNRegressionTests {
    /// 17 unknown comprehension-required attributes were counted twice, so adding MESSAGE-INTEGRITY on re-encoding
    /// crossed the limit.
    @Test("a decoded message re-encodes to one that decodes to the same value")
    func roundTrips() throws {
        let base64 =
            "AAEAWCESpEK35QAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAiTL/mxUSY7JgAGAAlldgAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
        let bytes = [UInt8](try #require(Data(base64Encoded: base64)))
        let decoded = try STUNMessage.decode(bytes)
        let again = try STUNMessage.decode(decoded.message.encoded(integrityKey: [1, 2, 3]))
        #expect(again.message == decoded.message)
    }
}
