import MeshCore

/// XOR-metric helpers on the 256-bit key space (Maymounkov and Mazières, section 2.1).
extension NodeID {
    /// The number of leading bits `self` and `other` share: 256 for equal IDs, else 0...255.
    ///
    /// This is the routing-table bucket index: bucket `i` holds the contacts whose distance to us has its highest
    /// set bit at position `255 - i`.
    public func commonPrefixLength(with other: NodeID) -> Int {
        for index in 0..<NodeID.byteCount {
            let difference = bytes[index] ^ other.bytes[index]
            if difference != 0 { return index * 8 + difference.leadingZeroBitCount }
        }
        return NodeID.byteCount * 8
    }

    /// Whether `a` is strictly closer to `self` than `b` is, in XOR distance.
    public func prefers(_ a: NodeID, over b: NodeID) -> Bool {
        for index in 0..<NodeID.byteCount {
            let left = a.bytes[index] ^ bytes[index]
            let right = b.bytes[index] ^ bytes[index]
            if left != right { return left < right }
        }
        return false
    }

    /// The XOR distance as a 256-bit big-endian number.
    public func distance(to other: NodeID) -> [UInt8] {
        (0..<NodeID.byteCount).map { bytes[$0] ^ other.bytes[$0] }
    }

    /// A random ID that falls in bucket `index` of this node's table (shares exactly `index` leading bits).
    ///
    /// Bucket refresh looks up such an ID, so every bucket learns fresh contacts even when nobody asks about it.
    public func randomID<R: RandomSource>(inBucket index: Int, using random: inout R) -> NodeID {
        precondition((0..<256).contains(index), "bucket index out of range")
        var result = random.bytes(count: NodeID.byteCount)
        let byteIndex = index / 8
        let bit = UInt8(0x80) >> UInt8(index % 8)
        for position in 0..<byteIndex { result[position] = bytes[position] }
        let keepMask = ~(bit | (bit &- 1))  // bits above `bit` come from us
        result[byteIndex] = (bytes[byteIndex] & keepMask) | (~bytes[byteIndex] & bit) | (result[byteIndex] & (bit &- 1))
        // The length is right by construction.
        return try! NodeID(bytes: result)
    }
}
