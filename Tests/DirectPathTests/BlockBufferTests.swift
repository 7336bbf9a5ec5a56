import Testing

@testable import DirectPath

@Suite("Send buffer blocks")
struct BlockBufferTests {
    /// Ranges that straddle block boundaries read back exactly what was written, before and after a release.
    @Test func rangesAcrossBlocksReadBackWhatWasWritten() {
        let size = BlockBuffer.blockSize
        let written = (0..<(3 * size + 123)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 8) }
        var buffer = BlockBuffer()
        // Uneven appends so that pieces, not only whole blocks, cross the boundaries.
        var position = 0
        for piece in [10, size - 20, 40, 2 * size, 93] {
            written[position..<position + piece].withUnsafeBytes { buffer.append($0) }
            position += piece
        }
        #expect(buffer.endOffset == UInt64(written.count))
        func read(_ range: Range<Int>) -> [UInt8] {
            var output: [UInt8] = [0xEE]
            buffer.copy(UInt64(range.lowerBound)..<UInt64(range.upperBound), into: &output)
            return Array(output.dropFirst())
        }
        for range in [0..<5, size - 3..<size + 3, size - 1..<3 * size + 1, 3 * size..<written.count] {
            #expect(read(range) == Array(written[range]))
        }
        buffer.release(below: UInt64(2 * size + 7))
        #expect(read(2 * size + 7..<written.count) == Array(written[(2 * size + 7)...]))
        // Releasing everything at a block boundary, then writing on, starts a fresh block at the right offset.
        var aligned = BlockBuffer()
        written[0..<size].withUnsafeBytes { aligned.append($0) }
        aligned.release(below: UInt64(size))
        written[size..<size + 9].withUnsafeBytes { aligned.append($0) }
        var output: [UInt8] = []
        aligned.copy(UInt64(size)..<UInt64(size + 9), into: &output)
        #expect(output == Array(written[size..<size + 9]))
    }
}
