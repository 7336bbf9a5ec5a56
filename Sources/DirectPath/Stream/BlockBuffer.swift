/// Bytes addressed by stream offset, kept in fixed 64 KiB blocks aligned to the stream.
///
/// Appending never moves what is already there, and releasing a prefix frees whole blocks, so neither copies. The
/// flat array it replaces had to compact its released prefix, moving up to the whole unacknowledged buffer: about one
/// extra byte moved per byte sent. Memory is what is held plus at most one partly used block at each end.
struct BlockBuffer: Sendable {
    static let blockSize = 65_536
    /// Blocks covering `firstBlock * blockSize ..< endOffset`.
    private var blocks: [[UInt8]] = []
    private var firstBlock: UInt64 = 0
    private(set) var endOffset: UInt64 = 0

    mutating func append(_ bytes: UnsafeRawBufferPointer) {
        var position = 0
        while position < bytes.count {
            let inner = Int(endOffset % UInt64(BlockBuffer.blockSize))
            if inner == 0 {
                var block: [UInt8] = []
                block.reserveCapacity(BlockBuffer.blockSize)
                blocks.append(block)
            }
            let count = min(BlockBuffer.blockSize - inner, bytes.count - position)
            blocks[blocks.count - 1].append(
                contentsOf: UnsafeRawBufferPointer(rebasing: bytes[position..<position + count])
            )
            position += count
            endOffset += UInt64(count)
        }
    }

    /// Appends the bytes at `range` (held, so at or above the released prefix and below `endOffset`) to `output`.
    func copy(_ range: Range<UInt64>, into output: inout [UInt8]) {
        precondition(range.upperBound <= endOffset, "bytes not written yet")
        var offset = range.lowerBound
        while offset < range.upperBound {
            let index = Int(offset / UInt64(BlockBuffer.blockSize) - firstBlock)
            let inner = Int(offset % UInt64(BlockBuffer.blockSize))
            let count = min(BlockBuffer.blockSize - inner, Int(range.upperBound - offset))
            output.append(contentsOf: blocks[index][inner..<inner + count])
            offset += UInt64(count)
        }
    }

    /// Frees every block wholly below `offset`.
    mutating func release(below offset: UInt64) {
        let drop = min(Int(offset / UInt64(BlockBuffer.blockSize) - firstBlock), blocks.count)
        guard drop > 0 else { return }
        blocks.removeFirst(drop)
        firstBlock += UInt64(drop)
    }
}
